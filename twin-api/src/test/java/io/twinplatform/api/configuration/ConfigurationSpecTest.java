package io.twinplatform.api.configuration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TwinJson;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A configuration's body in Azure's shape: what is read from it, and every mistake refused at its path. */
class ConfigurationSpecTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    /** JSON with ` for its double quotes, so that the queries' string literals keep their single quotes. */
    private static final String VALID = "{`targetCondition`:`tags.environment='prod'`,`priority`:10,"
            + "`content`:{`deviceContent`:{`properties.desired.telemetryConfig`:{`sendFrequency`:`5m`}}},"
            + "`metrics`:{`queries`:{`compliant`:`SELECT deviceId FROM devices WHERE"
            + " properties.reported.telemetryConfig.status='Success'`}},`labels`:{`team`:`ops`}}";

    @Test
    void readsAnAzureShapedConfiguration() {
        ConfigurationSpec spec = ConfigurationSpec.parse("telemetry-5m", json(VALID));

        assertThat(spec.targetCondition()).isEqualTo("tags.environment='prod'");
        assertThat(spec.priority()).isEqualTo(10);
        assertThat(spec.deviceContent().path("properties.desired.telemetryConfig").path("sendFrequency").asText())
                .isEqualTo("5m");
        assertThat(spec.moduleContent()).isEmpty();
        assertThat(spec.metrics()).containsOnlyKeys("compliant");
        assertThat(spec.labels()).containsEntry("team", "ops");
    }

    @Test
    void contentIsComparedForTheImmutabilityRule() {
        ConfigurationSpec first = ConfigurationSpec.parse("c1", json(VALID));
        ConfigurationSpec retargeted = ConfigurationSpec.parse("c1", json(VALID.replace("'prod'", "'test'")
                .replace("`priority`:10", "`priority`:20")));
        ConfigurationSpec other = ConfigurationSpec.parse("c1", json(VALID.replace("`5m`", "`1m`")));

        assertThat(first.sameContent(retargeted)).isTrue();
        assertThat(first.sameContent(other)).isFalse();
    }

    @Test
    void refusesEachMistakeAtItsPath() {
        refused("Upper-Case", VALID, ErrorKind.MALFORMED, "invalidConfigurationId", "id");
        refused("x".repeat(129), VALID, ErrorKind.MALFORMED, "invalidConfigurationId", "id");
        refused("c1", "[]", ErrorKind.MALFORMED, "invalidConfiguration", "$");
        refused("c1", VALID.replace("`labels`", "`tags`"), ErrorKind.MALFORMED, "unknownMember", "$.tags");
        refused("c1", VALID.replace("{`targetCondition`", "{`id`:`c2`,`targetCondition`"), ErrorKind.MALFORMED,
                "idMismatch", "$.id");
        refused("c1", VALID.replace("`tags.environment='prod'`", "``"), ErrorKind.MALFORMED,
                "missingTargetCondition", "$.targetCondition");
        refused("c1", VALID.replace("tags.environment='prod'", "tags.environment = = 'prod'"), ErrorKind.MALFORMED,
                null, "$.targetCondition@");
        refused("c1", VALID.replace("`priority`:10", "`priority`:-1"), ErrorKind.UNPROCESSABLE, "invalidPriority",
                "$.priority");
        refused("c1", VALID.replace("`priority`:10", "`priority`:1.5"), ErrorKind.UNPROCESSABLE, "invalidPriority",
                "$.priority");
        refused("c1", VALID.replace("`properties.desired.telemetryConfig`", "`tags.site`"), ErrorKind.UNPROCESSABLE,
                "notDesiredPath", "$.content.deviceContent");
        refused("c1", VALID.replace("{`deviceContent`:{`properties.desired.telemetryConfig`:{`sendFrequency`:`5m`}}}",
                "{`deviceContent`:{}}"), ErrorKind.UNPROCESSABLE, "emptyContent", "$.content");
        refused("c1", VALID.replace("SELECT deviceId FROM devices WHERE", "SELECT FROM"), ErrorKind.MALFORMED, null,
                "$.metrics.queries.compliant");
        refused("c1", VALID.replace("`team`:`ops`", "`team`:3"), ErrorKind.MALFORMED, "invalidLabels",
                "$.labels.team");
        refused("c1", VALID.replace("`content`:{`deviceContent`:{`properties.desired.telemetryConfig`:{`sendFrequency`:"
                + "`5m`}}},", ""), ErrorKind.MALFORMED, "missingContent", "$.content");
        refused("c1", VALID.replace("{`deviceContent`:{`properties.desired.telemetryConfig`:{`sendFrequency`:`5m`}}}",
                "{`deviceContent`:[1]}"), ErrorKind.MALFORMED, "invalidContent", "$.content.deviceContent");
        refused("c1", VALID.replace("{`queries`:{`compliant`", "{`queries`:{`not ok`"), ErrorKind.MALFORMED,
                "invalidMetric", "$.metrics.queries");
        refused("c1", VALID.replace("`metrics`:{`queries`:", "`metrics`:{`queries`:[],`x`:"), ErrorKind.MALFORMED,
                "invalidMetrics", "$.metrics");
    }

    private static void refused(String id, String body, ErrorKind kind, String code, String pathPrefix) {
        assertThatThrownBy(() -> ConfigurationSpec.parse(id, json(body)))
                .isInstanceOfSatisfying(TwinException.class, e -> {
                    assertThat(e.error().kind()).as("%s", e.error()).isEqualTo(kind);
                    if (code != null) {
                        assertThat(e.error().code()).isEqualTo(code);
                    }
                    assertThat(e.error().path()).as("%s", e.error()).startsWith(pathPrefix);
                });
    }

    private static JsonNode json(String backQuoted) {
        try {
            return JSON.readTree(backQuoted.replace('`', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(backQuoted, e);
        }
    }
}
