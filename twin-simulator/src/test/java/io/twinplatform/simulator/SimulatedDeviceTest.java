package io.twinplatform.simulator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceStateMachine;
import io.twinplatform.simulator.DeviceAction.Drop;
import io.twinplatform.simulator.DeviceAction.Publish;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The device side of the protocol without a broker: a {@link SimulatedDevice} is told it connected, is handed what
 * the platform would send, and is stepped through time; the tests read the messages it asks to publish.
 */
class SimulatedDeviceTest {

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_SINGLE_QUOTES);
    private static final Instant T0 = Instant.parse("2026-01-05T08:00:00Z");
    /** Every periodic behaviour off, so that a test sees only what it provokes. */
    private static final String[] QUIET = {"--telemetry-interval", "0", "--state-interval", "0", "--seed", "7"};

    private final SimulatorCounters counters = new SimulatorCounters();
    private Instant now = T0;

    @Test
    void connectingPublishesTheBirthMessageThenAsksForTheWholeTwin() {
        SimulatedDevice device = device();

        List<DeviceAction> actions = device.connected(now);

        assertThat(actions).hasSize(2);
        Publish birth = (Publish) actions.get(0);
        assertThat(birth.kind()).isEqualTo("connection");
        assertThat(birth.payload()).isEqualTo(json("{'state':'Connected'}"));
        Publish get = (Publish) actions.get(1);
        assertThat(get.kind()).isEqualTo("get");
        assertThat(get.clientToken()).isNotBlank();
    }

    @Test
    void appliesTheDesiredSectionOfItsTwinAndReportsBackWhatItHonoursWithTheConfigVersion() {
        SimulatedDevice device = connectedDevice();

        ObjectNode patch = onlyReport(device.received("get/accepted", twin(
                "{'telemetryInterval':5,'mode':'eco','limits':{'max':30},'$version':3,"
                        + "'$metadata':{'$lastUpdated':'2026-01-05T07:00:00Z'}}", "{}"), now));

        assertThat(patch.get("telemetryInterval").asInt()).isEqualTo(5);
        assertThat(patch.get("mode").asText()).isEqualTo("eco");
        assertThat(patch.get("limits")).isEqualTo(json("{'max':30}"));
        assertThat(patch.get("configVersion").asLong()).isEqualTo(3);
        assertThat(patch.get("state").asText()).isEqualTo("idle");
        assertThat(patch.get("firmwareVersion").asText()).isEqualTo("1.0.0");
        assertThat(patch.get("firmware")).isEqualTo(json("{'status':'Current','version':'1.0.0','error':null}"));
        assertThat(patch.get("clientToken").asText()).isNotBlank();
        assertThat(patch.has("$metadata")).isFalse();
        assertThat(patch.has("$version")).isFalse();
        assertThat(device.desiredVersion()).isEqualTo(3);
        assertThat(device.telemetryInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void ignoresADesiredNotificationWhoseVersionItAlreadyHolds() {
        SimulatedDevice device = syncedDevice("{'telemetryInterval':5,'$version':3}");

        List<DeviceAction> same = device.received("desired", json("{'telemetryInterval':9,'$version':3}"), now);
        List<DeviceAction> older = device.received("desired", json("{'telemetryInterval':7,'$version':2}"), now);

        assertThat(same).isEmpty();
        assertThat(older).isEmpty();
        assertThat(device.desiredVersion()).isEqualTo(3);
        assertThat(device.telemetryInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(counters.desiredReceived.sum()).isEqualTo(2);
        assertThat(counters.desiredStale.sum()).isEqualTo(2);
    }

    @Test
    void appliesANewerDesiredNotificationAndReportsOnlyTheConfiguration() {
        SimulatedDevice device = syncedDevice("{'telemetryInterval':5,'$version':3}");

        ObjectNode patch = onlyReport(device.received("desired",
                json("{'telemetryInterval':10,'$version':4}"), now));

        assertThat(fieldNames(patch)).containsExactlyInAnyOrder("telemetryInterval", "configVersion", "clientToken");
        assertThat(patch.get("telemetryInterval").asInt()).isEqualTo(10);
        assertThat(patch.get("configVersion").asLong()).isEqualTo(4);
        assertThat(device.desiredVersion()).isEqualTo(4);
    }

    @Test
    void afterAReconnectTheTwinFromGetWinsAndNotificationsQueuedMeanwhileAreIgnored() {
        SimulatedDevice device = syncedDevice("{'mode':'eco','$version':3}");
        device.disconnected();
        device.connected(now);

        ObjectNode patch = onlyReport(device.received("get/accepted", twin("{'mode':'away','$version':5}", "{}"),
                now));
        List<DeviceAction> queued4 = device.received("desired", json("{'mode':'home','$version':4}"), now);
        List<DeviceAction> queued5 = device.received("desired", json("{'mode':'away','$version':5}"), now);

        assertThat(patch.get("mode").asText()).isEqualTo("away");
        assertThat(patch.get("configVersion").asLong()).isEqualTo(5);
        assertThat(queued4).isEmpty();
        assertThat(queued5).isEmpty();
        assertThat(device.desiredVersion()).isEqualTo(5);
    }

    @Test
    void aReconnectWithNothingNewReportsItsStatusButNoConfigVersion() {
        SimulatedDevice device = syncedDevice("{'mode':'eco','$version':3}");
        device.disconnected();
        device.connected(now);

        ObjectNode patch = onlyReport(device.received("get/accepted", twin("{'mode':'eco','$version':3}", "{}"),
                now));

        assertThat(fieldNames(patch)).containsExactlyInAnyOrder("state", "firmwareVersion", "firmware",
                "clientToken");
    }

    @Test
    void aDesiredKeyThatIsRemovedIsRemovedFromReportedToo() {
        SimulatedDevice device = syncedDevice("{'mode':'eco','fan':'auto','$version':3}");

        ObjectNode patch = onlyReport(device.received("desired", json("{'fan':'auto','$version':4}"), now));

        assertThat(patch.get("mode").isNull()).isTrue();
        assertThat(patch.get("fan").asText()).isEqualTo("auto");
    }

    @Test
    void aTelemetryIntervalThatIsNotAPositiveNumberIsNotHonoured() {
        SimulatedDevice device = syncedDevice("{'telemetryInterval':5,'$version':3}");

        ObjectNode patch = onlyReport(device.received("desired",
                json("{'telemetryInterval':'often','$version':4}"), now));

        assertThat(patch.has("telemetryInterval")).isFalse();
        assertThat(device.telemetryInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void takesOverTheStateAndFirmwareItsTwinReportsOnItsFirstSync() {
        SimulatedDevice device = connectedDevice();

        ObjectNode patch = onlyReport(device.received("get/accepted",
                twin("{'$version':1}", "{'state':'paused','firmwareVersion':'1.4.0'}"), now));

        assertThat(device.state()).isEqualTo("paused");
        assertThat(device.firmwareVersion()).isEqualTo("1.4.0");
        assertThat(patch.get("state").asText()).isEqualTo("paused");
    }

    @Test
    void asksAgainWhenNoTwinArrives() {
        SimulatedDevice device = connectedDevice();

        List<Publish> gets = kind(advanceTo(device, now.plus(SimulatedDevice.GET_RETRY)), "get");

        assertThat(gets).hasSize(1);
    }

    @Test
    void publishesNothingWhileDisconnected() {
        SimulatedDevice device = device("--telemetry-interval", "1", "--report-interval", "1", "--state-interval",
                "1", "--seed", "7");
        device.connected(now);
        device.received("get/accepted", twin("{'$version':1}", "{}"), now);
        device.disconnected();

        List<DeviceAction> actions = advanceTo(device, now.plusSeconds(60));

        assertThat(actions).isEmpty();
    }

    @Nested
    class Telemetry {

        @Test
        void carriesTemperatureHumidityAndItsTime() {
            SimulatedDevice device = device("--telemetry-interval", "10", "--state-interval", "0");
            device.connected(now);

            List<Publish> telemetry = kind(advanceTo(device, now.plusSeconds(10)), "telemetry");

            assertThat(telemetry).hasSize(1);
            ObjectNode sample = telemetry.get(0).payload();
            assertThat(fieldNames(sample)).containsExactlyInAnyOrder("temperature", "humidity", "ts");
            assertThat(sample.get("temperature").asDouble()).isBetween(10.0, 30.0);
            assertThat(sample.get("humidity").asDouble()).isBetween(0.0, 100.0);
            assertThat(sample.get("ts").asLong()).isBetween(T0.toEpochMilli(), T0.plusSeconds(10).toEpochMilli());
        }

        @Test
        void followsTheDesiredIntervalAtOnceFractionalSecondsIncluded() {
            SimulatedDevice device = device("--telemetry-interval", "3600", "--state-interval", "0");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            device.received("desired", json("{'telemetryInterval':0.5,'$version':2}"), now);
            List<Publish> telemetry = kind(advanceTo(device, now.plusSeconds(10)), "telemetry");

            assertThat(telemetry).hasSize(20);
        }

        @Test
        void goesBackToItsDefaultIntervalWhenTheDesiredOneIsRemoved() {
            SimulatedDevice device = device("--telemetry-interval", "60", "--state-interval", "0");
            device.connected(now);
            device.received("get/accepted", twin("{'telemetryInterval':1,'$version':1}", "{}"), now);

            ObjectNode patch = onlyReport(device.received("desired", json("{'$version':2}"), now));

            assertThat(device.telemetryInterval()).isEqualTo(Duration.ofSeconds(60));
            assertThat(patch.get("telemetryInterval").isIntegralNumber()).isTrue();
            assertThat(patch.get("telemetryInterval").asLong()).isEqualTo(60);
        }

        @Test
        void reportedTemperaturePatchesGoOutAtTheReportInterval() {
            SimulatedDevice device = device("--report-interval", "2", "--telemetry-interval", "0",
                    "--state-interval", "0");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            List<Publish> reports = kind(advanceTo(device, now.plusSeconds(20)), "reported");

            assertThat(reports).hasSize(10);
            assertThat(reports).allSatisfy(report -> assertThat(fieldNames(report.payload()))
                    .containsExactlyInAnyOrder("temperature", "humidity", "clientToken"));
        }
    }

    @Nested
    class States {

        @Test
        void everyReportedStateIsAnAllowedStepFromThePreviousOne() {
            SimulatedDevice device = device("--state-interval", "10", "--telemetry-interval", "0",
                    "--error-rate", "0.2", "--seed", "11");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            List<Publish> reports = kind(advanceTo(device, now.plus(Duration.ofHours(10))), "reported");

            assertThat(reports).hasSizeGreaterThan(3000);
            String previous = "idle";
            Set<String> visited = new HashSet<>();
            for (Publish report : reports) {
                String next = report.payload().get("state").asText();
                assertThat(DeviceStateMachine.DEFAULT.allows(previous, next)).as(previous + " → " + next).isTrue();
                assertThat(next).isNotEqualTo(previous);
                visited.add(next);
                previous = next;
            }
            assertThat(visited).containsExactlyInAnyOrder("idle", "running", "paused", "error", "maintenance");
        }

        @Test
        void withoutAnErrorRateNoDeviceEverFaults() {
            SimulatedDevice device = device("--state-interval", "10", "--telemetry-interval", "0");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            List<Publish> reports = kind(advanceTo(device, now.plus(Duration.ofHours(10))), "reported");

            assertThat(reports).extracting(report -> report.payload().get("state").asText())
                    .doesNotContain("error");
        }

        @Test
        void noStepIsTakenBeforeTheDeviceHasItsTwin() {
            SimulatedDevice device = device("--state-interval", "1", "--telemetry-interval", "0");
            device.connected(now);

            List<DeviceAction> actions = advanceTo(device, now.plusSeconds(20));

            assertThat(kind(actions, "reported")).isEmpty();
            assertThat(device.state()).isEqualTo("idle");
        }
    }

    @Nested
    class Firmware {

        @Test
        void anUpdateGoesFromCurrentThroughDownloadingAndApplyingToCurrent() {
            SimulatedDevice device = connectedDevice("--firmware-step", "2");
            ObjectNode first = onlyReport(device.received("get/accepted", twin("{'$version':1}", "{}"), now));

            ObjectNode downloading = onlyReport(device.received("desired",
                    json("{'firmwareVersion':'2.0.0','$version':2}"), now));
            List<Publish> applying = kind(advanceTo(device, now.plusSeconds(2)), "reported");
            List<Publish> current = kind(advanceTo(device, now.plusSeconds(2)), "reported");

            assertThat(first.get("firmware")).isEqualTo(json("{'status':'Current','version':'1.0.0','error':null}"));
            assertThat(downloading.get("firmware")).isEqualTo(json("{'status':'Downloading','version':'2.0.0'}"));
            assertThat(downloading.has("firmwareVersion")).isFalse();
            assertThat(applying).singleElement().satisfies(report -> assertThat(report.payload().get("firmware"))
                    .isEqualTo(json("{'status':'Applying','version':'2.0.0'}")));
            assertThat(current).singleElement().satisfies(report -> {
                assertThat(report.payload().get("firmware")).isEqualTo(json("{'status':'Current','version':'2.0.0'}"));
                assertThat(report.payload().get("firmwareVersion").asText()).isEqualTo("2.0.0");
            });
            assertThat(device.firmwareVersion()).isEqualTo("2.0.0");
            assertThat(advanceTo(device, now.plusSeconds(60))).isEmpty();
        }

        @Test
        void atErrorRateOneAnUpdateEndsInErrorAndARunningDeviceFaults() {
            SimulatedDevice device = connectedDevice("--error-rate", "1");
            device.received("get/accepted", twin("{'$version':1}", "{'state':'running'}"), now);

            device.received("desired", json("{'firmwareVersion':'2.0.0','$version':2}"), now);
            List<Publish> reports = kind(advanceTo(device, now.plusSeconds(4)), "reported");

            ObjectNode last = reports.get(reports.size() - 1).payload();
            assertThat(last.get("firmware").get("status").asText()).isEqualTo("Error");
            assertThat(last.get("firmware").get("version").asText()).isEqualTo("2.0.0");
            assertThat(last.get("firmware").get("error").asText()).contains("2.0.0");
            assertThat(last.get("state").asText()).isEqualTo("error");
            assertThat(last.has("firmwareVersion")).isFalse();
            assertThat(device.firmwareVersion()).isEqualTo("1.0.0");
            assertThat(counters.firmwareFailures.sum()).isEqualTo(1);
        }

        @Test
        void aFailedUpdateOfAnIdleDeviceLeavesItsStateAlone() {
            SimulatedDevice device = connectedDevice("--error-rate", "1");
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            device.received("desired", json("{'firmwareVersion':'2.0.0','$version':2}"), now);
            List<Publish> reports = kind(advanceTo(device, now.plusSeconds(4)), "reported");

            assertThat(reports.get(reports.size() - 1).payload().has("state")).isFalse();
            assertThat(device.state()).isEqualTo("idle");
        }

        @Test
        void aFailedVersionIsTriedAgainOnlyWithANewerDesiredSection() {
            SimulatedDevice device = connectedDevice("--error-rate", "1");
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);
            device.received("desired", json("{'firmwareVersion':'2.0.0','$version':2}"), now);
            advanceTo(device, now.plusSeconds(4));

            List<DeviceAction> stale = device.received("desired", json("{'firmwareVersion':'2.0.0','$version':2}"),
                    now);
            ObjectNode retry = onlyReport(device.received("desired",
                    json("{'firmwareVersion':'2.0.0','mode':'eco','$version':3}"), now));

            assertThat(stale).isEmpty();
            assertThat(retry.get("firmware"))
                    .as("the error message is removed from reported with the next status")
                    .isEqualTo(json("{'status':'Downloading','version':'2.0.0','error':null}"));
        }

        @Test
        void aDeviceThatReconnectsAfterAFailedUpdateStillReportsTheError() {
            SimulatedDevice device = connectedDevice("--error-rate", "1");
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);
            device.received("desired", json("{'firmwareVersion':'2.0.0','$version':2}"), now);
            advanceTo(device, now.plusSeconds(4));
            device.disconnected();
            device.connected(now);

            ObjectNode status = onlyReport(device.received("get/accepted",
                    twin("{'firmwareVersion':'2.0.0','$version':2}", "{}"), now));

            assertThat(status.get("firmware").get("status").asText()).isEqualTo("Error");
            assertThat(status.get("firmware").get("error").asText()).contains("2.0.0");
            assertThat(status.get("firmwareVersion").asText()).isEqualTo("1.0.0");
        }

        @Test
        void aNewVersionDesiredDuringAnUpdateRestartsIt() {
            SimulatedDevice device = connectedDevice();
            device.received("get/accepted", twin("{'firmwareVersion':'2.0.0','$version':1}", "{}"), now);
            advanceTo(device, now.plusSeconds(2));

            ObjectNode restart = onlyReport(device.received("desired",
                    json("{'firmwareVersion':'3.0.0','$version':2}"), now));
            advanceTo(device, now.plusSeconds(4));

            assertThat(restart.get("firmware")).isEqualTo(json("{'status':'Downloading','version':'3.0.0'}"));
            assertThat(device.firmwareVersion()).isEqualTo("3.0.0");
        }
    }

    @Nested
    class Faults {

        @Test
        void atDuplicateRateOneEveryReportedPatchIsPublishedTwiceWithTheSameClientToken() {
            SimulatedDevice device = connectedDevice("--duplicate-rate", "1");

            List<DeviceAction> actions = device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            assertThat(actions).hasSize(2);
            assertThat(((Publish) actions.get(0)).clientToken()).isEqualTo(((Publish) actions.get(1)).clientToken());
            assertThat(counters.duplicates.sum()).isEqualTo(1);
        }

        @Test
        void everyOtherReportCarriesAFreshClientTokenOfThisRun() {
            SimulatedDevice device = device("--report-interval", "1", "--telemetry-interval", "0",
                    "--state-interval", "0");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            List<Publish> reports = kind(advanceTo(device, now.plusSeconds(100)), "reported");

            assertThat(reports).extracting(Publish::clientToken).doesNotHaveDuplicates()
                    .allSatisfy(token -> assertThat(token).startsWith("run1-").hasSizeLessThanOrEqualTo(64));
        }

        @Test
        void atDisconnectRateOneADeviceDropsOncePerMinute() {
            SimulatedDevice device = device("--disconnect-rate", "1", "--telemetry-interval", "0",
                    "--state-interval", "0");
            device.connected(now);

            List<DeviceAction> firstMinute = advanceTo(device, now.plus(SimulatedDevice.DISCONNECT_PERIOD));

            assertThat(firstMinute).filteredOn(action -> action instanceof Drop).hasSize(1);
            device.disconnected();
            assertThat(advanceTo(device, now.plus(Duration.ofMinutes(5)))).isEmpty();
        }

        @Test
        void withoutADisconnectRateADeviceNeverDrops() {
            SimulatedDevice device = device("--telemetry-interval", "1", "--state-interval", "1");
            device.connected(now);
            device.received("get/accepted", twin("{'$version':1}", "{}"), now);

            assertThat(advanceTo(device, now.plus(Duration.ofHours(1)))).noneMatch(action -> action instanceof Drop);
        }
    }

    private SimulatedDevice device(String... options) {
        String[] all = Stream.concat(Arrays.stream(QUIET), Arrays.stream(options)).toArray(String[]::new);
        SimulatorSettings settings = SimulatorSettings.parse(all);
        Random random = new Random(settings.seed());
        return new SimulatedDevice("sim-0001", settings, random, TemperatureModel.forDevice(random, ZoneOffset.UTC),
                "run1", counters, now);
    }

    private SimulatedDevice connectedDevice(String... options) {
        SimulatedDevice device = device(options);
        device.connected(now);
        return device;
    }

    private SimulatedDevice syncedDevice(String desired) {
        SimulatedDevice device = connectedDevice();
        device.received("get/accepted", twin(desired, "{}"), now);
        return device;
    }

    /** Steps the device's clock from wake-up to wake-up until {@code until}, collecting what it publishes. */
    private List<DeviceAction> advanceTo(SimulatedDevice device, Instant until) {
        List<DeviceAction> actions = new ArrayList<>();
        Instant next = device.nextWakeUp();
        while (next != null && !next.isAfter(until)) {
            now = next;
            actions.addAll(device.tick(now));
            next = device.nextWakeUp();
        }
        now = until;
        return actions;
    }

    private static ObjectNode onlyReport(List<DeviceAction> actions) {
        assertThat(actions).hasSize(1);
        Publish publish = (Publish) actions.get(0);
        assertThat(publish.kind()).isEqualTo("reported");
        return publish.payload();
    }

    private static List<Publish> kind(List<DeviceAction> actions, String kind) {
        return actions.stream().filter(action -> action instanceof Publish publish && publish.kind().equals(kind))
                .map(Publish.class::cast).toList();
    }

    private static ObjectNode twin(String desired, String reported) {
        return (ObjectNode) json("{'deviceId':'sim-0001','version':4,'properties':{'desired':" + desired
                + ",'reported':" + reported + "},'delta':{}}");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static <T extends JsonNode> T json(String text) {
        try {
            @SuppressWarnings("unchecked")
            T node = (T) JSON.readTree(text);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
