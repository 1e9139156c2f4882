package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.history.FindTelemetrySummary;
import io.twinplatform.api.model.Timestamps;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.stereotype.Component;

/** Answers {@link FindTelemetrySummary}, for the one read of a twin with its telemetry. */
@Component
class TelemetrySummary {

    private final TelemetryStore store;

    TelemetrySummary(TelemetryStore store) {
        this.store = store;
    }

    @QueryHandler
    ObjectNode summary(FindTelemetrySummary query) {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("from", Timestamps.format(query.from()));
        answer.put("to", Timestamps.format(query.to()));
        answer.set("series", store.summary(query.twinId(), query.from(), query.to()));
        return answer;
    }
}
