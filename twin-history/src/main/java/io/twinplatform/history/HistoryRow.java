package io.twinplatform.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;

/** One row of {@code twin_history}: a twin event, its audit metadata, its change and the twin after it. */
record HistoryRow(Instant time, String twinId, String deviceId, String moduleId, long version, Long desiredVersion,
                  Long reportedVersion, String eventType, String eventId, long globalIndex, String principal,
                  String channel, String transport, String correlationId, String causationId, String reason,
                  List<String> paths, JsonNode change, ObjectNode state) {
}
