package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static io.twinplatform.api.model.TestJson.MAPPER;
import static io.twinplatform.api.model.TestJson.json;
import static io.twinplatform.api.model.TestJson.normalized;
import static io.twinplatform.api.model.TestJson.object;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the device channel adds to the twin document: {@code configSync} (has the device caught up with desired?),
 * the {@code invalidStateTransition} flag, and {@code connectionState} and {@code lastActivityTime} from connection
 * events.
 */
class TwinStateDeviceTest {

    private static final String DEVICE = "thermostat-0042";
    private static final Instant T1 = Instant.parse("2026-03-02T08:15:04.217Z");
    private static final Instant T2 = Instant.parse("2026-03-02T08:15:29.604Z");
    private static final Instant T3 = Instant.parse("2026-03-02T08:15:31.842Z");

    @Nested
    class ConfigSync {

        @Test
        void aNewTwinWithoutDesiredIsInSync() {
            TwinState twin = created("{}", "{}");

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":1,\"reportedVersion\":null,\"inSync\":true}"));
        }

        @Test
        void withoutAReportedConfigVersionInSyncFollowsTheDelta() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":1,\"reportedVersion\":null,\"inSync\":false}"));

            report(twin, "{\"targetTemp\":21.5}", 2, 2, T2);

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":1,\"reportedVersion\":null,\"inSync\":true}"));
        }

        @Test
        void aDeviceThatReportsAnOlderConfigVersionIsNotInSyncEvenWithAnEmptyDelta() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");
            patchDesired(twin, "{\"targetTemp\":22}", 2, 2, T2);

            report(twin, "{\"targetTemp\":22,\"configVersion\":1}", 2, 3, T3);

            assertThat(twin.render().get("delta")).isEqualTo(json("{}"));
            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":2,\"reportedVersion\":1,\"inSync\":false}"));
        }

        @Test
        void aDeviceThatReportsTheDesiredVersionWithAnEmptyDeltaIsInSync() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");
            patchDesired(twin, "{\"targetTemp\":22}", 2, 2, T2);

            report(twin, "{\"targetTemp\":22,\"configVersion\":2}", 2, 3, T3);

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":2,\"reportedVersion\":2,\"inSync\":true}"));
        }

        @Test
        void aDeviceThatReportsTheDesiredVersionButADifferentValueIsNotInSync() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");
            patchDesired(twin, "{\"targetTemp\":22}", 2, 2, T2);

            report(twin, "{\"targetTemp\":21.5,\"configVersion\":2}", 2, 3, T3);

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":2,\"reportedVersion\":2,\"inSync\":false}"));
        }

        @Test
        void aConfigVersionThatIsNotAnIntegerIsShownAsNone() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");

            report(twin, "{\"targetTemp\":21.5,\"configVersion\":\"v1\"}", 2, 2, T2);

            assertThat(normalized(twin.render().get("configSync"))).isEqualTo(json(
                    "{\"desiredVersion\":1,\"reportedVersion\":null,\"inSync\":true}"));
        }

        @Test
        void survivesReadingTheDocumentBack() {
            TwinState twin = created("{}", "{\"targetTemp\":21.5}");
            patchDesired(twin, "{\"targetTemp\":22}", 2, 2, T2);
            report(twin, "{\"targetTemp\":22,\"configVersion\":1}", 2, 3, T3);

            TwinState read = TwinState.fromDocument(twin.render());

            assertThat(normalized(read.render().get("configSync")))
                    .isEqualTo(normalized(twin.render().get("configSync")));
        }
    }

    @Nested
    class InvalidStateTransition {

        @Test
        void aTwinWhoseDeviceReportedNoForbiddenMoveHasNoFlag() {
            TwinState twin = created("{\"deviceType\":\"thermostat\"}", "{}");
            report(twin, "{\"state\":\"idle\"}", 2, 2, T2);

            assertThat(twin.render().has("invalidStateTransition")).isFalse();
            assertThat(twin.reportedState()).isEqualTo("idle");
        }

        @Test
        void isRaisedByTheEventAtItsTime() {
            TwinState twin = idleThenPaused();

            ObjectNode doc = twin.render();

            assertThat(doc.get("invalidStateTransition")).isEqualTo(json(
                    "{\"from\":\"idle\",\"to\":\"paused\",\"deviceType\":\"thermostat\","
                            + "\"at\":\"2026-03-02T08:15:31.842Z\"}"));
            assertThat(doc.get("version").longValue()).isEqualTo(4);
            assertThat(doc.at("/properties/reported/state").textValue()).isEqualTo("paused");
        }

        @Test
        void showsANullFromForAFirstReportedState() {
            TwinState twin = created("{}", "{}");
            report(twin, "{\"state\":\"running\"}", 2, 2, T3);
            twin.apply(new InvalidStateTransitionReported(DEVICE, "default", null, "running", 3), T3);

            assertThat(twin.render().get("invalidStateTransition")).isEqualTo(json(
                    "{\"from\":null,\"to\":\"running\",\"deviceType\":\"default\","
                            + "\"at\":\"2026-03-02T08:15:31.842Z\"}"));
        }

        @Test
        void staysWhileTheDeviceReportsOtherProperties() {
            TwinState twin = idleThenPaused();

            report(twin, "{\"currentTemp\":20.9}", 4, 5, T3);

            assertThat(twin.render().has("invalidStateTransition")).isTrue();
        }

        @Test
        void isClearedByTheNextReportedState() {
            TwinState twin = idleThenPaused();

            report(twin, "{\"state\":\"running\"}", 4, 5, T3);

            assertThat(twin.render().has("invalidStateTransition")).isFalse();
        }

        @Test
        void isClearedWhenTheDeviceRemovesItsState() {
            TwinState twin = idleThenPaused();

            report(twin, "{\"state\":null}", 4, 5, T3);

            assertThat(twin.render().has("invalidStateTransition")).isFalse();
            assertThat(twin.reportedState()).isNull();
        }

        @Test
        void isRaisedAgainByAForbiddenNextState() {
            TwinState twin = idleThenPaused();

            report(twin, "{\"state\":\"maintenance\"}", 4, 5, T3);
            twin.apply(new InvalidStateTransitionReported(DEVICE, "thermostat", "paused", "maintenance", 6), T3);

            assertThat(twin.render().at("/invalidStateTransition/from").textValue()).isEqualTo("paused");
            assertThat(twin.render().at("/invalidStateTransition/to").textValue()).isEqualTo("maintenance");
        }

        @Test
        void isGoneWhenTheTwinIsCreatedAgain() {
            TwinState twin = idleThenPaused();
            twin.apply(new TwinDeleted(DEVICE, 5), T3);

            twin.apply(new TwinCreated(DEVICE, DEVICE, null, object("{}"), object("{}"), 1, 1, 6), T3);

            assertThat(twin.render().has("invalidStateTransition")).isFalse();
        }

        @Test
        void survivesReadingTheDocumentBack() throws JsonProcessingException {
            TwinState twin = idleThenPaused();
            ObjectNode doc = twin.render();

            TwinState read = TwinState.fromDocument((ObjectNode) MAPPER.readTree(doc.toString()));

            assertThat(normalized(read.render())).isEqualTo(normalized(doc));
            assertThat(read.reportedState()).isEqualTo("paused");
        }

        @Test
        void aNullFromSurvivesReadingTheDocumentBack() {
            TwinState twin = created("{}", "{}");
            report(twin, "{\"state\":\"running\"}", 2, 2, T3);
            twin.apply(new InvalidStateTransitionReported(DEVICE, "default", null, "running", 3), T3);

            TwinState read = TwinState.fromDocument(twin.render());

            assertThat(read.render().get("invalidStateTransition"))
                    .isEqualTo(twin.render().get("invalidStateTransition"));
            assertThat(read.render().at("/invalidStateTransition/from").isNull()).isTrue();
        }

        @Test
        void aReadBackTwinClearsTheFlagLikeTheOriginal() {
            TwinState original = idleThenPaused();
            TwinState read = TwinState.fromDocument(original.render());

            for (TwinState twin : new TwinState[] {original, read}) {
                report(twin, "{\"state\":\"idle\"}", 4, 5, T3);
            }

            assertThat(read.render().has("invalidStateTransition")).isFalse();
            assertThat(normalized(read.render())).isEqualTo(normalized(original.render()));
        }

        /** Idle at T2, then paused at T3, which the default machine forbids: flagged right after. */
        private TwinState idleThenPaused() {
            TwinState twin = created("{\"deviceType\":\"thermostat\"}", "{}");
            report(twin, "{\"state\":\"idle\"}", 2, 2, T2);
            report(twin, "{\"state\":\"paused\"}", 3, 3, T3);
            twin.apply(new InvalidStateTransitionReported(DEVICE, "thermostat", "idle", "paused", 4), T3);
            return twin;
        }
    }

    @Nested
    class Connection {

        @Test
        void aNewTwinIsDisconnectedWithoutActivity() {
            TwinState twin = created("{}", "{}");

            assertThat(twin.connectionState()).isEqualTo(TwinState.DISCONNECTED);
            assertThat(twin.render().get("lastActivityTime").isNull()).isTrue();
        }

        @Test
        void aConnectionSetsTheStateAndTheActivityTime() {
            TwinState twin = created("{}", "{}");

            twin.apply(new TwinConnectionChanged(DEVICE, TwinConnectionChanged.CONNECTED, 2), T2);

            ObjectNode doc = twin.render();
            assertThat(twin.connectionState()).isEqualTo("Connected");
            assertThat(doc.get("connectionState").textValue()).isEqualTo("Connected");
            assertThat(doc.get("lastActivityTime").textValue()).isEqualTo("2026-03-02T08:15:29.604Z");
            assertThat(doc.get("version").longValue()).isEqualTo(2);
        }

        @Test
        void aDisconnectionKeepsTheTimeItWasHeard() {
            TwinState twin = created("{}", "{}");
            twin.apply(new TwinConnectionChanged(DEVICE, TwinConnectionChanged.CONNECTED, 2), T2);

            twin.apply(new TwinConnectionChanged(DEVICE, TwinConnectionChanged.DISCONNECTED, 3), T3);

            ObjectNode doc = twin.render();
            assertThat(doc.get("connectionState").textValue()).isEqualTo("Disconnected");
            assertThat(doc.get("lastActivityTime").textValue()).isEqualTo("2026-03-02T08:15:31.842Z");
            assertThat(doc.get("version").longValue()).isEqualTo(3);
        }

        @Test
        void survivesReadingTheDocumentBack() {
            TwinState twin = created("{}", "{}");
            twin.apply(new TwinConnectionChanged(DEVICE, TwinConnectionChanged.CONNECTED, 2), T2);

            TwinState read = TwinState.fromDocument(twin.render());

            assertThat(read.connectionState()).isEqualTo("Connected");
            assertThat(read.render().get("lastActivityTime").textValue()).isEqualTo("2026-03-02T08:15:29.604Z");
        }

        @Test
        void aTwinCreatedAgainIsDisconnected() {
            TwinState twin = created("{}", "{}");
            twin.apply(new TwinConnectionChanged(DEVICE, TwinConnectionChanged.CONNECTED, 2), T2);
            twin.apply(new TwinDeleted(DEVICE, 3), T2);

            twin.apply(new TwinCreated(DEVICE, DEVICE, null, object("{}"), object("{}"), 1, 1, 4), T3);

            assertThat(twin.connectionState()).isEqualTo("Disconnected");
            assertThat(twin.render().get("lastActivityTime").isNull()).isTrue();
        }
    }

    // ---- helpers

    private static TwinState created(String tags, String desired) {
        return TwinState.created(new TwinCreated(DEVICE, DEVICE, null, object(tags), object(desired), 1, 1, 1), T1);
    }

    private static void report(TwinState twin, String patch, long reportedVersion, long version, Instant at) {
        twin.apply(new ReportedPropertiesPatched(DEVICE, twin.reported().effectivePatch(object(patch)),
                reportedVersion, version, null), at);
    }

    private static void patchDesired(TwinState twin, String patch, long desiredVersion, long version, Instant at) {
        twin.apply(new TwinPatched(DEVICE, null, twin.desired().effectivePatch(object(patch)), desiredVersion, version),
                at);
    }
}
