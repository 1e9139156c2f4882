package io.twinplatform.query.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.history.FindComputedValues;
import io.twinplatform.api.history.FindRecentHistory;
import io.twinplatform.api.history.FindTelemetrySummary;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What {@code GET /twins/{id}?include=history,telemetry,computed&window=24h} adds to the twin, asked of the history
 * side over the query bus (all parts at once), so one round trip answers the twin with its recent past, its
 * telemetry and its computed attributes, as the seed's API shows.
 */
record TwinIncludes(Set<Part> parts, Duration window) {

    enum Part { HISTORY, TELEMETRY, COMPUTED }

    static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    static final Duration MIN_WINDOW = Duration.ofMinutes(1);
    static final Duration MAX_WINDOW = Duration.ofDays(90);
    /** The most changes {@code history} lists; {@code history.more} says whether the window holds more. */
    static final int HISTORY_ITEMS = 100;

    static TwinIncludes parse(String include, String window) {
        Set<Part> parts = EnumSet.noneOf(Part.class);
        if (include != null) {
            for (String item : include.split(",", -1)) {
                String name = item.trim();
                try {
                    parts.add(Part.valueOf(name.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw invalid("include", "include lists history, telemetry and computed, separated by commas;"
                            + " not '" + (name.length() > 40 ? name.substring(0, 40) + "…" : name) + "'");
                }
            }
        }
        Duration span = window == null ? DEFAULT_WINDOW : Timestamps.span("window", window, MIN_WINDOW, MAX_WINDOW);
        if (window != null && parts.isEmpty()) {
            throw invalid("window", "window goes with include");
        }
        return new TwinIncludes(parts, span);
    }

    boolean isEmpty() {
        return parts.isEmpty();
    }

    /** The twin with the parts asked for, each under its own name. */
    ObjectNode addTo(ObjectNode twin, TwinId id, QueryGateway queries, Instant now) {
        Instant from = now.minus(window);
        CompletableFuture<ObjectNode> history = parts.contains(Part.HISTORY)
                ? queries.query(new FindRecentHistory(id.value(), from, HISTORY_ITEMS), ObjectNode.class) : null;
        CompletableFuture<ObjectNode> telemetry = parts.contains(Part.TELEMETRY)
                ? queries.query(new FindTelemetrySummary(id.value(), from, now), ObjectNode.class) : null;
        CompletableFuture<ObjectNode> computed = parts.contains(Part.COMPUTED)
                ? queries.query(new FindComputedValues(id.value()), ObjectNode.class) : null;
        if (history != null) {
            ObjectNode part = answer(history, "history", "twin.history.enabled");
            part.put("window", window.toString());
            twin.set("history", part);
        }
        if (telemetry != null) {
            twin.set("telemetry", answer(telemetry, "telemetry", "twin.telemetry.enabled"));
        }
        if (computed != null) {
            twin.set("computed", answer(computed, "computed", "twin.telemetry.enabled"));
        }
        return twin;
    }

    private static ObjectNode answer(CompletableFuture<ObjectNode> future, String part, String setting) {
        try {
            JsonNode answer = future.join();
            return answer instanceof ObjectNode object ? object : JsonNodeFactory.instance.objectNode();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoHandlerForQueryException) {
                throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "includeNotAvailable",
                        "include=" + part + " needs a part of the platform (" + setting + ") this deployment does"
                                + " not run"));
            }
            throw e;
        }
    }

    private static TwinException invalid(String parameter, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", parameter, detail));
    }
}
