package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.rollout.PhaseMembership;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rollouts on the real database with 200 twins whose devices are played by reported patches: a rollout that goes
 * 5% → 25% → 100% as the devices report success, and one whose canary devices report errors past the threshold,
 * after which the saga gives exactly those twins back the desired values they had before.
 */
class RolloutsTest extends PlatformTestSupport {

    private static final int TWINS = 200;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aRolloutAdvancesPhaseByPhaseAsTheDevicesReportSuccess() throws Exception {
        String suite = suite();
        List<String> twins = twins(suite, i -> null);
        String configuration = "firmware-25-" + suite;
        stagedConfiguration(configuration, suite, "2.5");
        String rollout = "rollout-" + suite;
        List<Double> percents = List.of(5.0, 25.0, 100.0);

        try (Devices devices = new Devices(twins, configuration, "Ok")) {
            TwinHttp.Reply started = http.post("/rollouts", rolloutBody(rollout, configuration, "rollback"));
            assertThat(started.status()).as("%s", started).isEqualTo(201);
            JsonNode done = awaitRollout(rollout, r -> r.path("status").asText().equals("completed"));

            PhaseMembership membership = new PhaseMembership(rollout, percents);
            int[] expected = new int[3];
            twins.forEach(id -> expected[membership.phaseOf(id)]++);
            for (int phase = 0; phase < 3; phase++) {
                JsonNode counts = done.path("phases").get(phase);
                assertThat(counts.path("targeted").asLong()).as("phase %d targeted", phase).isEqualTo(expected[phase]);
                assertThat(counts.path("applied").asLong()).as("phase %d applied", phase).isEqualTo(expected[phase]);
                assertThat(counts.path("failed").asLong()).isZero();
            }
            List<String> decisions = new ArrayList<>();
            done.path("decisions").forEach(d -> decisions.add(d.path("decision").asText()));
            assertThat(decisions).containsExactly("created", "phaseStarted", "phaseAdmitted", "phaseStarted",
                    "phaseAdmitted", "phaseStarted", "phaseAdmitted", "completed");
            assertThat(done.path("decisions").get(3).path("reason").asText()).contains("success metric held");
            assertThat(done.path("decisions").get(3).path("principal").asText()).isEqualTo("rollout:" + rollout);
            assertThat(done.path("decisions").get(2).path("reason").asText())
                    .isEqualTo(expected[0] + " twins show the configuration from this rollout");
        }
        for (String id : twins) {
            // The rollout's state is the saga's; the twins' read side follows the last phase's events shortly.
            JsonNode twin = http.awaitJson("/twins/" + id,
                    t -> "2.5".equals(t.at("/properties/desired/firmware/version").asText()), WAIT);
            assertThat(twin.at("/properties/desired/firmware/version").asText()).as(id).isEqualTo("2.5");
            assertThat(twin.at("/configurations/" + configuration + "/rolloutId").asText()).isEqualTo(rollout);
        }
        // The twin changes the rollout caused are in the audit trail under the rollout's id as correlation id.
        JsonNode audit = http.get("/audit?correlationId=" + rollout + "&pageSize=1000").json();
        Set<String> changed = new HashSet<>();
        audit.path("items").forEach(item -> {
            assertThat(item.path("principal").asText()).isEqualTo("configuration:" + configuration);
            assertThat(item.path("channel").asText()).isEqualTo("configuration");
            changed.add(item.path("twinId").asText());
        });
        assertThat(changed).containsExactlyInAnyOrderElementsOf(twins);
    }

    @Test
    void aCanaryThatReportsErrorsIsRolledBackToExactlyTheValuesItHadBefore() throws Exception {
        String suite = suite();
        List<String> twins = twins(suite, i -> "{'firmware':{'version':'1." + i + "'}}");
        Map<String, String> before = new HashMap<>();
        for (int i = 0; i < twins.size(); i++) {
            before.put(twins.get(i), "1." + i);
        }
        String configuration = "firmware-26-" + suite;
        stagedConfiguration(configuration, suite, "2.6");
        String rollout = "canary-" + suite;
        PhaseMembership membership = new PhaseMembership(rollout, List.of(5.0, 25.0, 100.0));
        Set<String> canary = new HashSet<>();
        twins.stream().filter(id -> membership.phaseOf(id) == 0).forEach(canary::add);
        assertThat(canary).isNotEmpty();

        try (Devices devices = new Devices(twins, configuration, null)) {
            assertThat(http.post("/rollouts", rolloutBody(rollout, configuration, "rollback")).status())
                    .isEqualTo(201);
            awaitRollout(rollout, r -> r.path("phases").get(0).path("applied").asLong() == canary.size());
            // An operator changes one canary twin after the rollout set it: that change must survive the rollback.
            String changedByHand = canary.iterator().next();
            assertThat(http.patch("/twins/" + changedByHand, q("{'properties':{'desired':{'firmware':"
                    + "{'version':'hotfix'}}}}")).status()).isEqualTo(200);
            devices.report("Error");

            JsonNode rolledBack = awaitRollout(rollout, r -> r.path("status").asText().equals("rolledBack"));
            List<String> decisions = new ArrayList<>();
            rolledBack.path("decisions").forEach(d -> decisions.add(d.path("decision").asText()));
            assertThat(decisions).containsExactly("created", "phaseStarted", "phaseAdmitted", "rollbackStarted",
                    "rolledBack");
            assertThat(rolledBack.path("decisions").get(3).path("reason").asText()).contains("failed");

            for (String id : twins) {
                // The rollout's state is the saga's; the twins' read side follows the rollback's events shortly.
                String expected = id.equals(changedByHand) ? "hotfix" : before.get(id);
                JsonNode twin = http.awaitJson("/twins/" + id, t -> !t.path("configurations").has(configuration)
                        && expected.equals(t.at("/properties/desired/firmware/version").asText()), WAIT);
                String version = twin.at("/properties/desired/firmware/version").asText();
                if (id.equals(changedByHand)) {
                    assertThat(version).as("the operator's later change is left alone").isEqualTo("hotfix");
                } else {
                    assertThat(version).as(id).isEqualTo(before.get(id));
                }
                assertThat(twin.path("configurations").has(configuration)).isFalse();
            }
            // Exactly the canary twins were changed by the configuration (set, then given back).
            Set<String> touched = new HashSet<>();
            for (String id : twins) {
                TwinHttp.Reply history = http.get("/twins/" + id + "/history?order=oldest");
                assertThat(history.status()).as("%s", history).isEqualTo(200);
                for (JsonNode item : history.json().path("items")) {
                    if (item.path("channel").asText().equals("configuration")) {
                        touched.add(id);
                    }
                }
            }
            assertThat(touched).isEqualTo(canary);
        }
    }

    @Test
    void badRolloutsAndHandDecisionsAreRefusedClearly() {
        String suite = suite();
        String configuration = "plain-" + suite;
        ObjectNode plain = TwinHttp.JSON.createObjectNode().put("targetCondition", "tags.suite='" + suite + "'");
        plain.putObject("content").set("deviceContent", j("{'properties.desired.x':1}"));
        plain.putObject("metrics").putObject("queries").put("compliant", "SELECT deviceId FROM devices");
        assertThat(http.put("/configurations/" + configuration, plain.toString()).status()).isEqualTo(201);

        assertProblem(http.post("/rollouts", "{}"), 400, "missingConfigurationId");
        assertProblem(http.post("/rollouts", rolloutBody("r-" + suite, "nope-" + suite, "pause")), 404,
                "configurationNotFound");
        assertProblem(http.post("/rollouts", rolloutBody("r-" + suite, configuration, "pause")), 409,
                "configurationNotStaged");
        ObjectNode bad = rollout("r-" + suite, configuration, "pause");
        ((ObjectNode) bad.get("phases").get(1)).put("percent", 2);
        assertThat(assertProblem(http.post("/rollouts", bad.toString()), 422, "invalidPhases").path("path").asText())
                .isEqualTo("$.phases[1].percent");
        assertProblem(http.post("/rollouts", rolloutBody("r-" + suite, configuration, "sometimes")), 400,
                "invalidOnFailure");
        assertProblem(http.get("/rollouts/none-" + suite), 404, "rolloutNotFound");

        String staged = "staged-" + suite;
        stagedConfiguration(staged, suite, "9");
        ObjectNode body = rollout("s-" + suite, staged, "pause");
        ((ObjectNode) body.get("success")).put("metric", "missing");
        assertProblem(http.post("/rollouts", body.toString()), 422, "unknownMetric");
        assertThat(http.post("/rollouts", rolloutBody("s-" + suite, staged, "pause")).status()).isEqualTo(201);
        assertProblem(http.post("/rollouts", rolloutBody("s-" + suite, staged, "pause")), 409, "rolloutExists");
        assertProblem(http.post("/rollouts", rolloutBody("t-" + suite, staged, "pause")), 409,
                "configurationInRollout");
        assertProblem(http.post("/rollouts/s-" + suite + "/resume", null), 409, "invalidRolloutState");
        assertProblem(http.post("/rollouts/s-" + suite + "/explode", null), 404, "unknownAction");
        assertThat(http.post("/rollouts/s-" + suite + "/pause", q("{'reason':'change freeze'}")).json()
                .path("status").asText()).isEqualTo("paused");
        assertThat(http.post("/rollouts/s-" + suite + "/abort", null).json().path("status").asText())
                .isEqualTo("aborted");
        JsonNode decisions = http.get("/rollouts/s-" + suite).json().path("decisions");
        assertThat(decisions.get(decisions.size() - 2).path("reason").asText()).isEqualTo("change freeze");
        assertThat(decisions.get(decisions.size() - 1).path("byHand").asBoolean()).isTrue();
    }

    private void stagedConfiguration(String id, String suite, String version) {
        ObjectNode body = TwinHttp.JSON.createObjectNode();
        body.put("targetCondition", "tags.suite='" + suite + "'");
        body.put("priority", 10);
        body.put("staged", true);
        body.putObject("content").set("deviceContent", j("{'properties.desired.firmware':{'version':'" + version
                + "'}}"));
        body.putObject("metrics").putObject("queries").put("compliant", "SELECT deviceId FROM devices WHERE"
                + " properties.reported.firmware.version = '" + version + "'");
        TwinHttp.Reply reply = http.put("/configurations/" + id, body.toString());
        assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    }

    private static String rolloutBody(String id, String configuration, String onFailure) {
        return rollout(id, configuration, onFailure).toString();
    }

    private static ObjectNode rollout(String id, String configuration, String onFailure) {
        ObjectNode body = TwinHttp.JSON.createObjectNode();
        body.put("id", id);
        body.put("configurationId", configuration);
        body.set("phases", j("[{'name':'canary','percent':5.0},{'percent':25.0},{'percent':100.0}]"));
        body.set("success", j("{'metric':'compliant','minPercent':95,'soakSeconds':1}"));
        body.putObject("failure").put("reportedCondition", "properties.reported.firmware.state = 'Error'")
                .put("maxPercent", 2);
        body.put("onFailure", onFailure);
        body.put("phaseTimeoutSeconds", 120);
        return body;
    }

    private List<String> twins(String suite, java.util.function.IntFunction<String> desired) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < TWINS; i++) {
            String body = "{'tags':{'suite':'" + suite + "'}" + (desired.apply(i) == null ? ""
                    : ",'properties':{'desired':" + desired.apply(i) + "}") + "}";
            ids.add(createDevice(body));
        }
        return ids;
    }

    private JsonNode awaitRollout(String id, Predicate<JsonNode> until) {
        return http.awaitJson("/rollouts/" + id, until, WAIT);
    }

    private static String suite() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * The devices: each twin that shows the configuration's desired firmware reports that firmware as running, with
     * the state given (or none), as a device would after installing it.
     */
    private final class Devices implements AutoCloseable {

        private final Thread thread;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile String state;

        Devices(List<String> twins, String configuration, String state) {
            this.state = state;
            this.thread = new Thread(() -> {
                Map<String, String> reported = new HashMap<>();
                while (running.get()) {
                    for (String id : twins) {
                        JsonNode twin = http.get("/twins/" + id).json();
                        String wanted = twin.at("/properties/desired/firmware/version").asText();
                        String current = this.state;
                        String report = wanted + "/" + current;
                        if (twin.path("configurations").has(configuration) && !report.equals(reported.get(id))) {
                            String patch = "{'firmware':{'version':'" + wanted + "'"
                                    + (current == null ? "" : ",'state':'" + current + "'") + "}}";
                            http.patch("/twins/" + id + "/properties/reported", q(patch));
                            reported.put(id, report);
                        }
                    }
                    // A pause between sweeps of the 200 twins, as devices poll: without it this one caller's reads
                    // go past the platform's rate limit per caller (1,000/s), and the test's own reads are answered 429.
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "devices");
            thread.setDaemon(true);
            thread.start();
        }

        void report(String newState) {
            state = newState;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
