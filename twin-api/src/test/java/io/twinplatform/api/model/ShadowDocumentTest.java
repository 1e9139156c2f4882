package io.twinplatform.api.model;

import static io.twinplatform.api.model.TestJson.json;
import static io.twinplatform.api.model.TestJson.normalized;
import static io.twinplatform.api.model.TestJson.object;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinPatched;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ShadowDocumentTest {


    private static final String DEVICE = "lamp-7";
    private static final Instant T1 = Instant.parse("2024-05-01T10:00:00.900Z");
    private static final Instant T2 = Instant.parse("2024-05-01T11:00:00Z");
    private static final Instant T3 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Instant NOW = Instant.parse("2024-05-01T13:00:00Z");

    @Test
    void rendersStateMetadataVersionTimestampAndClientToken() {
        TwinState twin = created("{\"color\":\"red\",\"light\":{\"on\":true,\"level\":{\"max\":9}}}");
        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"color\":\"blue\",\"light\":{\"on\":true}}"), 2, 2, null), T2);

        ObjectNode shadow = ShadowDocument.render(twin, "token-1", NOW);

        assertThat(normalized(shadow)).isEqualTo(json("""
                {
                  "state": {
                    "desired":  {"color": "red", "light": {"on": true, "level": {"max": 9}}},
                    "reported": {"color": "blue", "light": {"on": true}},
                    "delta":    {"color": "red", "light": {"level": {"max": 9}}}
                  },
                  "metadata": {
                    "desired": {
                      "color": {"timestamp": %d},
                      "light": {"on": {"timestamp": %d}, "level": {"max": {"timestamp": %d}}}
                    },
                    "reported": {
                      "color": {"timestamp": %d},
                      "light": {"on": {"timestamp": %d}}
                    }
                  },
                  "version": 2,
                  "timestamp": %d,
                  "clientToken": "token-1"
                }""".formatted(
                T1.getEpochSecond(), T1.getEpochSecond(), T1.getEpochSecond(),
                T2.getEpochSecond(), T2.getEpochSecond(),
                NOW.getEpochSecond())));
    }

    @Test
    void givesMetadataTimestampsInWholeEpochSeconds() {
        TwinState twin = created("{\"color\":\"red\"}");

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.at("/metadata/desired/color/timestamp").isIntegralNumber()).isTrue();
        assertThat(shadow.at("/metadata/desired/color/timestamp").longValue()).isEqualTo(1714557600L);
    }

    @Test
    void givesEachLeafTheTimeOfItsOwnLastChange() {
        TwinState twin = created("{\"color\":\"red\",\"level\":3}");
        ObjectNode patch = twin.desired().effectivePatch(object("{\"level\":4}"));
        twin.apply(new TwinPatched(DEVICE, null, patch, 2, 2), T3);

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.at("/metadata/desired/color/timestamp").longValue()).isEqualTo(T1.getEpochSecond());
        assertThat(shadow.at("/metadata/desired/level/timestamp").longValue()).isEqualTo(T3.getEpochSecond());
    }

    @Test
    void treatsAnArrayAsOneLeaf() {
        TwinState twin = created("{\"colors\":[\"red\",\"green\"]}");

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.at("/state/desired/colors")).isEqualTo(json("[\"red\",\"green\"]"));
        assertThat(normalized(shadow.at("/metadata/desired/colors"))).isEqualTo(json("{\"timestamp\":%d}".formatted(T1.getEpochSecond())));
    }

    @Test
    void usesTheTwinVersionAsTheShadowVersion() {
        TwinState twin = created("{\"color\":\"red\"}");
        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"color\":\"red\"}"), 2, 2, null), T2);
        twin.apply(new TwinPatched(DEVICE, object("{\"site\":\"x\"}"), null, 1, 3), T3);

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.get("version").longValue()).isEqualTo(3);
    }

    @Test
    void omitsEmptySectionsAndTheEmptyDelta() {
        TwinState twin = TwinState.created(new TwinCreated(DEVICE, DEVICE, null, null, null, 1, 1, 1), T1);

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(normalized(shadow)).isEqualTo(json("""
                {"state": {}, "metadata": {}, "version": 1, "timestamp": %d}""".formatted(NOW.getEpochSecond())));
    }

    @Test
    void omitsTheDeltaWhenReportedMatchesDesired() {
        TwinState twin = created("{\"t\":30}");
        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":30.0,\"battery\":80}"), 2, 2, null), T2);

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.get("state").has("delta")).isFalse();
        assertThat(shadow.get("state").has("desired")).isTrue();
        assertThat(shadow.get("state").has("reported")).isTrue();
    }

    @Test
    void omitsDesiredButKeepsReportedWhenOnlyTheDeviceReported() {
        TwinState twin = created("{}");
        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":21}"), 2, 2, null), T2);

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);

        assertThat(shadow.get("state")).isEqualTo(json("{\"reported\":{\"t\":21}}"));
        assertThat(normalized(shadow.get("metadata"))).isEqualTo(json("{\"reported\":{\"t\":{\"timestamp\":%d}}}".formatted(T2.getEpochSecond())));
    }

    @Test
    void leavesOutTheClientTokenWhenThereIsNone() {
        ObjectNode shadow = ShadowDocument.render(created("{\"t\":1}"), null, NOW);

        assertThat(shadow.has("clientToken")).isFalse();
    }

    @Test
    void doesNotShareTreesWithTheTwin() {
        TwinState twin = created("{\"light\":{\"on\":true}}");

        ObjectNode shadow = ShadowDocument.render(twin, null, NOW);
        ((ObjectNode) shadow.at("/state/desired/light")).put("on", false);

        assertThat(twin.desired().values()).isEqualTo(json("{\"light\":{\"on\":true}}"));
    }

    private static TwinState created(String desired) {
        return TwinState.created(new TwinCreated(DEVICE, DEVICE, null, null, object(desired), 1, 1, 1), T1);
    }

    /** A refusal reaches an AWS device as AWS's error document, with AWS's code and sentence for it. */
    @Test
    void refusalsBecomeAwsErrorDocuments() {
        assertError(TwinError.at(ErrorKind.MALFORMED, "malformedJson", "@3", "bad"), 400, "Invalid JSON");
        assertError(TwinError.at(ErrorKind.MALFORMED, "notAnObject", "$.state.reported", "x"), 400,
                "Reported node must be an object");
        assertError(TwinError.at(ErrorKind.MALFORMED, "tooDeep", "$.state.desired.a",
                "nesting at $.state.desired.a is deeper than 10 levels"), 400,
                "JSON contains too many levels of nesting; maximum is 10");
        assertError(TwinError.at(ErrorKind.MALFORMED, TextRule.INVALID_UTF8, "@0", "x"), 415,
                "Unsupported documented encoding; supported encoding is UTF-8");
        assertError(TwinError.at(ErrorKind.UNPROCESSABLE, "stringTooLong", "$.state.reported.s", "x"), 400,
                "State contains an invalid node");
        assertError(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "x"), 404,
                "No shadow exists with name: 'camera'");
        assertError(TwinError.of(ErrorKind.CONFLICT, "versionConflict", "x"), 409, "Version conflict");
        assertError(TwinError.of(ErrorKind.TOO_LARGE, "sectionTooLarge", "x"), 413,
                "The payload exceeds the maximum size allowed");
        assertError(TwinError.of(ErrorKind.TOO_MANY_REQUESTS, "throttled", "x"), 429, "Too many requests");
        assertError(TwinError.of(ErrorKind.UNAVAILABLE, "databaseUnavailable", "x"), 500, "Internal service failure");

        ObjectNode error = ShadowDocument.error(TwinError.of(ErrorKind.CONFLICT, "versionConflict", "x"), "camera",
                "tok", NOW);
        assertThat(normalized(error)).isEqualTo(json("{\"code\":409,\"message\":\"Version conflict\",\"timestamp\":"
                + NOW.getEpochSecond() + ",\"clientToken\":\"tok\"}"));
    }

    /** The delta notification holds the whole delta with desired's timestamps; none when the two sections agree. */
    @Test
    void deltaNotificationHoldsTheWholeDeltaOrIsNotSent() {
        TwinState twin = created("{\"color\":\"red\",\"fan\":2}");
        ObjectNode delta = ShadowDocument.delta(twin, null, NOW);
        assertThat(delta.get("state")).isEqualTo(json("{\"color\":\"red\",\"fan\":2}"));
        assertThat(delta.at("/metadata/fan/timestamp").asLong()).isEqualTo(T1.getEpochSecond());
        assertThat(delta.get("version").asLong()).isEqualTo(1);
        assertThat(delta.has("clientToken")).isFalse();

        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"color\":\"red\",\"fan\":2}"), 2, 2, null), T2);
        assertThat(ShadowDocument.delta(twin, "t", NOW)).isNull();
    }

    /** The documents notification pairs the shadow before and after, without a delta in either. */
    @Test
    void documentsPairTheShadowBeforeAndAfter() {
        TwinState twin = created("{\"color\":\"red\"}");
        ObjectNode before = ShadowDocument.snapshot(twin);
        twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"color\":\"blue\"}"), 2, 2, null), T2);
        ObjectNode documents = ShadowDocument.documents(before, ShadowDocument.snapshot(twin), "u1", NOW);

        assertThat(documents.at("/previous/state")).isEqualTo(json("{\"desired\":{\"color\":\"red\"}}"));
        assertThat(documents.at("/previous/version").asLong()).isEqualTo(1);
        assertThat(documents.at("/current/state")).isEqualTo(
                json("{\"desired\":{\"color\":\"red\"},\"reported\":{\"color\":\"blue\"}}"));
        assertThat(documents.at("/current/metadata/reported/color/timestamp").asLong()).isEqualTo(T2.getEpochSecond());
        assertThat(documents.at("/current/version").asLong()).isEqualTo(2);
        assertThat(documents.has("timestamp")).isTrue();
        assertThat(documents.get("clientToken").asText()).isEqualTo("u1");
    }

    private static void assertError(TwinError refusal, int code, String message) {
        ObjectNode error = ShadowDocument.error(refusal, "camera", null, NOW);
        assertThat(error.get("code").asInt()).as("%s", refusal).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
        assertThat(error.has("clientToken")).isFalse();
    }
}
