package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.simulator.DeviceSimulator;
import io.twinplatform.simulator.SimulatorCommand;
import io.twinplatform.simulator.SimulatorSettings;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator that learns and replays, against the whole platform: a device is recorded over MQTT (reported patches
 * and telemetry with known values and spacing), replayed into a new twin as fast as possible, and learned from by a
 * small fleet whose telemetry stays in the learned range; the raw samples endpoint pages through a recording and
 * refuses a bad parameter at its name. The broker's TLS port is a free one, never 8883.
 */
class SimulatorLearnReplayTest extends SimulatorPlatformTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aReplayedDeviceMakesTheSameReportedPatchesAndTelemetryWithTheSameSpacing() throws Exception {
        String source = "rec-source";
        assertThat(http.put("/twins/" + source, q("{'tags':{'site':'lab'},'properties':{'desired':{'mode':'eco'}}}"))
                .status()).isEqualTo(201);
        http.awaitJson("/twins/" + source + "/history", h -> h.path("items").size() >= 1, WAIT);
        Instant from = Instant.now();
        // Telemetry ts within [from, to): 0, 1.5 and 6 seconds after t0, a moment after from.
        Instant t0 = from.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Instant to = t0.plusSeconds(10);
        List<String> patches = List.of("{'a':1}", "{'b':'x','nested':{'c':true}}", "{'a':2,'b':null}");
        try (MqttDevice device = MqttDevice.connect(deviceBroker(), source, broker.deviceKeys().password(source))
                .subscribe()) {
            for (int i = 0; i < patches.size(); i++) {
                ObjectNode patch = (ObjectNode) TwinHttp.j(patches.get(i));
                device.publish("reported", patch.put("clientToken", "p" + i).toString());
                device.await("reported/accepted");
                device.publish("telemetry", q("{'temperature':" + (20.5 + i) + ",'humidity':" + (40 + i) + ",'ts':'"
                        + t0.plusMillis(1500L * i * i) + "'}"));
                Thread.sleep(200);
            }
        }
        http.awaitJson("/twins/" + source + "/telemetry/samples?from=" + t0 + "&to=" + to,
                s -> s.path("items").size() == 6, WAIT);
        http.awaitJson("/twins/" + source + "/history?channel=device&from=" + from, h -> reportedPatches(h).size() == 3,
                WAIT);

        String into = "rec-copy";
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SimulatorCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("--replay", source, "--from", from.toString(), "--to", to.toString(), "--into", into,
                        "--speed", "0", "--data-dir", DATA_DIR.toString(), "--port", Integer.toString(broker.tlsPort()),
                        "--platform-url", "http://127.0.0.1:" + port);
        assertThat(code).as("out: %s err: %s", out, err).isZero();
        assertThat(out.toString()).contains("3 reported patches, 3 telemetry messages");

        JsonNode copy = http.get("/twins/" + into).json();
        assertThat(copy.path("tags").path("site").asText()).isEqualTo("lab");
        assertThat(copy.path("properties").path("desired").path("mode").asText()).isEqualTo("eco");
        JsonNode history = http.awaitJson("/twins/" + into + "/history?channel=device&order=oldest",
                h -> reportedPatches(h).size() == 3, WAIT);
        JsonNode recorded = http.get("/twins/" + source + "/history?channel=device&order=oldest").json();
        assertThat(reportedPatches(history)).isEqualTo(reportedPatches(recorded));
        assertThat(reportedPatches(history).get(1)).isEqualTo(TwinHttp.j("{'b':'x','nested':{'c':true}}"));

        List<JsonNode> original = http.get("/twins/" + source + "/telemetry/samples?from=" + t0 + "&to=" + to).json()
                .path("items").findParents("ts");
        JsonNode replayed = http.awaitJson("/twins/" + into + "/telemetry/samples?from=" + from + "&to="
                + Instant.now().plus(Duration.ofHours(1)), s -> s.path("items").size() == 6, WAIT).path("items");
        Instant originalStart = Instant.parse(original.get(0).get("ts").asText());
        Instant replayedStart = Instant.parse(replayed.get(0).get("ts").asText());
        assertThat(replayedStart).as("shifted to the moment of the replay").isAfter(from);
        for (int i = 0; i < 6; i++) {
            assertThat(replayed.get(i).get("name").asText()).isEqualTo(original.get(i).get("name").asText());
            assertThat(replayed.get(i).get("value").asDouble()).isEqualTo(original.get(i).get("value").asDouble());
            assertThat(Duration.between(replayedStart, Instant.parse(replayed.get(i).get("ts").asText())))
                    .isEqualTo(Duration.between(originalStart, Instant.parse(original.get(i).get("ts").asText())));
        }
    }

    @Test
    void aFleetThatLearnedFromARecordedTwinSendsTelemetryWithinTheLearnedRangeAndStartsFromItsReportedState()
            throws Exception {
        String source = "learn-source";
        assertThat(http.put("/twins/" + source, q("{'tags':{'site':'lab'}}")).status()).isEqualTo(201);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<double[]> recorded = new ArrayList<>();
        try (MqttDevice device = MqttDevice.connect(deviceBroker(), source, broker.deviceKeys().password(source))
                .subscribe()) {
            device.publish("reported", q("{'location':'hall','clientToken':'r1'}"));
            device.await("reported/accepted");
            for (int i = 0; i < 30; i++) {
                double temperature = 20 + i % 5;
                double humidity = 50 - (i % 3);
                Instant ts = now.minusSeconds(10L * i);
                recorded.add(new double[]{ts.toEpochMilli(), temperature, humidity});
                device.publish("telemetry", q("{'temperature':" + temperature + ",'humidity':" + humidity + ",'ts':'"
                        + ts + "'}"));
            }
        }
        http.awaitJson("/twins/" + source + "/telemetry/samples?limit=10000", s -> s.path("items").size() == 60, WAIT);
        Map<String, double[]> range = learnedRange(recorded);

        try (DeviceSimulator fleet = DeviceSimulator.start(SimulatorSettings.parse("--devices", "3",
                "--id-prefix", "learner-", "--learn-from", source, "--days", "1",
                "--data-dir", DATA_DIR.toString(), "--port", Integer.toString(broker.tlsPort()),
                "--platform-url", "http://127.0.0.1:" + port, "--telemetry-interval", "0.2",
                "--report-interval", "0", "--state-interval", "0", "--summary-interval", "0", "--seed", "5"))) {
            assertThat(fleet.awaitConnected(WAIT)).as("%s", fleet.stats()).isTrue();
            for (String id : fleet.twinIds()) {
                JsonNode samples = http.awaitJson("/twins/" + id + "/telemetry/samples",
                        s -> s.path("items").size() >= 10, WAIT).path("items");
                Set<String> names = new HashSet<>();
                for (JsonNode sample : samples) {
                    String name = sample.get("name").asText();
                    names.add(name);
                    assertThat(sample.get("value").asDouble()).as("%s %s of %s", name, sample, id)
                            .isBetween(range.get(name)[0], range.get(name)[1]);
                }
                assertThat(names).containsExactlyInAnyOrder("temperature", "humidity");
                assertThat(http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported").has("location"),
                        WAIT).path("properties").path("reported").path("location").asText()).isEqualTo("hall");
            }
        }
    }

    @Test
    void theSamplesEndpointPagesThroughARecordingAndRefusesABadParameterAtItsName() {
        String id = "paged-source";
        assertThat(http.put("/twins/" + id, q("{'tags':{}}")).status()).isEqualTo(201);
        Instant t0 = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        try (MqttDevice device = MqttDevice.connect(deviceBroker(), id, broker.deviceKeys().password(id))) {
            for (int i = 0; i < 10; i++) {
                device.publish("telemetry", q("{'b':" + i + ",'a':" + (100 + i) + ",'ts':'" + t0.plusSeconds(i) + "'}"));
            }
        }
        String range = "from=" + t0 + "&to=" + t0.plusSeconds(60);
        http.awaitJson("/twins/" + id + "/telemetry/samples?" + range, s -> s.path("items").size() == 20, WAIT);

        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = http.get("/twins/" + id + "/telemetry/samples?" + range + "&limit=3"
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).json();
            page.path("items").forEach(item -> seen.add(item.get("ts").asText() + "/" + item.get("name").asText()
                    + "=" + item.get("value").asInt()));
            after = page.path("next").isNull() ? null : page.path("next").asText();
            pages++;
        } while (after != null && pages < 20);

        assertThat(pages).isEqualTo(7);
        assertThat(seen).hasSize(20).doesNotHaveDuplicates();
        assertThat(seen.get(0)).isEqualTo(t0 + "/a=100");
        assertThat(seen.get(1)).isEqualTo(t0 + "/b=0");
        assertThat(seen.get(19)).isEqualTo(t0.plusSeconds(9) + "/b=9");

        JsonNode problem = TwinHttp.assertProblem(http.get("/twins/" + id + "/telemetry/samples?limit=10001"), 400,
                "invalidParameter");
        assertThat(problem.path("path").asText()).isEqualTo("limit");
        JsonNode cursor = TwinHttp.assertProblem(http.get("/twins/" + id + "/telemetry/samples?after=nonsense"), 400,
                "invalidParameter");
        assertThat(cursor.path("path").asText()).isEqualTo("after");
    }

    private MqttDevice.Broker deviceBroker() {
        return MqttDevice.Broker.tls("127.0.0.1", broker.tlsPort(), DATA_DIR.resolve("mqtt/tls/ca.crt"));
    }

    /** The reported patches of a history page, in its order. */
    private static List<JsonNode> reportedPatches(JsonNode history) {
        List<JsonNode> patches = new ArrayList<>();
        for (JsonNode item : history.path("items")) {
            if (item.path("eventType").asText().endsWith("ReportedPropertiesPatched")) {
                patches.add(item.path("change").path("patch"));
            }
        }
        return patches;
    }

    /**
     * Per series, the widest band of mean ± 3 standard deviations (n - 1) over the recorded samples' UTC hours and
     * over all of them: what the learned profile lets a sample reach.
     */
    private static Map<String, double[]> learnedRange(List<double[]> recorded) {
        Map<String, double[]> range = new HashMap<>();
        String[] names = {"temperature", "humidity"};
        for (int column = 1; column <= 2; column++) {
            Map<Integer, List<Double>> byHour = new HashMap<>();
            List<Double> all = new ArrayList<>();
            for (double[] row : recorded) {
                int hour = Instant.ofEpochMilli((long) row[0]).atZone(ZoneOffset.UTC).getHour();
                byHour.computeIfAbsent(hour, h -> new ArrayList<>()).add(row[column]);
                all.add(row[column]);
            }
            double low = Double.MAX_VALUE;
            double high = -Double.MAX_VALUE;
            List<List<Double>> groups = new ArrayList<>(byHour.values());
            groups.add(all);
            for (List<Double> values : groups) {
                double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                double squares = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
                double deviation = values.size() > 1 ? Math.sqrt(squares / (values.size() - 1)) : 0;
                low = Math.min(low, mean - 3 * deviation - 1e-9);
                high = Math.max(high, mean + 3 * deviation + 1e-9);
            }
            range.put(names[column - 1], new double[]{low, high});
        }
        return range;
    }
}
