package io.nexs.postgres.tx;

/**
 * What retrying has done since start-up.
 *
 * @param attempts executions of retryable work, first attempts included
 * @param retries executions after the first
 * @param successesAfterRetry works that failed at first and then succeeded
 * @param exhausted works that still failed with a transient error when the attempts or the time ran out
 * @param commitsVerified commits whose connection was lost and which the outcome check found committed
 * @param commitsUnknown commits whose outcome could not be found ({@link CommitOutcomeUnknownException})
 */
public record RetryStatistics(long attempts, long retries, long successesAfterRetry, long exhausted,
        long commitsVerified, long commitsUnknown) {

}
