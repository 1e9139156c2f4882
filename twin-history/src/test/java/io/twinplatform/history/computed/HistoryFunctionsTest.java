package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryFunctionsTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static ComputedDefinition definition(String body) {
        return ComputedDefinitions.parse("f", io.twinplatform.api.model.JsonBodies.parseObject(
                body.replace('\'', '"').getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static ComputedStore.HistoryValue at(long seconds, JsonNode value) {
        return new ComputedStore.HistoryValue(T0.plusSeconds(seconds), value);
    }

    private static final JsonNode CONNECTED = TextNode.valueOf("Connected");
    private static final JsonNode DISCONNECTED = TextNode.valueOf("Disconnected");

    @Test
    void uptimeIsTheShareOfTheWindowConnected() {
        ComputedDefinition uptime = definition("{'targetCondition':'*','function':'uptime','input':'connection',"
                + "'window':'PT100S'}");
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        // Disconnected before the window, Connected from 20 s to 70 s of the 100 s window: 0.5.
        Double value = HistoryFunctions.value(uptime, List.of(at(-10, DISCONNECTED), at(20, CONNECTED),
                at(70, DISCONNECTED)), T0, T0.plusSeconds(100), detail);
        assertThat(value).isEqualTo(0.5);
        assertThat(detail.get("events").asInt()).isEqualTo(2);
        assertThat(detail.get("matchedSeconds").asDouble()).isEqualTo(50.0);
    }

    @Test
    void aTwinCreatedWithinTheWindowIsJudgedOnThePartItExisted() {
        ComputedDefinition uptime = definition("{'targetCondition':'*','function':'uptime','input':'connection',"
                + "'window':'PT100S'}");
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        // Created at 50 s (Disconnected), Connected from 60 s to the end at 100 s: 40 of 50 seconds.
        Double value = HistoryFunctions.value(uptime, List.of(at(50, DISCONNECTED), at(60, CONNECTED)), T0,
                T0.plusSeconds(100), detail);
        assertThat(value).isEqualTo(0.8);
        assertThat(detail.get("coveredFrom").asText()).isEqualTo("2026-12-01T10:00:50Z");
    }

    @Test
    void noHistoryNoValue() {
        ComputedDefinition uptime = definition("{'targetCondition':'*','function':'uptime','input':'connection',"
                + "'window':'PT100S'}");
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        assertThat(HistoryFunctions.value(uptime, List.of(), T0, T0.plusSeconds(100), detail)).isNull();
        assertThat(detail.get("reason").asText()).isEqualTo("noHistory");
    }

    @Test
    void timeInStateCountsTheStateOfAReportedProperty() {
        ComputedDefinition running = definition("{'targetCondition':'*','function':'timeInState',"
                + "'input':'reported.state','window':'PT100S','state':'running'}");
        // running from before the window to 30 s, idle to 90 s, running to 100 s: 40 of 100 seconds.
        Double value = HistoryFunctions.value(running, List.of(at(-5, TextNode.valueOf("running")),
                at(30, TextNode.valueOf("idle")), at(90, TextNode.valueOf("running"))), T0, T0.plusSeconds(100),
                JsonNodeFactory.instance.objectNode());
        assertThat(value).isEqualTo(0.4);
    }

    @Test
    void errorCountCountsTheTimesTheValueBecameTheState() {
        ComputedDefinition errors = definition("{'targetCondition':'*','function':'errorCount',"
                + "'input':'reported.status','window':'PT100S','state':'error'}");
        // error before the window (not counted), ok, error, error again (no change), ok, error: 2 in the window.
        Double value = HistoryFunctions.value(errors, List.of(at(-5, TextNode.valueOf("error")),
                at(10, TextNode.valueOf("ok")), at(20, TextNode.valueOf("error")), at(25, TextNode.valueOf("error")),
                at(30, TextNode.valueOf("ok")), at(40, TextNode.valueOf("error"))), T0, T0.plusSeconds(100),
                JsonNodeFactory.instance.objectNode());
        assertThat(value).isEqualTo(2.0);
    }

    @Test
    void numbersAreTheSameByValue() {
        assertThat(HistoryFunctions.same(IntNode.valueOf(1), DoubleNode.valueOf(1.0))).isTrue();
        assertThat(HistoryFunctions.same(TextNode.valueOf("1"), IntNode.valueOf(1))).isFalse();
        assertThat(HistoryFunctions.same(null, IntNode.valueOf(1))).isFalse();
    }
}
