package io.nexs.postgres.copy;

/**
 * Hears how a {@code COPY} in is going, every {@link CopyOptions#progressInterval()} and once when it ends. Called
 * on the thread that reads the rows; keep it quick.
 */
@FunctionalInterface
public interface CopyProgressListener {

    /**
     * Reports progress.
     * @param progress rows and bytes so far, the rate and, when the total is known, the time left
     */
    void onProgress(CopyProgress progress);

}
