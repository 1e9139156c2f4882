package io.twinplatform.api.history;

import java.time.Instant;

/**
 * Query: a summary of a twin's telemetry in {@code [from, to)}, per series: count, mean, least, greatest, and the
 * latest value with its instant. Answered with an {@code ObjectNode}: {@code from}, {@code to}, {@code series}.
 */
public record FindTelemetrySummary(String twinId, Instant from, Instant to) {
}
