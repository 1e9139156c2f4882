package io.twinplatform.history.computed;

/**
 * What a computed attribute reads: a telemetry series ({@code telemetry.<series>}), the twin's connection state
 * ({@code connection}, from its connection events in the history) or one of its reported properties
 * ({@code reported.<path>}, from the history of its reports).
 */
public enum ComputedSource {
    TELEMETRY, CONNECTION, REPORTED
}
