package io.twinplatform.history.telemetry;

import java.util.List;

/**
 * Published in this process (a Spring application event) once a batch of telemetry is committed, for what is
 * computed from it (computed attributes). Listeners run on the telemetry writer's thread: they hand the work on.
 *
 * @param samples the samples of the batch, as stored
 */
public record TelemetryStored(List<TelemetrySample> samples) {
}
