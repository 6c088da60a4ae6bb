package io.nexs.postgres.query;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Rows of a real PostgreSQL server mapped to records, beans, field classes, nested objects and simple types,
 * with every supported conversion.
 */
@ExtendWith(PostgresExtension.class)
class RowMappingTests {

    private static final UUID ID = UUID.fromString("0e4b8a52-3f57-4a2b-9d41-6c1f2d7a9b30");

    static Connection connection;

    private final RowMappers mappers = new RowMappers(UnmappedColumns.IGNORE, null);

    @BeforeAll
    static void start(PostgresNode node) throws SQLException {
        connection = node.connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("create type mood as enum ('HAPPY', 'SAD', 'CALM')");
            statement.execute("create table account (id serial primary key, user_name text, mood mood)");
            statement.execute("insert into account (user_name, mood) values ('ada', 'HAPPY'), ('bob', null)");
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        connection.close();
    }

    @Test
    void mapsEveryScalarTypeIntoARecord() throws SQLException {
        Scalars row = one(Scalars.class, """
                select 7::int4 as an_int, 8000000000::int8 as a_long, 3::int2 as a_short, 2::int2 as a_byte,
                       1.5::float8 as a_double, 2.5::float4 as a_float, true as a_boolean,
                       12.34::numeric as a_decimal, 123456789012345678901234567890::numeric as a_big_integer,
                       'text'::text as a_string, '%s'::uuid as a_uuid, '\\x0102ff'::bytea as some_bytes,
                       'x'::char(1) as a_char, date '2024-02-29' as a_date, time '13:14:15.5' as a_time,
                       timestamp '2024-02-29 13:14:15' as a_date_time,
                       timestamptz '2024-02-29 13:14:15+02' as an_offset_date_time,
                       timestamptz '2024-02-29 13:14:15+02' as an_instant, timetz '13:14:15+02' as an_offset_time,
                       'SAD' as text_mood, 'CALM'::mood as enum_mood
                """.formatted(ID));
        assertThat(row.anInt()).isEqualTo(7);
        assertThat(row.aLong()).isEqualTo(8_000_000_000L);
        assertThat(row.aShort()).isEqualTo((short) 3);
        assertThat(row.aByte()).isEqualTo((byte) 2);
        assertThat(row.aDouble()).isEqualTo(1.5);
        assertThat(row.aFloat()).isEqualTo(2.5f);
        assertThat(row.aBoolean()).isTrue();
        assertThat(row.aDecimal()).isEqualByComparingTo("12.34");
        assertThat(row.aBigInteger()).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(row.aString()).isEqualTo("text");
        assertThat(row.aUuid()).isEqualTo(ID);
        assertThat(row.someBytes()).containsExactly(1, 2, 0xff);
        assertThat(row.aChar()).isEqualTo('x');
        assertThat(row.aDate()).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(row.aTime()).isEqualTo(LocalTime.of(13, 14, 15, 500_000_000));
        assertThat(row.aDateTime()).isEqualTo(LocalDateTime.of(2024, 2, 29, 13, 14, 15));
        assertThat(row.anOffsetDateTime().toInstant()).isEqualTo(Instant.parse("2024-02-29T11:14:15Z"));
        assertThat(row.anInstant()).isEqualTo(Instant.parse("2024-02-29T11:14:15Z"));
        assertThat(row.anOffsetTime()).isEqualTo(OffsetTime.of(13, 14, 15, 0, ZoneOffset.ofHours(2)));
        assertThat(row.textMood()).isEqualTo(Mood.SAD);
        assertThat(row.enumMood()).isEqualTo(Mood.CALM);
    }

    @Test
    void mapsNullsToNullWrappers() throws SQLException {
        Wrappers row = one(Wrappers.class, """
                select null::int4 as an_int, null::int8 as a_long, null::int2 as a_short, null::float8 as a_double,
                       null::float4 as a_float, null::bool as a_boolean, null::numeric as a_decimal,
                       null::text as a_string, null::uuid as a_uuid, null::bytea as some_bytes,
                       null::date as a_date, null::timestamptz as an_instant, null::mood as a_mood,
                       null::int8 as a_big_integer, null::timestamp as a_date_time
                """);
        assertThat(row).isEqualTo(new Wrappers(null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null));
    }

    @Test
    void mapsZeroesThatAreNotNull() throws SQLException {
        Wrappers row = one(Wrappers.class, """
                select 0 as an_int, 0::int8 as a_long, 0::int2 as a_short, 0::float8 as a_double,
                       0::float4 as a_float, false as a_boolean
                """);
        assertThat(row.anInt()).isZero();
        assertThat(row.aLong()).isZero();
        assertThat(row.aShort()).isZero();
        assertThat(row.aDouble()).isZero();
        assertThat(row.aFloat()).isZero();
        assertThat(row.aBoolean()).isFalse();
    }

    @Test
    void readsTimestampWithoutTimeZoneAsUtc() throws SQLException {
        Times row = one(Times.class, """
                select timestamp '2024-05-01 10:00:00' as an_instant,
                       timestamp '2024-05-01 10:00:00' as an_offset_date_time,
                       timestamptz '2024-05-01 10:00:00+03' as a_local_date_time,
                       date '2024-05-01' as a_date_at_midnight
                """);
        assertThat(row.anInstant()).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
        assertThat(row.anOffsetDateTime()).isEqualTo(OffsetDateTime.parse("2024-05-01T10:00:00Z"));
        assertThat(row.aLocalDateTime()).isEqualTo(LocalDateTime.of(2024, 5, 1, 7, 0));
        assertThat(row.aDateAtMidnight()).isEqualTo(LocalDateTime.of(2024, 5, 1, 0, 0));
    }

    @Test
    void widensAndNarrowsNumbersWhereLossless() throws SQLException {
        Numbers row = one(Numbers.class, """
                select 5::int4 as long_from_int, 6::int8 as int_from_long, 7.25::numeric as double_from_numeric,
                       8::numeric as long_from_numeric, 9::int2 as int_from_short, ' 10 ' as int_from_text,
                       11.0::float8 as int_from_double, 12.5::float8 as decimal_from_double,
                       13::int4 as big_integer_from_int, 1::int4 as boolean_from_int, 'yes' as boolean_from_text,
                       14::int4 as decimal_from_int, '15.5' as double_from_text
                """);
        assertThat(row).isEqualTo(new Numbers(5L, 6, 7.25, 8L, 9, 10, 11, new BigDecimal("12.5"),
                BigInteger.valueOf(13), true, true, new BigDecimal("14"), 15.5));
    }

    @Test
    void matchesSnakeCaseColumnsToCamelCasePropertiesIgnoringCase() throws SQLException {
        Account row = one(Account.class, "select 1 as \"ID\", 'ada' as \"User_Name\", 'x' as ignored_column");
        assertThat(row).isEqualTo(new Account(1, "ada"));
    }

    @Test
    void readsAColumnNamedByColumnAnnotation() throws SQLException {
        Renamed row = one(Renamed.class, "select 3 as id, 'ref-9' as \"CUST_REF\"");
        assertThat(row).isEqualTo(new Renamed(3, "ref-9"));
    }

    @Test
    void mapsASerialColumnAndAPostgresEnumFromATable() throws SQLException {
        List<Person> rows = all(Person.class, "select id, user_name, mood from account order by id");
        assertThat(rows).containsExactly(new Person(1, "ada", Mood.HAPPY), new Person(2, "bob", null));
    }

    @Test
    void mapsABeanThroughSettersAndKeepsDefaultsOfPropertiesWithoutColumn() throws SQLException {
        Bean bean = one(Bean.class, "select 4 as id, 'ann' as full_name, 'nick' as alias, 'h://x' as url");
        assertThat(bean.getId()).isEqualTo(4);
        assertThat(bean.getFullName()).isEqualTo("ann");
        assertThat(bean.getAlias()).isEqualTo("nick");
        assertThat(bean.getStatus()).isEqualTo("new");
        assertThat(bean.getURL()).isEqualTo("h://x");
        assertThat(bean.setterCalls).isEqualTo(4);
    }

    @Test
    void mapsAPrivateClassThroughItsFields() throws SQLException {
        Fields fields = one(Fields.class, "select 5 as id, 'fido' as pet_name, 'x' as secret, 'fi' as \"Pet_Alias\"");
        assertThat(fields.id).isEqualTo(5);
        assertThat(fields.petName).isEqualTo("fido");
        assertThat(fields.tags).isEqualTo(List.of("default"));
        assertThat(fields.secret).isEqualTo("x");
        assertThat(fields.nickname).isEqualTo("fi");
    }

    @Test
    void mapsNestedRecordsFromPrefixedColumns() throws SQLException {
        Customer row = one(Customer.class, """
                select 1 as id, 'Main St' as address_street, 'Oslo' as address_city, '0150' as address_zip_code,
                       'Side St' as home_street, 'Bergen' as home_city, null as home_zip_code
                """);
        assertThat(row).isEqualTo(new Customer(1, new Address("Main St", "Oslo", "0150"),
                new Address("Side St", "Bergen", null)));
    }

    @Test
    void readsColumnAnnotationsOfNestedObjectsAfterTheirPrefix() throws SQLException {
        assertThat(one(Trip.class, "select 1.5 as \"FROM_Latitude\", 2.5 as from_lon, 3.5 as latitude, 4.5 as lon"))
            .isEqualTo(new Trip(new Point(1.5, 2.5), new Point(3.5, 4.5)));
    }

    @Test
    void mapsANestedObjectWhoseColumnsAreAllNullToNull() throws SQLException {
        List<Customer> rows = all(Customer.class, """
                select c.id, a.street as address_street, a.city as address_city, a.zip as address_zip_code,
                       null::text as home_street, null::text as home_city, null::text as home_zip_code
                from (values (1), (2)) as c (id)
                left join (values (1, 'Main St', 'Oslo', '0150')) as a (customer, street, city, zip)
                  on a.customer = c.id
                order by c.id
                """);
        assertThat(rows).containsExactly(new Customer(1, new Address("Main St", "Oslo", "0150"), null),
                new Customer(2, null, null));
    }

    @Test
    void mapsAllNullNestedObjectsWithPrimitivesToNullAndOptionalsToEmpty() throws SQLException {
        Order row = one(Order.class, """
                select 9 as id, null::int4 as line_quantity, null::text as line_sku,
                       null::int4 as extra_quantity, null::text as extra_sku
                """);
        assertThat(row).isEqualTo(new Order(9, null, Optional.empty()));
        Order full = one(Order.class, """
                select 9 as id, 2 as line_quantity, 'a' as line_sku, 3 as extra_quantity, 'b' as extra_sku
                """);
        assertThat(full).isEqualTo(new Order(9, new Line(2, "a"), Optional.of(new Line(3, "b"))));
    }

    @Test
    void leavesANestedBeanPropertyWithoutColumnsAtItsDefault() throws SQLException {
        Holder holder = one(Holder.class, "select 'h' as name");
        assertThat(holder.name).isEqualTo("h");
        assertThat(holder.location).isNull();
        Holder located = one(Holder.class, "select 'h' as name, 1.5 as location_lat, 2.5 as location_lon");
        assertThat(located.location.lat).isEqualTo(1.5);
        assertThat(located.location.lon).isEqualTo(2.5);
    }

    @Test
    void mapsOptionalComponents() throws SQLException {
        Optionals empty = one(Optionals.class,
                "select null::text as name, null::int4 as count, null::int4 as score, null::_int4 as codes");
        assertThat(empty).isEqualTo(new Optionals(Optional.empty(), Optional.empty(), OptionalInt.empty(),
                Optional.empty()));
        Optionals full = one(Optionals.class,
                "select 'n' as name, 3 as count, 4 as score, array[1, 2] as codes");
        assertThat(full.name()).contains("n");
        assertThat(full.count()).contains(3);
        assertThat(full.score()).hasValue(4);
        assertThat(full.codes()).contains(List.of(1, 2));
    }

    @Test
    void mapsPostgresArraysToJavaArraysAndLists() throws SQLException {
        Arrays row = one(Arrays.class, """
                select array[1, 2, 3]::int4[] as ints, array[4, 5]::int4[] as longs,
                       array['a', 'b']::text[] as strings, array['%s']::uuid[] as uuids,
                       array[1, null, 3]::int4[] as boxed, array[6, 7]::int4[] as list_of_longs,
                       array['x', null]::text[] as list_of_strings, array['HAPPY', 'SAD']::mood[] as moods,
                       array[1.5, 2.5]::numeric[] as doubles, array['a', 'a', 'b'] as set_of_strings,
                       array[[1, 2], [3, 4]]::int4[] as matrix, '{}'::int8[] as empty,
                       null::int4[] as absent, array[date '2024-01-02'] as dates,
                       array[timestamptz '2024-01-02 03:04:05+00'] as instants
                """.formatted(ID));
        assertThat(row.ints()).containsExactly(1, 2, 3);
        assertThat(row.longs()).containsExactly(4L, 5L);
        assertThat(row.strings()).containsExactly("a", "b");
        assertThat(row.uuids()).containsExactly(ID);
        assertThat(row.boxed()).containsExactly(1, null, 3);
        assertThat(row.listOfLongs()).containsExactly(6L, 7L);
        assertThat(row.listOfStrings()).containsExactly("x", null);
        assertThat(row.moods()).containsExactly(Mood.HAPPY, Mood.SAD);
        assertThat(row.doubles()).containsExactly(1.5, 2.5);
        assertThat(row.setOfStrings()).containsExactly("a", "b");
        assertThat(row.matrix()).isDeepEqualTo(new int[][] { { 1, 2 }, { 3, 4 } });
        assertThat(row.empty()).isEmpty();
        assertThat(row.absent()).isNull();
        assertThat(row.dates()).containsExactly(LocalDate.of(2024, 1, 2));
        assertThat(row.instants()).containsExactly(Instant.parse("2024-01-02T03:04:05Z"));
    }

    @Test
    void readsJsonIntoAStringWithoutACodec() throws SQLException {
        Document row = one(Document.class, "select 1 as id, '{\"a\": 1}'::jsonb as body");
        assertThat(row.body()).isEqualTo("{\"a\": 1}");
    }

    @Test
    void mapsSingleColumnResultsToSimpleTypes() throws SQLException {
        assertThat(all(String.class, "select x from unnest(array['a', 'b']) as x")).containsExactly("a", "b");
        assertThat(all(Long.class, "select 1::int4 union all select null")).containsExactly(1L, null);
        assertThat(one(Integer.class, "select 2::int8")).isEqualTo(2);
        assertThat(one(int.class, "select 3")).isEqualTo(3);
        assertThat(one(UUID.class, "select '%s'::uuid".formatted(ID))).isEqualTo(ID);
        assertThat(one(Mood.class, "select 'SAD'::mood")).isEqualTo(Mood.SAD);
        assertThat(one(LocalDate.class, "select date '2024-03-01'")).isEqualTo(LocalDate.of(2024, 3, 1));
        assertThat(one(BigDecimal.class, "select 1.25")).isEqualByComparingTo("1.25");
        assertThat(one(Boolean.class, "select true")).isTrue();
        assertThat(one(String[].class, "select array['p', 'q']")).containsExactly("p", "q");
        assertThat(one(byte[].class, "select '\\x09'::bytea")).containsExactly(9);
        assertThat(one(Instant.class, "select timestamptz '2024-01-01 00:00:00+00'"))
            .isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
    }

    @Test
    void returnsTheSameMapperForAClass() {
        assertThat(this.mappers.forType(Account.class)).isSameAs(this.mappers.forType(Account.class));
    }

    @Test
    void reusesOneMapperForResultsOfDifferentShapes() throws SQLException {
        ObjectRowMapper<Wrappers> mapper = mapper(Wrappers.class);
        for (int round = 0; round < 2; round++) {
            try (Statement statement = connection.createStatement()) {
                try (ResultSet rs = statement.executeQuery("select 1 as an_int, 'a' as a_string")) {
                    assertThat(mapper.readAll(rs)).singleElement().satisfies((row) -> {
                        assertThat(row.anInt()).isEqualTo(1);
                        assertThat(row.aString()).isEqualTo("a");
                        assertThat(row.aLong()).isNull();
                    });
                }
                try (ResultSet rs = statement.executeQuery("select 'b' as a_string, 2::int8 as a_long, "
                        + "'3' as an_int")) {
                    assertThat(mapper.readAll(rs)).singleElement().satisfies((row) -> {
                        assertThat(row.anInt()).isEqualTo(3);
                        assertThat(row.aString()).isEqualTo("b");
                        assertThat(row.aLong()).isEqualTo(2L);
                    });
                }
            }
        }
    }

    @Test
    void mapsRowsThroughJdbcTemplate() {
        JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
        ObjectRowMapper<Account> mapper = mapper(Account.class);
        assertThat(jdbc.query("select g as id, 'user' || g as user_name from generate_series(1, 3) as g", mapper))
            .containsExactly(new Account(1, "user1"), new Account(2, "user2"), new Account(3, "user3"));
        // another shape through the same mapper: the remembered plan must not be reused
        assertThat(jdbc.query("select 'x' as user_name, 7::int8 as id, 1 as other", mapper))
            .containsExactly(new Account(7, "x"));
        assertThat(jdbc.queryForObject("select 8 as id, 'y' as user_name", mapper)).isEqualTo(new Account(8, "y"));
        assertThat(jdbc.query("select 5 as n", mapper(Long.class))).containsExactly(5L);
    }

    @Test
    void readsRowByRowThroughAReader() throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select g as id, 'u' || g as user_name "
                        + "from generate_series(1, 2) as g")) {
            ObjectRowMapper.RowReader<Account> reader = mapper(Account.class).reader(rs);
            List<Account> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(reader.read(rs));
            }
            assertThat(rows).containsExactly(new Account(1, "u1"), new Account(2, "u2"));
        }
    }

    @Test
    void ignoresUnmappedColumnsByDefault() throws SQLException {
        assertThat(one(Account.class, "select 1 as id, 'a' as user_name, 2 as spare"))
            .isEqualTo(new Account(1, "a"));
    }

    @Test
    void compilesTheTopLevelOfRecordAndBeanPlans() throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select 1 as id, 'a' as user_name, 2 as an_int")) {
            ResultShape shape = ResultShape.of(rs.getMetaData());
            assertThat(MappingPlan.build(TargetModel.of(Account.class), shape, UnmappedColumns.IGNORE, null, true)
                .isCompiled()).isTrue();
            assertThat(MappingPlan.build(TargetModel.of(Wrappers.class), shape, UnmappedColumns.IGNORE, null, true)
                .isCompiled()).isTrue();
            assertThat(MappingPlan.build(TargetModel.of(Account.class), shape, UnmappedColumns.IGNORE, null, false)
                .isCompiled()).isFalse();
        }
    }

    @Test
    void wrapsAFailingConstructorOrSetter() {
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> all(Validated.class, "select -1 as amount"))
            .withMessage("The constructor of Validated failed for a row: java.lang.IllegalArgumentException")
            .withCauseInstanceOf(IllegalArgumentException.class);
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> all(Strict.class, "select 'x' as code"))
            .withMessage("Setting Strict.code failed for a row: java.lang.IllegalStateException")
            .withCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void mapsANestedBeanWhoseColumnsAreAllNullToNull() throws SQLException {
        Holder holder = one(Holder.class, "select 'h' as name, null::float8 as location_lat, "
                + "null::float8 as location_lon");
        assertThat(holder.location).isNull();
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> all(Holder.class, "select 'h' as name, 1.5 as location_lat, "
                    + "null::float8 as location_lon"))
            .withMessage("Column \"location_lon\" (float8) is NULL but Holder.location.lon is the primitive "
                    + "double; use Double or Optional<Double>");
    }

    /**
     * The mapper the tests use; {@link RowMappingInterpretedTests} swaps in interpreted plans.
     * @param <T> the target type
     * @param type the target class
     * @return the mapper
     */
    <T> ObjectRowMapper<T> mapper(Class<T> type) {
        return this.mappers.forType(type);
    }

    private <T> T one(Class<T> type, String sql) throws SQLException {
        List<T> rows = all(type, sql);
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private <T> List<T> all(Class<T> type, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            return mapper(type).readAll(rs);
        }
    }

    enum Mood {

        HAPPY, SAD, CALM

    }

    private record Scalars(int anInt, long aLong, short aShort, byte aByte, double aDouble, float aFloat,
            boolean aBoolean, BigDecimal aDecimal, BigInteger aBigInteger, String aString, UUID aUuid,
            byte[] someBytes, char aChar, LocalDate aDate, LocalTime aTime, LocalDateTime aDateTime,
            OffsetDateTime anOffsetDateTime, Instant anInstant, OffsetTime anOffsetTime, Mood textMood,
            Mood enumMood) {
    }

    /** A bean of wrappers: properties without a column keep null. */
    public static class Wrappers {

        private Integer anInt;

        private Long aLong;

        private Short aShort;

        private Double aDouble;

        private Float aFloat;

        private Boolean aBoolean;

        private BigDecimal aDecimal;

        private String aString;

        private UUID aUuid;

        private byte[] someBytes;

        private LocalDate aDate;

        private Instant anInstant;

        private Mood aMood;

        private BigInteger aBigInteger;

        private LocalDateTime aDateTime;

        public Wrappers() {
        }

        Wrappers(Integer anInt, Long aLong, Short aShort, Double aDouble, Float aFloat, Boolean aBoolean,
                BigDecimal aDecimal, String aString, UUID aUuid, byte[] someBytes, LocalDate aDate,
                Instant anInstant, Mood aMood, BigInteger aBigInteger, LocalDateTime aDateTime) {
            this.anInt = anInt;
            this.aLong = aLong;
            this.aShort = aShort;
            this.aDouble = aDouble;
            this.aFloat = aFloat;
            this.aBoolean = aBoolean;
            this.aDecimal = aDecimal;
            this.aString = aString;
            this.aUuid = aUuid;
            this.someBytes = someBytes;
            this.aDate = aDate;
            this.anInstant = anInstant;
            this.aMood = aMood;
            this.aBigInteger = aBigInteger;
            this.aDateTime = aDateTime;
        }

        Integer anInt() {
            return this.anInt;
        }

        Long aLong() {
            return this.aLong;
        }

        Short aShort() {
            return this.aShort;
        }

        Double aDouble() {
            return this.aDouble;
        }

        Float aFloat() {
            return this.aFloat;
        }

        Boolean aBoolean() {
            return this.aBoolean;
        }

        String aString() {
            return this.aString;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Wrappers that && java.util.Objects.equals(this.anInt, that.anInt)
                    && java.util.Objects.equals(this.aLong, that.aLong)
                    && java.util.Objects.equals(this.aShort, that.aShort)
                    && java.util.Objects.equals(this.aDouble, that.aDouble)
                    && java.util.Objects.equals(this.aFloat, that.aFloat)
                    && java.util.Objects.equals(this.aBoolean, that.aBoolean)
                    && java.util.Objects.equals(this.aDecimal, that.aDecimal)
                    && java.util.Objects.equals(this.aString, that.aString)
                    && java.util.Objects.equals(this.aUuid, that.aUuid)
                    && java.util.Arrays.equals(this.someBytes, that.someBytes)
                    && java.util.Objects.equals(this.aDate, that.aDate)
                    && java.util.Objects.equals(this.anInstant, that.anInstant)
                    && java.util.Objects.equals(this.aMood, that.aMood)
                    && java.util.Objects.equals(this.aBigInteger, that.aBigInteger)
                    && java.util.Objects.equals(this.aDateTime, that.aDateTime);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(this.anInt, this.aLong, this.aString);
        }

    }

    private record Times(Instant anInstant, OffsetDateTime anOffsetDateTime, LocalDateTime aLocalDateTime,
            LocalDateTime aDateAtMidnight) {
    }

    private record Numbers(long longFromInt, int intFromLong, double doubleFromNumeric, Long longFromNumeric,
            int intFromShort, int intFromText, int intFromDouble, BigDecimal decimalFromDouble,
            BigInteger bigIntegerFromInt, boolean booleanFromInt, Boolean booleanFromText, BigDecimal decimalFromInt,
            double doubleFromText) {
    }

    record Account(long id, String userName) {
    }

    private record Renamed(int id, @Column("cust_ref") String customer) {
    }

    private record Person(int id, String userName, Mood mood) {
    }

    /** A JavaBean with public setters and a default. */
    public static class Bean {

        private int id;

        private String fullName;

        private String alias;

        private String status = "new";

        private String url;

        int setterCalls;

        public String getURL() {
            return this.url;
        }

        /** The property {@code URL}, whose field is {@code url}: one property, set once. */
        public void setURL(String url) {
            this.url = url;
            this.setterCalls++;
        }

        public int getId() {
            return this.id;
        }

        public void setId(int id) {
            this.id = id;
            this.setterCalls++;
        }

        public String getFullName() {
            return this.fullName;
        }

        public void setFullName(String fullName) {
            this.fullName = fullName;
            this.setterCalls++;
        }

        public String getAlias() {
            return this.alias;
        }

        /** A fluent setter: its return value is ignored. */
        public Bean setAlias(String alias) {
            this.alias = alias;
            this.setterCalls++;
            return this;
        }

        public String getStatus() {
            return this.status;
        }

        public void setStatus(String status) {
            this.status = status;
        }

    }

    private static final class Fields {

        private long id;

        private String petName;

        private List<String> tags = List.of("default");

        private String secret;

        @Column("pet_alias")
        private String nickname;

        private Fields() {
        }

    }

    record Address(String street, String city, String zipCode) {
    }

    private record Customer(int id, Address address, @Embedded(prefix = "home_") Address home) {
    }

    private record Point(@Column("latitude") double lat, double lon) {
    }

    private record Trip(Point from, @Embedded(prefix = "") Point to) {
    }

    private record Line(int quantity, String sku) {
    }

    private record Order(int id, Line line, Optional<Line> extra) {
    }

    private static final class Location {

        private double lat;

        private double lon;

    }

    private static final class Holder {

        private String name;

        private Location location;

    }

    private record Optionals(Optional<String> name, Optional<Integer> count, OptionalInt score,
            Optional<List<Integer>> codes) {
    }

    private record Arrays(int[] ints, long[] longs, String[] strings, UUID[] uuids, Integer[] boxed,
            List<Long> listOfLongs, List<String> listOfStrings, List<Mood> moods, double[] doubles,
            Set<String> setOfStrings, int[][] matrix, long[] empty, int[] absent, LocalDate[] dates,
            List<Instant> instants) {
    }

    private record Document(int id, String body) {
    }

    private record Validated(int amount) {

        Validated {
            if (amount < 0) {
                throw new IllegalArgumentException("negative");
            }
        }

    }

    /** A bean whose setter refuses a value. */
    static class Strict {

        public void setCode(String code) {
            throw new IllegalStateException("refused");
        }

    }

}
