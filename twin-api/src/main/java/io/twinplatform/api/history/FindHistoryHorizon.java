package io.twinplatform.api.history;

/**
 * Query: how far back the history side answers fleet-wide reads from its history table (the retention's horizon).
 * Answered with a {@link HistoryHorizon}; no handler means this deployment runs without the history side.
 */
public record FindHistoryHorizon() {
}
