package io.twinplatform.history;

import java.time.Instant;
import java.util.List;

/**
 * One row of {@code twin_history}: a twin event, its audit metadata, its change and the twin after it (JSON text;
 * {@code null} after a deletion).
 */
record HistoryRow(Instant time, String twinId, String deviceId, String moduleId, long version, Long desiredVersion,
                  Long reportedVersion, String eventType, String eventId, long globalIndex, String principal,
                  String channel, String transport, String correlationId, String causationId, String reason,
                  List<String> paths, String change, String state) {
}
