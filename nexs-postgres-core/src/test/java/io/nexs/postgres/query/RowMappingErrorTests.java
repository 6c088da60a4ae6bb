package io.nexs.postgres.query;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Rows that cannot be mapped: each failure names the class, the property, the column and its SQL type, and
 * never the value, which may be tenant data.
 */
@ExtendWith(PostgresExtension.class)
class RowMappingErrorTests {

    /** Put in every value that must not leak into a message. */
    private static final String SECRET = "S3cr3tValue";

    private static Connection connection;

    private final RowMappers mappers = new RowMappers(UnmappedColumns.IGNORE, null);

    final RowMappers strict = new RowMappers(UnmappedColumns.FAIL, null);

    @BeforeAll
    static void start(PostgresNode node) throws SQLException {
        connection = node.connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("create type mood as enum ('HAPPY', 'SAD', '" + SECRET + "')");
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        connection.close();
    }

    @Test
    void nullIntoAPrimitive() {
        assertFails(() -> all(this.mappers, Person.class, "select 1 as id, 'a' as name, null::int4 as age"))
            .hasMessage("Column \"age\" (int4) is NULL but Person.age is the primitive int; "
                    + "use Integer or Optional<Integer>");
    }

    @Test
    void nullIntoAPrimitiveOfABean() {
        assertFails(() -> all(this.mappers, Counter.class, "select null::int8 as hits"))
            .hasMessageContaining("Column \"hits\" (int8) is NULL but Counter.hits is the primitive long");
    }

    @Test
    void nullIntoAPrimitiveSingleColumn() {
        assertFails(() -> all(this.mappers, int.class, "select null::int4 as n"))
            .hasMessageContaining("Column \"n\" (int4) is NULL but the result type is the primitive int");
    }

    @Test
    void textThatIsNotAUuid() {
        assertFails(() -> all(this.mappers, Tagged.class, "select 'not-a-uuid-" + SECRET + "' as ref"))
            .hasMessage("Column \"ref\" (text) holds a value that is not a UUID, so it cannot be read into "
                    + "Tagged.ref of type UUID")
            .hasNoCause();
    }

    @Test
    void textThatIsNotANumberKeepsAValueFreeCause() {
        assertFails(() -> all(this.mappers, Person.class, "select 1 as id, 'n' as name, '" + SECRET + "' as age"))
            .hasMessageContaining("Column \"age\" (text) holds a value that is not a whole number")
            .hasMessageContaining("Person.age of type int")
            .cause()
            .isInstanceOf(NumberFormatException.class);
    }

    @Test
    void aNumberOutOfRange() {
        assertFails(() -> all(this.mappers, Person.class, "select 1 as id, 'n' as name, 98765432101 as age"))
            .hasMessage("Column \"age\" (int8) holds a value outside the range of int, so it cannot be read into "
                    + "Person.age of type int")
            .message()
            .doesNotContain("98765432101");
    }

    @Test
    void aFractionIntoAWholeNumber() {
        assertFails(() -> all(this.mappers, Person.class, "select 1 as id, 'n' as name, 1.5::numeric as age"))
            .hasMessageContaining("Column \"age\" (numeric) holds a value that is not a whole number")
            .hasMessageContaining("Person.age")
            .message()
            .doesNotContain("1.5");
    }

    @Test
    void aValueTheDriverCannotConvert() {
        assertFails(() -> all(this.mappers, Amount.class, "select 'NaN'::float8 as value"))
            .hasMessageContaining("Column \"value\" (float8)")
            .hasMessageContaining("Amount.value of type BigDecimal")
            .message()
            .doesNotContain("NaN");
    }

    @Test
    void anUnknownEnumConstant() {
        assertFails(() -> all(this.mappers, Feeling.class, "select '" + SECRET + "'::mood as mood"))
            .hasMessage("Column \"mood\" (mood) holds a value that is not a constant of Mood (HAPPY, SAD), so it "
                    + "cannot be read into Feeling.mood of type Mood")
            .hasNoCause();
    }

    @Test
    void jsonIntoAnInt() {
        assertFails(() -> all(this.mappers, Person.class,
                "select 1 as id, 'n' as name, '{\"v\": \"" + SECRET + "\"}'::jsonb as age"))
            .hasMessageContaining("Column \"age\" (jsonb) cannot be read into Person.age of type int");
    }

    @Test
    void jsonIntoAnObjectWithoutACodec() {
        assertFails(() -> all(this.mappers, Settings.class, "select '{\"a\": 1}'::jsonb as options"))
            .hasMessageContaining("Column \"options\" (jsonb) is read into Settings.options of type "
                    + "Map<String, Object>")
            .hasMessageContaining("tools.jackson.core:jackson-databind");
    }

    @Test
    void aTypeThatCannotHoldTheColumn() {
        assertFails(() -> all(this.mappers, Tagged.class, "select true as ref"))
            .hasMessage("Column \"ref\" (bool) cannot be read into Tagged.ref of type UUID");
    }

    @Test
    void aRecordComponentWithoutColumn() {
        assertFails(() -> all(this.mappers, Contact.class, "select 1 as id, 'n' as name"))
            .hasMessage("Cannot map the row to Contact: Contact.email has no column in the result; "
                    + "columns are: id, name (expected \"email\")");
    }

    @Test
    void aNestedRecordComponentWithoutColumn() {
        assertFails(() -> all(this.mappers, Shipment.class, "select 1 as id, 'x' as address_street"))
            .hasMessageContaining("Shipment.address.city has no column in the result; columns are: id, "
                    + "address_street (expected \"address_city\")");
        assertFails(() -> all(this.mappers, Shipment.class, "select 1 as id"))
            .hasMessageContaining("Shipment.address has no column in the result; columns are: id (expected "
                    + "columns prefixed \"address_\")");
    }

    @Test
    void anAmbiguousColumn() {
        assertFails(() -> all(this.mappers, Order.class, "select 1 as id, 'n' as name, 2 as id"))
            .hasMessage("Cannot map the row to Order: columns \"id\" (1) and \"id\" (3) both map to Order.id; "
                    + "alias one of them (their types are int4 and int4)");
        assertFails(() -> all(this.mappers, Order.class, "select 1 as id, 'n' as name, 'm' as \"NA_ME\""))
            .hasMessageContaining("\"name\" (2) and \"NA_ME\" (3) both map to Order.name");
    }

    @Test
    void aColumnTakenByTwoProperties() {
        assertFails(() -> all(this.mappers, Clash.class, "select 'x' as address_street, 'y' as address_city"))
            .hasMessage("Cannot map the row to Clash: column \"address_city\" (text) maps to both Clash.addressCity "
                    + "and Clash.address.city; alias it, or rename one of the properties");
    }

    @Test
    void anUnmappedColumnWhenUnmappedColumnsFail() {
        assertFails(() -> all(this.strict, Order.class, "select 1 as id, 'n' as name, 'z' as extra"))
            .hasMessageStartingWith("Cannot map the row to Order: column \"extra\" (text) matches no property of "
                    + "Order; ");
    }

    @Test
    void aSingleColumnTypeWithSeveralColumns() {
        assertFails(() -> all(this.mappers, Long.class, "select 1 as id, 2 as other"))
            .hasMessageContaining("Cannot map the result to Long")
            .hasMessageContaining("exactly one column, but the result has 2 (id, other)");
    }

    @Test
    void aNullElementIntoAPrimitiveArray() {
        assertFails(() -> all(this.mappers, Codes.class, "select array[1, null]::int4[] as codes"))
            .hasMessageContaining("Column \"codes\" (_int4) holds an array with a NULL element, but Codes.codes "
                    + "of type int[] has primitive elements");
    }

    @Test
    void aClassWithoutAUsableConstructorFailsWhenItsMapperIsMade() {
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> this.mappers.forType(NoDefaultConstructor.class))
            .withMessageContaining(NoDefaultConstructor.class.getName())
            .withMessageContaining("constructor without parameters");
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> this.mappers.forType(Inner.class))
            .withMessageContaining("inner class")
            .withMessageContaining("static");
    }

    @Test
    void failuresThroughJdbcTemplateAreTheSame() {
        JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
        assertFails(() -> jdbc.query("select 1 as id, 'n' as name, null::int4 as age",
                mapper(this.mappers, Person.class)))
            .hasMessageStartingWith("Column \"age\" (int4) is NULL but Person.age is the primitive int");
    }

    /**
     * The mapper the tests use; {@link RowMappingErrorInterpretedTests} swaps in interpreted plans.
     * @param <T> the target type
     * @param mappers the registry to take it from
     * @param type the target class
     * @return the mapper
     */
    <T> ObjectRowMapper<T> mapper(RowMappers mappers, Class<T> type) {
        return mappers.forType(type);
    }

    private <T> List<T> all(RowMappers mappers, Class<T> type, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            return mapper(mappers, type).readAll(rs);
        }
    }

    /** Asserts the failure and that neither it nor its causes quote the secret value. */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertFails(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(RowMappingException.class);
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET);
        }
        return assertThat(thrown);
    }

    enum Mood {

        HAPPY, SAD

    }

    private record Person(int id, String name, int age) {
    }

    /** A bean with a primitive field. */
    static class Counter {

        private long hits;

    }

    private record Tagged(UUID ref) {
    }

    private record Amount(BigDecimal value) {
    }

    private record Feeling(Mood mood) {
    }

    private record Settings(Map<String, Object> options) {
    }

    private record Contact(int id, String name, String email) {
    }

    private record Address(String street, String city) {
    }

    private record Shipment(int id, Address address) {
    }

    private record Clash(String addressCity, Address address) {
    }

    private record Order(int id, String name) {
    }

    private record Codes(int[] codes) {
    }

    static final class NoDefaultConstructor {

        private final int id;

        NoDefaultConstructor(int id) {
            this.id = id;
        }

        int id() {
            return this.id;
        }

    }

    final class Inner {

        private int id;

    }

}
