package io.twinplatform.api.query;

/**
 * Query message: waits up to {@code timeoutMillis} until the current-state projection has processed every event up
 * to the event store's {@code globalIndex}; answers whether it has. A process that acts on an event by querying the
 * fleet (the configuration applier) asks this first, so the fleet it sees includes every twin written before.
 */
public record AwaitFleetPosition(long globalIndex, long timeoutMillis) {
}
