package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.simulator.DeviceSimulator;
import io.twinplatform.simulator.SimulatorSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's CI practice: the platform in its own JVM, as an operator runs it, and the simulator's 50 virtual
 * devices against it for about a minute, through the whole pipeline with no stand-in: the devices create their twins,
 * connect with their keys, report and send telemetry; an operator defines a computed attribute with an alert and
 * rolls a staged configuration out in two phases; the devices apply the desired change, the rollout completes on
 * their reports, the telemetry is stored, the history lists every change, the computed values are there and the
 * injected wear raises the alert.
 */
class FleetPipelineTest {

    private static final int DEVICES = 50;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void fiftySimulatedDevicesGoThroughTheWholePipeline() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        try (PlatformProcess platform = PlatformProcess.start(dataDir, Duration.ofSeconds(120))) {
            TwinHttp http = platform.http();
            assertThat(http.put("/computed/vibrationLife", q("{'targetCondition':'tags.deviceType = \\u0027"
                    + "simulated-thermostat\\u0027','function':'remainingUsefulLife','input':'telemetry.vibration',"
                    + "'window':'PT10M','minSamples':5,'threshold':11,'direction':'rising',"
                    + "'alert':{'below':24,'clear':48}}")).status()).isEqualTo(201);
            assertThat(http.put("/configurations/e2e-eco", q("{'targetCondition':'*','priority':10,'staged':true,"
                    + "'content':{'deviceContent':{'properties.desired.mode':'eco'}},"
                    + "'metrics':{'queries':{'compliant':'SELECT deviceId FROM devices WHERE"
                    + " properties.reported.mode = \\u0027eco\\u0027'}}}")).status()).isEqualTo(201);

            try (DeviceSimulator fleet = DeviceSimulator.start(SimulatorSettings.parse(
                    "--devices", Integer.toString(DEVICES), "--id-prefix", "e2e-", "--data-dir", dataDir.toString(),
                    "--platform-url", "http://127.0.0.1:" + platform.port(),
                    "--report-interval", "5", "--telemetry-interval", "1", "--state-interval", "0",
                    "--summary-interval", "0", "--seed", "21",
                    // Wear that reaches 11 in six minutes: its remaining life is below 24 hours from the start.
                    "--inject-degradation", "vibration:1:11:0.1"))) {
                List<String> ids = fleet.twinIds();
                assertThat(ids).hasSize(DEVICES);
                assertThat(fleet.awaitConnected(WAIT)).as("connected: %s", fleet.stats()).isTrue();

                TwinHttp.Reply rollout = http.post("/rollouts", q("{'id':'e2e-eco-all','configurationId':'e2e-eco',"
                        + "'phases':[{'name':'canary','percent':10},{'percent':100}],"
                        + "'success':{'metric':'compliant','minPercent':90,'soakSeconds':1},"
                        + "'failure':{'reportedCondition':'properties.reported.state = \\u0027error\\u0027',"
                        + "'maxPercent':50},"
                        + "'onFailure':'rollback','phaseTimeoutSeconds':120}"));
                assertThat(rollout.status()).as("%s", rollout).isEqualTo(201);
                JsonNode done = http.awaitJson("/rollouts/e2e-eco-all",
                        r -> r.path("status").asText().equals("completed"), Duration.ofSeconds(90));
                assertThat(done.path("status").asText()).isEqualTo("completed");

                JsonNode count = http.post("/query", q("{'query':'SELECT COUNT() AS n FROM devices WHERE"
                        + " properties.reported.mode = \\u0027eco\\u0027 AND inSync = true'}")).json();
                assertThat(count.get("items").get(0).get("n").asInt())
                        .as("every device applied the desired change and reported it back").isEqualTo(DEVICES);

                for (String id : ids) {
                    JsonNode twin = http.awaitJson("/twins/" + id + "?include=history,telemetry,computed&window=1h",
                            t -> t.path("computed").path("vibrationLife").path("value").isNumber()
                                    && t.path("alerts").has("vibrationLife")
                                    && t.at("/telemetry/series/vibration/count").asInt() >= 5, WAIT);
                    assertThat(twin.get("telemetry").get("series").get("temperature").get("count").asInt())
                            .as("telemetry of %s stored", id).isPositive();
                    assertThat(twin.get("telemetry").get("series").get("vibration").get("count").asInt())
                            .isGreaterThanOrEqualTo(5);
                    assertThat(twin.get("computed").get("vibrationLife").get("value").asDouble())
                            .as("hours left for %s", id).isLessThan(24);
                    List<String> kinds = twin.get("history").get("items").findValuesAsText("eventType");
                    assertThat(kinds).as("history of %s", id).contains("TwinCreated", "ReportedPropertiesPatched",
                            "TwinConfigurationsApplied", "AlertRaised");
                }
                JsonNode alerts = http.get("/alerts?name=vibrationLife&limit=100").json();
                assertThat(alerts.get("items").findValuesAsText("twinId")).containsExactlyInAnyOrderElementsOf(ids);
            }
        }
    }
}
