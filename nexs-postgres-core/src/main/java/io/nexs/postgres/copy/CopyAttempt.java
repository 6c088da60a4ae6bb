package io.nexs.postgres.copy;

import org.jspecify.annotations.Nullable;
import org.postgresql.copy.CopyIn;

/** What one attempt of a {@code COPY} did, for the decision to retry and for cancelling. */
final class CopyAttempt {

    volatile boolean consumed;

    @Nullable CopyIn copy;

    long bufferBytes;

    /** Bytes this {@code COPY} statement sent or wrote. */
    long bytes;

    void sent(LoadProgress progress, long count) {
        this.bytes += count;
        progress.sent(count);
    }

    /** A {@code COPY} out that was sent and may have written: not to be sent again after a lost connection. */
    volatile boolean unrepeatable;

}
