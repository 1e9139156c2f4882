package io.twinplatform.api.twin;

/**
 * Query: wait until the read side shows {@code twinId} at {@code version} or later (or shows it deleted, for
 * {@code deleted}), at most {@code timeoutMillis}. Answers whether it got there in time. The write API sends it
 * before it answers, which is what gives a client read-your-writes on {@code GET}.
 */
public record AwaitTwinVersion(String twinId, long version, boolean deleted, long timeoutMillis) {
}
