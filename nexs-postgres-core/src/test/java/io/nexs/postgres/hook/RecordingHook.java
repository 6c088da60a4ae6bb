package io.nexs.postgres.hook;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import org.jspecify.annotations.Nullable;

/**
 * A hook that implements every point and writes each call it gets, with its context or event, to a journal that
 * several hooks may share, so tests can tell which hook ran when.
 */
class RecordingHook implements PostgresHook {

    private final String name;

    private final List<Call> journal;

    RecordingHook(String name) {
        this(name, new CopyOnWriteArrayList<>());
    }

    RecordingHook(String name, List<Call> journal) {
        this.name = name;
        this.journal = journal;
    }

    /** The calls this hook got, in order. */
    List<Call> calls() {
        return this.journal.stream().filter((call) -> call.hook().equals(this.name)).toList();
    }

    /** The points this hook was called at, in order. */
    List<String> points() {
        return calls().stream().map(Call::point).toList();
    }

    /** The contexts this hook got at one point, in order. */
    List<HookContext> contexts(String point) {
        return calls().stream().filter((call) -> call.point().equals(point)).map(Call::context).toList();
    }

    /** The context of the last call at a point; fails when there was none. */
    HookContext last(String point) {
        List<HookContext> contexts = contexts(point);
        if (contexts.isEmpty()) {
            throw new AssertionError(this.name + " was not called at " + point + "; it got " + points());
        }
        return contexts.get(contexts.size() - 1);
    }

    void clear() {
        this.journal.removeIf((call) -> call.hook().equals(this.name));
    }

    String name() {
        return this.name;
    }

    private void record(String point, @Nullable HookContext context, @Nullable Object event) {
        this.journal.add(new Call(this.name, point, context, event));
    }

    @Override
    public void onConnectionAcquired(HookContext context) {
        record("onConnectionAcquired", context, null);
    }

    @Override
    public void onConnectionReleased(HookContext context) {
        record("onConnectionReleased", context, null);
    }

    @Override
    public void beforeQuery(HookContext context) {
        record("beforeQuery", context, null);
    }

    @Override
    public void afterQuery(HookContext context) {
        record("afterQuery", context, null);
    }

    @Override
    public void beforeExec(HookContext context) {
        record("beforeExec", context, null);
    }

    @Override
    public void afterExec(HookContext context) {
        record("afterExec", context, null);
    }

    @Override
    public void beforeBatch(HookContext context) {
        record("beforeBatch", context, null);
    }

    @Override
    public void afterBatch(HookContext context) {
        record("afterBatch", context, null);
    }

    @Override
    public void beforeCopy(HookContext context) {
        record("beforeCopy", context, null);
    }

    @Override
    public void afterCopy(HookContext context) {
        record("afterCopy", context, null);
    }

    @Override
    public void onTransactionBegin(HookContext context) {
        record("onTransactionBegin", context, null);
    }

    @Override
    public void onTransactionCommit(HookContext context) {
        record("onTransactionCommit", context, null);
    }

    @Override
    public void onTransactionRollback(HookContext context) {
        record("onTransactionRollback", context, null);
    }

    @Override
    public void onError(HookContext context) {
        record("onError", context, null);
    }

    @Override
    public void onNodeStateChange(NodeStateChangedEvent event) {
        record("onNodeStateChange", null, event);
    }

    @Override
    public void onFailover(FailoverEvent event) {
        record("onFailover", null, event);
    }

    @Override
    public void onCustomPoint(String point, HookContext context) {
        record("onCustomPoint:" + point, context, null);
    }

    @Override
    public String toString() {
        return "RecordingHook[" + this.name + "]";
    }

    /**
     * One call of a hook.
     * @param hook the hook's name
     * @param point the method called
     * @param context the context it got, for points that take one
     * @param event the topology event it got, for topology points
     */
    record Call(String hook, String point, @Nullable HookContext context, @Nullable Object event) {

        /** {@code hook.point}, for order assertions. */
        String label() {
            return this.hook + "." + this.point;
        }

    }

    /** A recording hook with an explicit order. */
    static class WithOrder extends RecordingHook implements org.springframework.core.Ordered {

        private final int order;

        WithOrder(String name, List<Call> journal, int order) {
            super(name, journal);
            this.order = order;
        }

        @Override
        public int getOrder() {
            return this.order;
        }

    }

}
