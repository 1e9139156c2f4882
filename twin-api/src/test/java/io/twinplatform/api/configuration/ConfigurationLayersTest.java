package io.twinplatform.api.configuration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.ConfigurationLayers.Layer;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TwinJson;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layering per desired path: priority, then the most recent; leaving and deleting; content paths refused. */
class ConfigurationLayersTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();

    @Test
    void theHighestPriorityWinsEachPathAndTheOthersKeepTheirs() {
        Layer base = layer("base", 1, 1, "{'properties.desired.telemetry':{'interval':60},'properties.desired.mode':'eco'}");
        Layer urgent = layer("urgent", 10, 2, "{'properties.desired.telemetry':{'interval':5}}");

        assertThat(ConfigurationLayers.owners(List.of(base, urgent)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("properties.desired.telemetry", "urgent",
                        "properties.desired.mode", "base"));
    }

    @Test
    void aTieGoesToTheMostRecentlyCreated() {
        Layer older = layer("older", 5, 100, "{'properties.desired.fw':'1.0'}");
        Layer newer = layer("newer", 5, 200, "{'properties.desired.fw':'2.0'}");

        assertThat(ConfigurationLayers.owners(List.of(newer, older))).containsEntry("properties.desired.fw", "newer");
        assertThat(ConfigurationLayers.owners(List.of(older, newer))).containsEntry("properties.desired.fw", "newer");
    }

    @Test
    void aKeyReplacesItsPathWholeAndAStrongerKeyWinsInsideAWeakerValue() {
        Layer whole = layer("whole", 1, 1, "{'properties.desired.telemetry':{'interval':60,'unit':'s'}}");
        Layer inner = layer("inner", 2, 2, "{'properties.desired.telemetry.interval':5}");
        Layer outer = layer("outer", 3, 3, "{'properties.desired.telemetry':{'batch':true}}");

        assertThat(ConfigurationLayers.owners(List.of(whole, inner))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "properties.desired.telemetry", "whole", "properties.desired.telemetry.interval", "inner"));
        assertThat(ConfigurationLayers.owners(List.of(whole, inner, outer)))
                .containsExactlyEntriesOf(Map.of("properties.desired.telemetry", "outer"));
    }

    @Test
    void contentSetsDesiredPathsOnly() {
        assertThat(ConfigurationContent.desired((ObjectNode) json(
                "{'properties.desired.telemetryConfig':{'sendFrequency':'5m'},'properties.desired.a.b':[1,2]}"),
                "$.content.deviceContent"))
                .isEqualTo(json("{'telemetryConfig':{'sendFrequency':'5m'},'a':{'b':[1,2]}}"));

        assertRefused("{'tags.site':'x'}", "notDesiredPath");
        assertRefused("{'properties.reported.x':1}", "notDesiredPath");
        assertRefused("{'properties.desired.':1}", "invalidContentPath");
        assertRefused("{'properties.desired.a..b':1}", "invalidContentPath");
        assertRefused("{'properties.desired.$version':1}", "invalidContentPath");
        assertRefused("{'properties.desired.x':null}", "nullContent");
        assertRefused("{'properties.desired.a':{'b':1},'properties.desired.a.b':2}", "overlappingContentPaths");
    }

    private static void assertRefused(String content, String code) {
        assertThatThrownBy(() -> ConfigurationContent.desired((ObjectNode) json(content), "$.content.deviceContent"))
                .isInstanceOfSatisfying(TwinException.class, e -> {
                    assertThat(e.error().kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
                    assertThat(e.error().code()).isEqualTo(code);
                    assertThat(e.error().path()).startsWith("$.content.deviceContent");
                });
    }

    private static Layer layer(String id, int priority, long created, String content) {
        return new Layer(id, priority, created, (ObjectNode) json(content));
    }

    private static JsonNode json(String singleQuoted) {
        try {
            return JSON.readTree(singleQuoted.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }
}
