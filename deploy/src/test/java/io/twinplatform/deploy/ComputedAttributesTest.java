package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Computed attributes end to end (docs/predictive.md): definitions over HTTP, telemetry from devices over MQTT (with
 * their {@code ts}, so windows and baselines are exact), the values the platform computes as the telemetry arrives,
 * and alerts raised and cleared as twin events. Expected values are worked out by hand in each test.
 */
class ComputedAttributesTest extends DeviceChannelTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aMeanOverTheWindowIsComputedForTheTargetedTwinsOnly() {
        String kind = "pump-" + TwinHttp.newDeviceId();
        String name = "avgTemp" + suffix();
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'tags.kind = \\u0027" + kind + "\\u0027',"
                + "'function':'mean','input':'telemetry.temperature','window':'PT10M','minSamples':3}"))
                .status()).isEqualTo(201);
        String pump = createDevice("{'kind':'" + kind + "'}");
        String fan = createDevice("{'kind':'fan'}");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(5));
        try (MqttDevice device = device(pump); MqttDevice other = device(fan)) {
            // 10, 20, 30, 40 a minute apart: the mean is 25.
            for (int i = 0; i < 4; i++) {
                device.publish("telemetry", q("{'ts':'" + t0.plusSeconds(60L * i) + "','temperature':" + (10 * (i + 1))
                        + "}"));
                other.publish("telemetry", q("{'ts':'" + t0.plusSeconds(60L * i) + "','temperature':99}"));
            }
            JsonNode value = awaitValue(pump, name, v -> v.path("detail").path("samples").asInt() == 4);
            assertThat(value.get("value").asDouble()).isEqualTo(25.0);
            assertThat(value.get("computedAt").asText()).isEqualTo(t0.plusSeconds(180).toString());
            assertThat(value.get("detail").get("windowFrom").asText())
                    .isEqualTo(t0.plusSeconds(180).minus(Duration.ofMinutes(10)).toString());
            assertThat(value.get("detail").get("function").asText()).isEqualTo("mean");
            assertThat(value.get("alert").get("raised").asBoolean()).isFalse();
            // The fan's telemetry was stored, and nothing is computed for it: it is not among the targets.
            http.awaitJson("/twins/" + fan + "/telemetry?bucket=1h&from=" + t0.minus(Duration.ofHours(1)),
                    t -> stored(t, "temperature") == 4, WAIT);
            assertThat(http.get("/twins/" + fan + "/computed").json().get("computed").has(name)).isFalse();

            // Fleet queries read computed attributes, also to order by them; not as of a past instant.
            JsonNode found = http.post("/query", q("{'query':'SELECT deviceId, computed." + name + " FROM devices"
                    + " WHERE computed." + name + " > 20 ORDER BY computed." + name + " DESC'}")).json();
            assertThat(found.get("items")).hasSize(1);
            assertThat(found.get("items").get(0).get("deviceId").asText()).isEqualTo(pump);
            assertThat(found.get("items").get(0).get(name).asDouble()).isEqualTo(25.0);
            JsonNode grouped = http.post("/query", q("{'query':'SELECT computed." + name + " AS v, COUNT() AS n"
                    + " FROM devices WHERE computed." + name + " > 0 GROUP BY computed." + name + "'}")).json();
            assertThat(grouped.get("items")).hasSize(1);
            assertThat(grouped.get("items").get(0).get("v").asDouble()).isEqualTo(25.0);
            assertThat(grouped.get("items").get(0).get("n").asInt()).isEqualTo(1);
            JsonNode none = http.post("/query", q("{'query':'SELECT deviceId FROM devices WHERE computed." + name
                    + " > 25'}")).json();
            assertThat(none.get("items")).isEmpty();
            assertThat(TwinHttp.assertProblem(http.post("/query", q("{'query':'SELECT * FROM devices WHERE computed."
                    + name + " > 1','asOf':'" + t0 + "'}")), 400, "computedNotAsOf").get("path").asText())
                    .isEqualTo("$.asOf");
            TwinHttp.assertProblem(http.put("/computed/" + name + "x", q("{'targetCondition':'computed." + name
                    + " > 1','function':'mean','input':'telemetry.t','window':'PT1H'}")), 400, "computedNotInTargets");

            // One GET: the twin, its recent changes, its telemetry in the window and its computed attributes.
            JsonNode rich = http.get("/twins/" + pump + "?include=history,telemetry,computed&window=1h").json();
            assertThat(rich.get("deviceId").asText()).isEqualTo(pump);
            assertThat(rich.get("computed").get(name).get("value").asDouble()).isEqualTo(25.0);
            JsonNode temperature = rich.get("telemetry").get("series").get("temperature");
            assertThat(temperature.get("count").asInt()).isEqualTo(4);
            assertThat(temperature.get("max").asDouble()).isEqualTo(40.0);
            assertThat(temperature.get("last").asDouble()).isEqualTo(40.0);
            assertThat(rich.get("history").get("items").get(0).get("eventType").asText()).isEqualTo("TwinCreated");
            assertThat(rich.get("history").get("window").asText()).isEqualTo("PT1H");
            TwinHttp.assertProblem(http.get("/twins/" + pump + "?include=history,photos"), 400, "invalidParameter");
            TwinHttp.assertProblem(http.get("/twins/" + pump + "?include=computed&window=0m"), 400,
                    "invalidParameter");
            TwinHttp.assertProblem(http.get("/twins/" + pump + "?include=computed&asOf=" + t0), 400,
                    "invalidParameter");
        }
    }

    @Test
    void anAlertRisesAndClearsWithHysteresisAsEventsOfTheTwin() {
        String name = "hot" + suffix();
        String id = createDevice("{'kind':'boiler'}");
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'mean','input':'telemetry.temperature','window':'PT1M','minSamples':1,"
                + "'alert':{'above':50,'clear':40}}")).status()).isEqualTo(201);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(20));
        try (MqttDevice device = device(id)) {
            // Samples two minutes apart, so each window of one minute holds one: the mean is the sample.
            publishAndAwait(device, id, name, t0, 30);
            assertThat(alerts(name)).isEmpty();

            publishAndAwait(device, id, name, t0.plusSeconds(120), 55);
            JsonNode raised = http.awaitJson("/twins/" + id, t -> t.path("alerts").has(name), WAIT)
                    .get("alerts").get(name);
            assertThat(raised.get("value").asDouble()).isEqualTo(55.0);
            assertThat(raised.get("threshold").asDouble()).isEqualTo(50.0);
            assertThat(raised.get("side").asText()).isEqualTo("above");
            JsonNode event = ofType(http.awaitHistory("/twins/" + id + "/history", 2).get("items"), "AlertRaised");
            assertThat(event.get("principal").asText()).isEqualTo("computed:" + name);
            assertThat(event.get("channel").asText()).isEqualTo("computed");
            assertThat(alerts(name)).containsExactly(id);
            JsonNode query = http.post("/query", q("{'query':\"SELECT deviceId FROM devices WHERE IS_DEFINED(alerts."
                    + name + ")\"}")).json();
            assertThat(query.get("items").findValuesAsText("deviceId")).containsExactly(id);

            // 45 lies between the clearing threshold and the raising one: the alert stays.
            publishAndAwait(device, id, name, t0.plusSeconds(240), 45);
            assertThat(alerts(name)).containsExactly(id);
            assertThat(http.get("/twins/" + id).json().get("alerts").has(name)).isTrue();

            publishAndAwait(device, id, name, t0.plusSeconds(360), 35);
            http.awaitJson("/twins/" + id, t -> !t.has("alerts"), WAIT);
            JsonNode history = http.awaitHistory("/twins/" + id + "/history", 3).get("items");
            assertThat(ofType(history, "AlertCleared").get("principal").asText()).isEqualTo("computed:" + name);
            assertThat(alerts(name)).isEmpty();
            assertThat(count(history, "AlertRaised")).as("raised once, not again at 45").isEqualTo(1);
        }
    }

    @Test
    void remainingUsefulLifeFollowsTheDegradationTrend() {
        String name = "rul" + suffix();
        String id = createDevice("{'kind':'motor'}");
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'remainingUsefulLife','input':'telemetry.vibration','window':'P1D','minSamples':5,"
                + "'threshold':11,'direction':'rising','alert':{'below':24,'clear':48}}")).status()).isEqualTo(201);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(12));
        try (MqttDevice device = device(id)) {
            // 1 + 0.5 h at hours 0 to 9: the line reaches 11 at hour 20, eleven hours after the last sample.
            for (int h = 0; h < 10; h++) {
                device.publish("telemetry", q("{'ts':'" + t0.plus(Duration.ofHours(h)) + "','vibration':"
                        + (1 + 0.5 * h) + "}"));
            }
            JsonNode value = awaitValue(id, name, v -> v.path("detail").path("samples").asInt() == 10);
            assertThat(value.get("value").asDouble()).isCloseTo(11.0, within(1e-6));
            JsonNode detail = value.get("detail");
            assertThat(detail.get("failureAt").asText()).isEqualTo(t0.plus(Duration.ofHours(20)).toString());
            assertThat(detail.get("slopePerHour").asDouble()).isCloseTo(0.5, within(1e-9));
            assertThat(detail.get("rSquared").asDouble()).isCloseTo(1.0, within(1e-9));
            // Fewer than 24 hours left: the alert is raised.
            http.awaitJson("/twins/" + id, t -> t.path("alerts").has(name), WAIT);
        }
    }

    @Test
    void anAnomalyScoreComparesTheLatestSampleWithItsHourOfDayBaseline() {
        String name = "pressureAnomaly" + suffix();
        String id = createDevice("{'kind':'valve'}");
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'anomalyScore','input':'telemetry.pressure','window':'PT1H','baselineDays':3,"
                + "'minSamples':3}")).status()).isEqualTo(201);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1));
        try (MqttDevice device = device(id)) {
            // At the same hour of the three days before: 10, 11, 12 each day. Median 11, MAD 1.
            for (int day = 3; day >= 1; day--) {
                for (int i = 0; i < 3; i++) {
                    device.publish("telemetry", q("{'ts':'" + t0.minus(Duration.ofDays(day)).plus(Duration.ofMinutes(
                            10L * (i + 1))) + "','pressure':" + (10 + i) + "}"));
                }
            }
            device.publish("telemetry", q("{'ts':'" + t0.plus(Duration.ofMinutes(15)) + "','pressure':15}"));
            JsonNode value = awaitValue(id, name,
                    v -> v.path("computedAt").asText().equals(t0.plus(Duration.ofMinutes(15)).toString()));
            // |15 - 11| / (1.4826 * 1) = 2.69796...
            assertThat(value.get("value").asDouble()).isCloseTo(4 / 1.4826, within(1e-9));
            JsonNode baseline = value.get("detail").get("baseline");
            assertThat(baseline.get("median").asDouble()).isEqualTo(11.0);
            assertThat(baseline.get("mad").asDouble()).isEqualTo(1.0);
            assertThat(baseline.get("hourSamples").asInt()).isEqualTo(9);
        }
    }

    @Test
    void aDefinitionMadeAfterItsTelemetryIsRebuiltOnDemand() {
        String id = createDevice("{'kind':'chiller'}");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(3));
        try (MqttDevice device = device(id)) {
            device.publish("telemetry", q("{'ts':'" + t0 + "','flow':4}"));
            device.publish("telemetry", q("{'ts':'" + t0.plusSeconds(60) + "','flow':8}"));
            http.awaitJson("/twins/" + id + "/telemetry?bucket=1h&from=" + t0.minus(Duration.ofHours(1)),
                    t -> stored(t, "flow") == 2, WAIT);
        }
        String name = "peakFlow" + suffix();
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'max','input':'telemetry.flow','window':'PT10M','minSamples':2}")).status())
                .isEqualTo(201);
        assertThat(http.get("/twins/" + id + "/computed").json().get("computed").has(name))
                .as("nothing new arrived: nothing computed yet").isFalse();

        TwinHttp.Reply started = http.post("/computed/" + name + "/rebuild", null);
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        assertThat(started.json().get("twins").asInt()).isEqualTo(1);
        JsonNode progress = http.awaitJson("/computed/" + name,
                d -> d.path("rebuild").path("state").asText().equals("completed"), WAIT).get("rebuild");
        assertThat(progress.get("done").asInt()).isEqualTo(1);
        assertThat(awaitValue(id, name, v -> true).get("value").asDouble()).isEqualTo(8.0);
        TwinHttp.assertProblem(http.post("/computed/" + name + "x/rebuild", null), 404, "computedNotFound");
    }

    @Test
    void uptimeAndAnErrorCountFollowTheTwinsConnectionEventsAndReports() throws Exception {
        String id = createDevice("{'kind':'press'}");
        String uptime = "uptime" + suffix();
        String errors = "faults" + suffix();
        String level = "level" + suffix();
        assertThat(http.put("/computed/" + level, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'mean','input':'reported.level','window':'PT1H','minSamples':1}")).status())
                .isEqualTo(201);
        assertThat(http.put("/computed/" + uptime, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'uptime','input':'connection','window':'PT1H'}")).status()).isEqualTo(201);
        assertThat(http.put("/computed/" + errors, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'errorCount','input':'reported.status','window':'PT1H','state':'fault',"
                + "'alert':{'above':2,'clear':0}}")).status()).isEqualTo(201);
        try (MqttDevice device = device(id)) {
            device.publish("connection", q("{'state':'Connected'}"));
            http.awaitJson("/twins/" + id, t -> t.path("connectionState").asText().equals("Connected"), WAIT);
            String[] statuses = {"fault", "ok", "fault", "fault"};
            int[] levels = {1, 2, 6, 6};
            for (int i = 0; i < statuses.length; i++) {
                device.publish("reported", q("{'status':'" + statuses[i] + "','level':" + levels[i] + "}"));
                device.await("reported/accepted");
            }
            Thread.sleep(300);
            device.publish("connection", q("{'state':'Disconnected'}"));
            http.awaitJson("/twins/" + id, t -> t.path("connectionState").asText().equals("Disconnected"), WAIT);
        }
        // Faults: became fault twice (the second report of fault in a row is no new fault).
        assertThat(awaitValue(id, errors, v -> v.path("value").asDouble() == 2.0).get("detail").get("events")
                .asInt()).isGreaterThanOrEqualTo(6);
        http.awaitJson("/twins/" + id, t -> t.path("alerts").has(errors), WAIT);
        // The mean of the reported level: 1, 2 and 6 (the last report changed nothing, so it is no new sample).
        JsonNode mean = awaitValue(id, level, v -> v.path("detail").path("samples").asInt() == 3);
        assertThat(mean.get("value").asDouble()).isEqualTo(3.0);
        // Uptime: Connected from its event to the Disconnected one, over the time since the twin was created (the
        // window reaches back before it), up to its last event: worked out from the history's own times.
        long deadline = System.nanoTime() + WAIT.toNanos();
        double expected = Double.NaN;
        double value = Double.NaN;
        while (System.nanoTime() < deadline) {
            JsonNode items = http.get("/twins/" + id + "/history?order=oldest").json().get("items");
            Instant created = Instant.parse(items.get(0).get("time").asText());
            Instant last = Instant.parse(items.get(items.size() - 1).get("time").asText());
            Instant connected = null;
            Instant disconnected = null;
            for (JsonNode item : items) {
                if (item.get("eventType").asText().equals("TwinConnectionChanged")) {
                    String state = item.get("change").toString().contains("Disconnected") ? "Disconnected"
                            : "Connected";
                    if (state.equals("Connected") && connected == null) {
                        connected = Instant.parse(item.get("time").asText());
                    } else if (state.equals("Disconnected") && connected != null && disconnected == null) {
                        disconnected = Instant.parse(item.get("time").asText());
                    }
                }
            }
            if (connected != null && disconnected != null) {
                expected = Duration.between(connected, disconnected).toMillis()
                        / (double) Duration.between(created, last).toMillis();
                JsonNode computed = http.get("/twins/" + id + "/computed").json().path("computed").path(uptime);
                value = computed.path("value").asDouble(Double.NaN);
                if (Math.abs(value - expected) < 1e-3) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        assertThat(value).as("uptime, expected %s", expected).isCloseTo(expected, within(1e-3));
        assertThat(value).isBetween(0.0, 1.0);
    }

    @Test
    void deletingAnAttributeClearsItsRaisedAlerts() {
        String name = "gone" + suffix();
        String id = createDevice("{'kind':'pump'}");
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'max','input':'telemetry.level','window':'PT5M','minSamples':1,"
                + "'alert':{'above':5,'clear':2}}")).status()).isEqualTo(201);
        try (MqttDevice device = device(id)) {
            device.publish("telemetry", q("{'level':9}"));
            http.awaitJson("/twins/" + id, t -> t.path("alerts").has(name), WAIT);
        }
        assertThat(http.delete("/computed/" + name).status()).isEqualTo(204);
        http.awaitJson("/twins/" + id, t -> !t.has("alerts"), WAIT);
        assertThat(ofType(http.awaitHistory("/twins/" + id + "/history", 3).get("items"), "AlertCleared")
                .get("principal").asText()).isEqualTo("computed:" + name);
        assertThat(http.get("/twins/" + id + "/computed").json().get("computed").has(name)).isFalse();
        TwinHttp.assertProblem(http.get("/computed/" + name), 404, "computedNotFound");
    }

    @Test
    void definitionsAreValidatedReplacedWithIfMatchAndListed() {
        String name = "def" + suffix();
        String body = "{'targetCondition':'tags.kind = \\u0027pump\\u0027','function':'percentile','input':'telemetry.t',"
                + "'window':'PT1H','percentile':95}";
        TwinHttp.Reply created = http.put("/computed/" + name, q(body));
        assertThat(created.status()).isEqualTo(201);
        String etag = created.headers().firstValue("ETag").orElseThrow();
        assertThat(http.put("/computed/" + name, q(body), "If-Match", "\"99\"").status()).isEqualTo(412);
        TwinHttp.Reply replaced = http.put("/computed/" + name, q(body.replace("95", "99")), "If-Match", etag);
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.json().get("percentile").asDouble()).isEqualTo(99.0);
        assertThat(http.get("/computed").json().get("items").findValuesAsText("name")).contains(name);

        assertThat(TwinHttp.assertProblem(http.put("/computed/" + name, q("{'function':'mean'}")), 400,
                "missingTargetCondition").get("path").asText()).isEqualTo("$.targetCondition");
        assertThat(TwinHttp.assertProblem(http.put("/computed/" + name, q(body.replace("PT1H", "PT1S"))), 422,
                "windowOutOfRange").get("path").asText()).isEqualTo("$.window");
        assertThat(TwinHttp.assertProblem(http.put("/computed/" + name, q(body.replace("'percentile':95",
                "'percentile':95,'color':'red'"))), 400, "unknownMember").get("path").asText()).isEqualTo("$.color");
        JsonNode condition = TwinHttp.assertProblem(http.put("/computed/" + name,
                q(body.replace("tags.kind = \\u0027", "tags.kind = = \\u0027"))), 400, null);
        assertThat(condition.has("position")).as("%s", condition).isTrue();
        TwinHttp.assertProblem(http.put("/computed/9bad", q(body)), 400, "invalidName");
        TwinHttp.assertProblem(http.get("/alerts?limit=0"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get("/alerts?after=nocolon"), 400, "invalidParameter");
        // Nothing of the refused writes stuck: still the replaced definition.
        assertThat(http.get("/computed/" + name).json().get("percentile").asDouble()).isEqualTo(99.0);
        assertThat(http.delete("/computed/" + name).status()).isEqualTo(204);
    }

    private void publishAndAwait(MqttDevice device, String id, String name, Instant ts, double value) {
        device.publish("telemetry", q("{'ts':'" + ts + "','temperature':" + value + "}"));
        awaitValue(id, name, v -> v.path("computedAt").asText().equals(ts.toString()));
    }

    private JsonNode awaitValue(String twinId, String name, java.util.function.Predicate<JsonNode> until) {
        return http.awaitJson("/twins/" + twinId + "/computed", t -> t.path("computed").has(name)
                && until.test(t.get("computed").get(name)), WAIT).get("computed").get(name);
    }

    /** How many samples of a series the telemetry answer holds, over all its buckets (samples may span an hour). */
    private static int stored(JsonNode telemetry, String series) {
        int count = 0;
        for (JsonNode bucket : telemetry.path("series").path(series)) {
            count += bucket.path("count").asInt();
        }
        return count;
    }

    private List<String> alerts(String name) {
        return http.get("/alerts?name=" + name).json().get("items").findValuesAsText("twinId");
    }

    private static JsonNode ofType(JsonNode items, String type) {
        for (JsonNode item : items) {
            if (item.get("eventType").asText().equals(type)) {
                return item;
            }
        }
        throw new AssertionError("no " + type + " in " + items);
    }

    private static long count(JsonNode items, String type) {
        List<JsonNode> found = new ArrayList<>();
        items.forEach(item -> {
            if (item.get("eventType").asText().equals(type)) {
                found.add(item);
            }
        });
        return found.size();
    }

    private static String suffix() {
        return TwinHttp.newDeviceId().replaceAll("[^A-Za-z0-9]", "").substring(0, 12);
    }
}
