package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.twinplatform.api.model.Timestamps;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The computed attributes over a twin's history rather than telemetry: {@code uptime} (the share of the window the
 * twin was Connected), {@code timeInState} (the share of the window a reported property held {@code state}) and
 * {@code errorCount} (how many times in the window it became {@code state}). The twin's value at each instant is
 * the one its latest event before that instant left; time before the twin's first event is not counted, so a twin
 * created within the window is judged on the part it existed.
 */
final class HistoryFunctions {

    static final JsonNode CONNECTED = TextNode.valueOf("Connected");

    private HistoryFunctions() {
    }

    /**
     * The value of {@code definition} over {@code (from, end]}, given the twin's value as of {@code from} (first, if
     * its history starts before) and after each event in the range; {@code null} with {@code detail.reason} when the
     * twin has no history in the window.
     */
    static Double value(ComputedDefinition definition, List<ComputedStore.HistoryValue> values, Instant from,
                        Instant end, ObjectNode detail) {
        JsonNode target = definition.function() == ComputedFunction.UPTIME ? CONNECTED : definition.state();
        long events = values.stream().filter(v -> v.time().isAfter(from)).count();
        detail.put("events", events);
        if (values.isEmpty()) {
            detail.put("reason", "noHistory");
            return null;
        }
        if (definition.function() == ComputedFunction.ERROR_COUNT) {
            int count = 0;
            for (int i = 0; i < values.size(); i++) {
                boolean now = same(values.get(i).value(), target);
                boolean before = i > 0 && same(values.get(i - 1).value(), target);
                if (values.get(i).time().isAfter(from) && now && !before) {
                    count++;
                }
            }
            return (double) count;
        }
        Instant coveredFrom = values.get(0).time().isAfter(from) ? values.get(0).time() : from;
        long matched = 0;
        for (int i = 0; i < values.size(); i++) {
            Instant start = values.get(i).time().isAfter(from) ? values.get(i).time() : from;
            Instant stop = i + 1 < values.size() ? values.get(i + 1).time() : end;
            if (same(values.get(i).value(), target) && stop.isAfter(start)) {
                matched += Duration.between(start, stop).toMillis();
            }
        }
        long covered = Duration.between(coveredFrom, end).toMillis();
        detail.put("coveredFrom", Timestamps.format(coveredFrom));
        detail.put("coveredSeconds", covered / 1000.0);
        detail.put("matchedSeconds", matched / 1000.0);
        if (covered <= 0) {
            detail.put("reason", "noTimeSpread");
            return null;
        }
        return matched / (double) covered;
    }

    /** Whether a value is {@code target}: numbers by their value ({@code 1} is {@code 1.0}), the rest as JSON. */
    static boolean same(JsonNode value, JsonNode target) {
        if (value == null || target == null) {
            return false;
        }
        if (value.isNumber() && target.isNumber()) {
            return value.decimalValue().compareTo(target.decimalValue()) == 0;
        }
        return value.equals(target);
    }
}
