package io.nexs.postgres.copy;

/**
 * The {@code COPY} of a {@link io.nexs.postgres.PostgresOperations}: bulk loads into a table and bulk reads of a
 * query, each described by a small fluent spec.
 * <pre>{@code
 * postgres.copy().into("readings").columns("id", "label", "taken_at").rows(readings);
 * postgres.copy().into("orders").columns("id", "total").from(csvReader, CopyFormat.csv().withHeader(true));
 * long rows = postgres.copy().out("select * from orders").to(output, CopyFormat.csv());
 * try (Stream<Order> orders = postgres.copy().out("select * from orders").rows(Order.class)) {
 *     orders.forEach(exporter::write);
 * }
 * }</pre>
 */
public interface CopyOperations {

    /**
     * Starts a load into a table. The table is an identifier, checked and quoted before any SQL is sent:
     * {@code sales.orders} and {@code "Mixed Case"} are accepted, {@code orders; drop table x} is refused.
     * @param table the table, optionally schema-qualified
     * @return the spec of the load
     */
    CopyInSpec into(String table);

    /**
     * Starts a read of a query's result with {@code COPY (query) TO STDOUT}. The query takes no parameters, since
     * {@code COPY} cannot bind them. Outside a transaction it runs on a replica when the read preference allows.
     * @param query the query, for example {@code select * from orders where placed_at >= current_date}
     * @return the spec of the read
     */
    CopyOutSpec out(String query);

}
