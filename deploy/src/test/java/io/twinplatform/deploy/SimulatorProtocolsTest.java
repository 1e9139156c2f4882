package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.simulator.DeviceSimulator;
import io.twinplatform.simulator.Protocol;
import io.twinplatform.simulator.SimulatorSettings;
import io.twinplatform.simulator.SimulatorStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator in each of its protocols against the whole platform: a small fleet creates its twins over HTTP with
 * the admin key, connects to the embedded broker with the credentials the platform made, reports, takes a desired change an operator makes over HTTP and reports it
 * back, and sends telemetry the platform stores; an operator's direct method reaches an Azure device and is answered.
 * The broker's TLS port is a free one, never 8883, which AzureDeviceTest's context must have.
 */
class SimulatorProtocolsTest extends SimulatorPlatformTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int DEVICES = 5;

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aFleetReportsTakesADesiredChangeAndSendsTelemetryThePlatformStores(Protocol protocol) throws Exception {
        String prefix = protocol.name().toLowerCase(Locale.ROOT) + "-fleet-";
        try (DeviceSimulator fleet = start(prefix, protocol)) {
            List<String> ids = fleet.twinIds();
            assertThat(fleet.awaitConnected(WAIT)).as("connected and got their twins: %s", fleet.stats()).isTrue();

            for (String id : ids) {
                JsonNode reported = http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported")
                        .has("temperature"), WAIT).get("properties").get("reported");
                assertThat(reported.get("state").asText()).isEqualTo("idle");
                assertThat(reported.get("firmwareVersion").asText()).isEqualTo("1.0.0");
                assertThat(reported.has("clientToken")).as("the client token is no reported property").isFalse();
            }

            for (String id : ids) {
                assertThat(http.patch("/twins/" + id,
                        q("{'properties':{'desired':{'mode':'eco','telemetryInterval':0.3}}}")).status())
                        .isEqualTo(200);
            }
            for (String id : ids) {
                JsonNode reported = http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported")
                        .path("mode").asText().equals("eco"), WAIT).get("properties").get("reported");
                assertThat(reported.get("telemetryInterval").asDouble()).isEqualTo(0.3);
                assertThat(reported.has("configVersion")).isTrue();
            }

            for (String id : ids) {
                JsonNode series = http.awaitJson("/twins/" + id + "/telemetry?bucket=1h",
                        t -> t.path("series").path("temperature").size() >= 1, WAIT).get("series");
                assertThat(series.get("temperature").get(0).get("count").asInt()).isPositive();
            }

            SimulatorStats stats = fleet.stats();
            assertThat(stats.connected()).isEqualTo(DEVICES);
            assertThat(stats.getAccepted()).isGreaterThanOrEqualTo(DEVICES);
            assertThat(stats.reportedAccepted()).isGreaterThanOrEqualTo(2L * DEVICES);
            assertThat(stats.reportedRejected()).isZero();
            assertThat(stats.desiredReceived()).isGreaterThanOrEqualTo(DEVICES);
            assertThat(stats.telemetry()).isPositive();
            assertThat(stats.publishFailures()).isZero();
            assertThat(stats.latencyP50()).as("publish to reported/accepted, measured").isNotNull();
        }
    }

    @Test
    void anOperatorCallsADirectMethodOnASimulatedAzureDeviceAndItAnswers200() throws Exception {
        try (DeviceSimulator fleet = start("azure-methods-", Protocol.AZURE)) {
            assertThat(fleet.awaitConnected(WAIT)).as("%s", fleet.stats()).isTrue();
            for (String id : fleet.twinIds()) {
                TwinHttp.Reply reply = http.post("/twins/" + id + "/methods/reboot",
                        q("{'payload':{'delay':0},'responseTimeoutInSeconds':10}"));
                assertThat(reply.status()).as("%s", reply).isEqualTo(200);
                assertThat(reply.json().get("status").asInt()).isEqualTo(200);
                assertThat(reply.json().get("payload").get("method").asText()).isEqualTo("reboot");
            }
        }
    }

    /** Starts a fleet whose twins the simulator creates, with the admin key the platform wrote to its data directory. */
    private DeviceSimulator start(String prefix, Protocol protocol) {
        DeviceSimulator fleet = DeviceSimulator.start(SimulatorSettings.parse("--devices", Integer.toString(DEVICES),
                "--id-prefix", prefix, "--protocol", protocol.name().toLowerCase(Locale.ROOT),
                "--data-dir", DATA_DIR.toString(), "--port", Integer.toString(broker.tlsPort()),
                "--platform-url", "http://127.0.0.1:" + port,
                "--report-interval", "0.5", "--telemetry-interval", "0.5", "--state-interval", "0",
                "--summary-interval", "0", "--seed", "1"));
        try {
            for (String id : fleet.twinIds()) {
                assertThat(http.get("/twins/" + id).json().path("tags").path("deviceType").asText())
                        .as("%s created by the simulator", id).isEqualTo("simulated-thermostat");
            }
        } catch (AssertionError e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }
}
