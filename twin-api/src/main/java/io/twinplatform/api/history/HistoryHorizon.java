package io.twinplatform.api.history;

import java.time.Instant;

/**
 * The oldest instant the history table answers for the whole fleet (now minus {@code twin.history.retention}), and
 * the name of the SQL function that returns the fleet as it was at an instant, with the columns of the current-state
 * table that fleet queries read ({@code twin_id, device_id, module_id, version, deleted, document, fields}).
 */
public record HistoryHorizon(Instant oldest, String fleetFunction) {
}
