package io.nexs.postgres.consistency;

import java.util.Locale;

/**
 * A position in the primary's write-ahead log that reads must have seen: the end of the last write a scope
 * committed. Its text form is PostgreSQL's own for a WAL position ({@code 16/B374D848}), short enough for an HTTP
 * header, a cookie or a message header, so a client that wrote in one request can carry it to the next:
 * <pre class="code">
 * ConsistencyToken token = ConsistencyToken.parse(request.getHeader("Nexs-Consistency-Token"));
 * try (ConsistencyScope scope = ConsistencyScope.open(token)) {
 *     return orders.find(id);
 * }
 * </pre>
 * Tokens compare by position; a later one covers an earlier one.
 *
 * @param position the WAL position, PostgreSQL's {@code pg_lsn} as a number, above 0 and below 2^63
 */
public record ConsistencyToken(long position) implements Comparable<ConsistencyToken> {

    /** No more than two 8-digit hexadecimal halves and the slash. */
    private static final int MAX_TEXT_LENGTH = 17;

    /**
     * Checks the position.
     * @param position the WAL position
     */
    public ConsistencyToken {
        if (position <= 0) {
            // PostgreSQL's positions stay far below 2^63, and routing compares them as signed numbers
            throw new IllegalArgumentException("A consistency token's WAL position must be above 0/0 and below "
                    + "80000000/0");
        }
    }

    /**
     * Reads the text form of a token, as {@link #toString()} writes it.
     * @param text the text, such as {@code 16/B374D848}
     * @return the token
     * @throws IllegalArgumentException when the text is not a WAL position; the message does not quote it
     */
    public static ConsistencyToken parse(String text) {
        int slash = text.indexOf('/');
        if (text.length() > MAX_TEXT_LENGTH || slash < 1 || slash > 8 || text.length() - slash - 1 < 1
                || text.length() - slash - 1 > 8) {
            throw notAToken();
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < text.length(); i++) {
            if (i == slash) {
                continue;
            }
            int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                throw notAToken();
            }
            if (i < slash) {
                high = (high << 4) | digit;
            }
            else {
                low = (low << 4) | digit;
            }
        }
        if ((high == 0 && low == 0) || high > 0x7FFFFFFFL) {
            throw notAToken();
        }
        return new ConsistencyToken((high << 32) | low);
    }

    private static IllegalArgumentException notAToken() {
        return new IllegalArgumentException("A consistency token is a WAL position such as 16/B374D848");
    }

    /**
     * Whether this token's position is at or past another's.
     * @param other the other token
     * @return whether reads that have seen this one have seen the other
     */
    public boolean covers(ConsistencyToken other) {
        return compareTo(other) >= 0;
    }

    /**
     * The later of two tokens.
     * @param other the other token
     * @return this token or the other, whichever is further
     */
    public ConsistencyToken max(ConsistencyToken other) {
        return covers(other) ? this : other;
    }

    @Override
    public int compareTo(ConsistencyToken other) {
        return Long.compare(this.position, other.position);
    }

    /**
     * The text form, PostgreSQL's: the high and low 32 bits in hexadecimal, such as {@code 16/B374D848}.
     * @return the text
     */
    @Override
    public String toString() {
        return Long.toHexString(this.position >>> 32).toUpperCase(Locale.ROOT) + "/"
                + Long.toHexString(this.position & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }

}
