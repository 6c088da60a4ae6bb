package io.nexs.postgres.query;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * json and jsonb columns read through {@link JacksonJsonCodec} into records, maps, lists and trees.
 */
@ExtendWith(PostgresExtension.class)
class JsonMappingTests {

    private static final String SECRET = "S3cr3tJson";

    private static Connection connection;

    private final RowMappers mappers = new RowMappers(UnmappedColumns.IGNORE, new JacksonJsonCodec());

    @BeforeAll
    static void start(PostgresNode node) throws SQLException {
        connection = node.connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("create table document (id int primary key, body jsonb, items jsonb, raw json)");
            statement.execute("""
                    insert into document values
                    (1, '{"name": "pen", "price": 1.50, "tags": ["blue", "cheap"]}',
                        '[{"name": "a", "price": 1, "tags": []}, {"name": "b", "price": 2.5, "tags": ["x"]}]',
                        '{"name": "raw", "price": 3, "tags": null}'),
                    (2, null, null, null)
                    """);
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        connection.close();
    }

    @Test
    void mapsJsonbIntoARecordAListOfRecordsAndAMap() throws SQLException {
        List<Typed> rows = all(Typed.class, "select id, body, items, body as attributes, raw from document "
                + "order by id");
        assertThat(rows).hasSize(2);
        Typed first = rows.get(0);
        assertThat(first.body()).isEqualTo(new Item("pen", new BigDecimal("1.50"), List.of("blue", "cheap")));
        assertThat(first.items()).containsExactly(new Item("a", BigDecimal.ONE, List.of()),
                new Item("b", new BigDecimal("2.5"), List.of("x")));
        assertThat(first.attributes()).containsEntry("name", "pen").containsEntry("tags", List.of("blue", "cheap"));
        assertThat(first.raw()).isEqualTo(new Item("raw", new BigDecimal("3"), null));
        assertThat(rows.get(1)).isEqualTo(new Typed(2, null, null, null, null));
    }

    @Test
    void mapsJsonIntoOptionalsTreesAndStrings() throws SQLException {
        List<Loose> rows = all(Loose.class, "select body as maybe, body as tree, body as text from document "
                + "order by id");
        assertThat(rows.get(0).maybe()).hasValueSatisfying((map) -> assertThat(map).containsKey("price"));
        assertThat(rows.get(0).tree().get("name").asString()).isEqualTo("pen");
        assertThat(rows.get(0).text()).contains("\"pen\"");
        assertThat(rows.get(1)).isEqualTo(new Loose(Optional.empty(), null, null));
    }

    @Test
    void readsALoneDocumentColumnAsTheWholeObject() throws SQLException {
        assertThat(all(Item.class, "select body from document where id = 1"))
            .containsExactly(new Item("pen", new BigDecimal("1.50"), List.of("blue", "cheap")));
        assertThat(all(Map.class, "select body from document where id = 1")).singleElement()
            .satisfies((map) -> assertThat(map).containsEntry("name", "pen"));
    }

    @Test
    void prefersAJsonColumnNamedAfterANestedPropertyOverPrefixedColumns() throws SQLException {
        assertThat(all(Wrapper.class, "select 1 as id, body as item from document where id = 1"))
            .containsExactly(new Wrapper(1, new Item("pen", new BigDecimal("1.50"), List.of("blue", "cheap"))));
        assertThat(all(Wrapper.class, "select 1 as id, 'p' as item_name, 2 as item_price, "
                + "array['t'] as item_tags"))
            .containsExactly(new Wrapper(1, new Item("p", new BigDecimal("2"), List.of("t"))));
    }

    @Test
    void aDocumentThatDoesNotBindNamesThePathButNotTheValue() {
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> all(Single.class, "select 3 as id, '{\"name\": \"n\", \"price\": \"" + SECRET
                    + "\"}'::jsonb as body"))
            .withMessageStartingWith("Column \"body\" (jsonb) holds a document that does not bind to "
                    + "Single.body of type Item: ")
            .withMessageContaining("$.price")
            .withMessageNotContaining(SECRET)
            .satisfies((ex) -> assertThat(ex.getCause()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(SECRET));
    }

    @Test
    void aJsonColumnStillDoesNotReadIntoANumber() {
        assertThatExceptionOfType(RowMappingException.class)
            .isThrownBy(() -> all(Counted.class, "select '1'::jsonb as count"))
            .withMessageContaining("Column \"count\" (jsonb) cannot be read into Counted.count of type int");
    }

    @Test
    void theCodecWritesAndReadsWithAnApplicationMapper() {
        JacksonJsonCodec codec = new JacksonJsonCodec(JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build());
        String json = codec.write(new Item("w", BigDecimal.TEN, List.of("t")));
        assertThat(codec.read(json, Item.class)).isEqualTo(new Item("w", BigDecimal.TEN, List.of("t")));
        assertThat(codec.write(null)).isEqualTo("null");
        assertThatIllegalArgumentException().isThrownBy(() -> codec.read("{\"count\": null, \"secret\": \""
                + SECRET + "\"}", Counted.class))
            .withMessageNotContaining(SECRET)
            .withMessageContaining("Counted");
        assertThatIllegalArgumentException().isThrownBy(() -> codec.read("{\"" + SECRET + "\": [1, {]}",
                Map.class))
            .withMessageNotContaining(SECRET);
    }

    private <T> List<T> all(Class<T> type, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            return this.mappers.forType(type).readAll(rs);
        }
    }

    record Item(String name, BigDecimal price, List<String> tags) {
    }

    private record Typed(int id, Item body, List<Item> items, Map<String, Object> attributes, Item raw) {
    }

    private record Loose(Optional<Map<String, Object>> maybe, JsonNode tree, String text) {
    }

    private record Single(int id, Item body) {
    }

    private record Wrapper(int id, Item item) {
    }

    record Counted(int count) {
    }

}
