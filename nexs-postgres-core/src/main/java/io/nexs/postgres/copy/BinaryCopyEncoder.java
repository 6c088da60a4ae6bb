package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.UUID;

/**
 * Encodes rows in PostgreSQL's binary {@code COPY} format into one reused buffer: the header, then per row a field
 * count and each field as a length and its bytes ({@code -1} for NULL), then the trailer. The caller sends the
 * buffer's bytes to the server when {@link #size()} passes its chunk size, then {@link #clear()}s it, so memory
 * stays bounded however many rows pass through.
 *
 * <p>Values are encoded as the server stores them: integers and floats big-endian, dates as days and timestamps
 * as microseconds from 2000-01-01 (UTC for {@code timestamptz}), {@code numeric} as base-10000 digits with weight,
 * sign and display scale, {@code uuid} as 16 bytes, {@code jsonb} as version 1 and its text. A value the server
 * would reject (text with a NUL character, a timestamp beyond its range) raises {@link IllegalArgumentException}
 * before anything is written for it.
 */
public final class BinaryCopyEncoder {

    private static final byte[] HEADER = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0,
            0, 0, 0, 0, 0, 0, 0, 0 };

    private static final LocalDate POSTGRES_EPOCH_DATE = LocalDate.of(2000, 1, 1);

    private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L;

    /** PostgreSQL's timestamps end in the year 294276; beyond, it stores infinity or rejects the value. */
    private static final Instant LATEST = LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000)
        .toInstant(ZoneOffset.UTC);

    /** PostgreSQL's timestamps begin in 4713 BC (Julian day 0). */
    private static final Instant EARLIEST = LocalDateTime.of(-4713, 11, 24, 0, 0).toInstant(ZoneOffset.UTC);

    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);

    private byte[] buffer;

    private int size;

    /**
     * Creates an encoder whose buffer starts at {@code capacity} bytes and grows only for a row that does not fit.
     * @param capacity the initial buffer size
     */
    public BinaryCopyEncoder(int capacity) {
        this.buffer = new byte[Math.max(64, capacity)];
    }

    /** Writes the header that opens the stream. */
    public void header() {
        put(HEADER, 0, HEADER.length);
    }

    /** Writes the trailer that ends the stream. */
    public void trailer() {
        putShort(-1);
    }

    /**
     * Starts a row.
     * @param fields the number of fields that follow
     */
    public void row(int fields) {
        putShort(fields);
    }

    /** Writes a NULL field. */
    public void writeNull() {
        putInt(-1);
    }

    /**
     * Writes a {@code boolean}.
     * @param value the value
     */
    public void writeBoolean(boolean value) {
        putInt(1);
        ensure(1);
        this.buffer[this.size++] = (byte) (value ? 1 : 0);
    }

    /**
     * Writes a {@code smallint}.
     * @param value the value
     */
    public void writeShort(short value) {
        putInt(2);
        putShort(value);
    }

    /**
     * Writes an {@code integer}.
     * @param value the value
     */
    public void writeInt(int value) {
        putInt(4);
        putInt(value);
    }

    /**
     * Writes a {@code bigint}.
     * @param value the value
     */
    public void writeLong(long value) {
        putInt(8);
        putLong(value);
    }

    /**
     * Writes a {@code real}.
     * @param value the value
     */
    public void writeFloat(float value) {
        putInt(4);
        putInt(Float.floatToIntBits(value));
    }

    /**
     * Writes a {@code double precision}.
     * @param value the value
     */
    public void writeDouble(double value) {
        putInt(8);
        putLong(Double.doubleToLongBits(value));
    }

    /**
     * Writes {@code text}, {@code varchar} or {@code json}.
     * @param value the value
     * @throws IllegalArgumentException when it holds a NUL character, which PostgreSQL's text cannot
     */
    public void writeText(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the text holds a NUL character (\\u0000), which PostgreSQL's text "
                    + "types cannot store");
        }
        int lengthAt = this.size;
        putInt(0);
        int start = this.size;
        putUtf8(value);
        setInt(lengthAt, this.size - start);
    }

    /**
     * Writes {@code jsonb}: the format version, 1, and the JSON text.
     * @param json the JSON text
     */
    public void writeJsonb(String json) {
        if (json.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the JSON holds a NUL character (\\u0000), which jsonb cannot store");
        }
        int lengthAt = this.size;
        putInt(0);
        int start = this.size;
        ensure(1);
        this.buffer[this.size++] = 1;
        putUtf8(json);
        setInt(lengthAt, this.size - start);
    }

    /**
     * Writes {@code bytea}.
     * @param value the bytes
     */
    public void writeBytes(byte[] value) {
        putInt(value.length);
        put(value, 0, value.length);
    }

    /**
     * Writes a {@code uuid}.
     * @param value the value
     */
    public void writeUuid(UUID value) {
        putInt(16);
        putLong(value.getMostSignificantBits());
        putLong(value.getLeastSignificantBits());
    }

    /**
     * Writes a {@code date}.
     * @param value the value
     */
    public void writeDate(LocalDate value) {
        putInt(4);
        putInt(Math.toIntExact(ChronoUnit.DAYS.between(POSTGRES_EPOCH_DATE, value)));
    }

    /**
     * Writes a {@code time} (without time zone), to the microsecond.
     * @param value the value
     */
    public void writeTime(LocalTime value) {
        putInt(8);
        putLong(value.toNanoOfDay() / 1000);
    }

    /**
     * Writes a {@code timestamp} (without time zone), to the microsecond.
     * @param value the value
     */
    public void writeTimestamp(LocalDateTime value) {
        writeMicros(value.toInstant(ZoneOffset.UTC));
    }

    /**
     * Writes a {@code timestamptz}, to the microsecond.
     * @param value the instant
     */
    public void writeTimestamptz(Instant value) {
        writeMicros(value);
    }

    /**
     * Writes a {@code timestamptz}, to the microsecond.
     * @param value the date and time with its offset
     */
    public void writeTimestamptz(OffsetDateTime value) {
        writeMicros(value.toInstant());
    }

    private void writeMicros(Instant instant) {
        if (instant.isAfter(LATEST) || instant.isBefore(EARLIEST)) {
            throw new IllegalArgumentException("the timestamp is outside PostgreSQL's range (4713 BC to 294276 AD)");
        }
        long seconds = instant.getEpochSecond() - POSTGRES_EPOCH_SECONDS;
        // floorDiv-free: getNano is never negative, so whole microseconds of the second add up
        long micros = Math.addExact(Math.multiplyExact(seconds, 1_000_000L), instant.getNano() / 1000);
        putInt(8);
        putLong(micros);
    }

    /**
     * Writes a {@code numeric}: base-10000 digits, the weight of the first, the sign and the display scale.
     * @param value the value
     */
    public void writeNumeric(BigDecimal value) {
        int displayScale = Math.max(value.scale(), 0);
        BigDecimal scaled = (value.scale() < 0) ? value.setScale(0) : value;
        int sign = (scaled.signum() < 0) ? 0x4000 : 0x0000;
        BigInteger unscaled = scaled.unscaledValue().abs();
        // Align the scale to whole base-10000 digits: the fraction part gets a multiple of 4 decimal digits.
        int padding = (4 - displayScale % 4) % 4;
        BigInteger aligned = unscaled.multiply(BigInteger.TEN.pow(padding));
        int fractionGroups = (displayScale + padding) / 4;
        short[] groups = new short[Math.max(1, aligned.bitLength() / 13 + 2)];
        int count = 0;
        BigInteger rest = aligned;
        while (rest.signum() > 0) {
            BigInteger[] division = rest.divideAndRemainder(TEN_THOUSAND);
            if (count == groups.length) {
                groups = Arrays.copyOf(groups, count * 2);
            }
            groups[count++] = division[1].shortValue();
            rest = division[0];
        }
        // groups hold the least significant first; drop trailing (least significant) zero groups
        int low = 0;
        while (low < count && groups[low] == 0) {
            low++;
        }
        int digits = count - low;
        int weight = (digits == 0) ? 0 : count - 1 - fractionGroups;
        putInt(8 + 2 * digits);
        putShort(digits);
        putShort(weight);
        putShort((digits == 0) ? 0 : sign);
        putShort(displayScale);
        for (int i = count - 1; i >= low; i--) {
            putShort(groups[i]);
        }
    }

    /**
     * Starts a one-dimensional array whose elements follow, each written with the method of its type (or
     * {@link #writeNull()}), and which {@link #endArray(int)} closes.
     * @param elementOid the object id of the element type
     * @param elements how many elements follow
     * @param hasNull whether any of them is NULL
     * @return where the array starts, to pass to {@link #endArray(int)}
     */
    public int beginArray(int elementOid, int elements, boolean hasNull) {
        int lengthAt = this.size;
        putInt(0);
        // an empty array has no dimensions
        putInt((elements == 0) ? 0 : 1);
        putInt(hasNull ? 1 : 0);
        putInt(elementOid);
        if (elements > 0) {
            putInt(elements);
            // lower bound
            putInt(1);
        }
        return lengthAt;
    }

    /**
     * Ends an array begun with {@link #beginArray(int, int, boolean)}, filling in its length.
     * @param start what {@code beginArray} returned
     */
    public void endArray(int start) {
        setInt(start, this.size - start - 4);
    }

    /**
     * The bytes written since the last {@link #clear()}.
     * @return the buffer, valid up to {@link #size()}
     */
    public byte[] buffer() {
        return this.buffer;
    }

    /**
     * How many bytes are waiting in the buffer.
     * @return the count
     */
    public int size() {
        return this.size;
    }

    /**
     * The buffer's capacity, which only grows for a row larger than it.
     * @return the capacity in bytes
     */
    public int capacity() {
        return this.buffer.length;
    }

    /** Empties the buffer once its bytes were sent. */
    public void clear() {
        this.size = 0;
    }

    /**
     * Marks where a row starts, so a row that fails half-way can be taken back with {@link #rewind(int)}.
     * @return the current position
     */
    public int mark() {
        return this.size;
    }

    /**
     * Takes back everything written since {@link #mark()}.
     * @param mark the position it returned
     */
    public void rewind(int mark) {
        this.size = mark;
    }

    private void putUtf8(String value) {
        int length = value.length();
        ensure(length);
        int i = 0;
        // ASCII fast path: one byte per character
        while (i < length) {
            char c = value.charAt(i);
            if (c >= 0x80) {
                break;
            }
            this.buffer[this.size++] = (byte) c;
            i++;
        }
        if (i < length) {
            byte[] encoded = value.substring(i).getBytes(StandardCharsets.UTF_8);
            put(encoded, 0, encoded.length);
        }
    }

    private void putShort(int value) {
        ensure(2);
        this.buffer[this.size++] = (byte) (value >>> 8);
        this.buffer[this.size++] = (byte) value;
    }

    private void putInt(int value) {
        ensure(4);
        setInt(this.size, value);
        this.size += 4;
    }

    private void setInt(int at, int value) {
        this.buffer[at] = (byte) (value >>> 24);
        this.buffer[at + 1] = (byte) (value >>> 16);
        this.buffer[at + 2] = (byte) (value >>> 8);
        this.buffer[at + 3] = (byte) value;
    }

    private void putLong(long value) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            this.buffer[this.size++] = (byte) (value >>> shift);
        }
    }

    private void put(byte[] bytes, int offset, int length) {
        ensure(length);
        System.arraycopy(bytes, offset, this.buffer, this.size, length);
        this.size += length;
    }

    private void ensure(int more) {
        if (this.size + more > this.buffer.length) {
            this.buffer = Arrays.copyOf(this.buffer, Math.max(this.buffer.length * 2, this.size + more));
        }
    }

}
