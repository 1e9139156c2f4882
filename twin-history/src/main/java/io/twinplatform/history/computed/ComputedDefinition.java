package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * An operator's definition of a computed attribute, as {@link ComputedDefinitions#parse} accepted it: which twins
 * ({@code targetCondition}), which telemetry series ({@code series}), over which window, computed how. The members a
 * function does not need may still be given (they are validated and kept), so an operator can switch the function
 * without rewriting the rest.
 *
 * @param name            1 to 64 characters of {@code [A-Za-z][A-Za-z0-9_]*}
 * @param targetCondition the twins it applies to, a query condition (not parsed here)
 * @param function        what is computed
 * @param source          what it reads: telemetry, the connection state or a reported property
 * @param series          the telemetry series ({@code input} without {@code telemetry.}), the reported property's
 *                        path ({@code input} without {@code reported.}), or empty for the connection state
 * @param window          how far back the samples of one computation reach, 1 minute to 90 days
 * @param baselineDays    days of baseline for an anomaly score, 1 to 90; {@code null} when not given
 * @param minSamples      the fewest samples a result needs (per hour of day, for an anomaly score); default
 *                        {@value ComputedDefinitions#DEFAULT_MIN_SAMPLES}
 * @param percentile      which percentile, above 0 and at most 100; {@code null} when not given
 * @param threshold       the failure threshold of a remaining useful life; {@code null} when not given
 * @param direction       which way the series degrades towards {@code threshold}; {@code null} when not given
 * @param alert           an alert on the computed value; {@code null} for none
 * @param state           for {@code timeInState} and {@code errorCount}: the reported value counted, a JSON string,
 *                        number or boolean; {@code null} otherwise
 */
public record ComputedDefinition(String name, String targetCondition, ComputedFunction function, ComputedSource source,
                                 String series, Duration window, Integer baselineDays, int minSamples,
                                 Double percentile, Double threshold, Direction direction, AlertHysteresis alert,
                                 JsonNode state) {

    public ComputedDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(targetCondition, "targetCondition");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(window, "window");
    }

    /** The {@code input} member: {@code telemetry.<series>}, {@code connection} or {@code reported.<path>}. */
    public String input() {
        return switch (source) {
            case TELEMETRY -> ComputedDefinitions.TELEMETRY_PREFIX + series;
            case CONNECTION -> ComputedDefinitions.CONNECTION;
            case REPORTED -> ComputedDefinitions.REPORTED_PREFIX + series;
        };
    }

    /**
     * This definition in the shape {@link ComputedDefinitions#parse} reads, with {@code minSamples} written out; parsing
     * it again gives an equal definition. The window is written as {@link Duration#toString()} does ({@code P7D}
     * comes back as {@code PT168H}).
     */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("targetCondition", targetCondition);
        json.put("function", function.wireName());
        json.put("input", input());
        json.put("window", window.toString());
        if (baselineDays != null) {
            json.put("baselineDays", baselineDays);
        }
        json.put("minSamples", minSamples);
        if (percentile != null) {
            json.put("percentile", percentile);
        }
        if (threshold != null) {
            json.put("threshold", threshold);
        }
        if (direction != null) {
            json.put("direction", direction.wireName());
        }
        if (state != null) {
            json.set("state", state);
        }
        if (alert != null) {
            ObjectNode node = json.putObject("alert");
            node.put(alert.side().name().toLowerCase(Locale.ROOT), alert.raise());
            node.put("clear", alert.clear());
        }
        return json;
    }
}
