package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configurations end to end on the real database: written over HTTP, applied to twins by the applier, layered by
 * priority and creation, withdrawn when a twin leaves the target or the configuration is deleted, and counted.
 * Each test uses its own tag value, so configurations of other tests never target its twins.
 */
class ConfigurationsTest extends PlatformTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aConfigurationSetsItsContentOnEveryTargetedTwinAndShowsItsMetrics() {
        String suite = suite();
        String a = device(suite, "prod");
        String b = device(suite, "prod");
        String other = device(suite, "test");
        String id = "telemetry-" + suite;

        ObjectNode body = body("tags.suite='" + suite + "' AND tags.environment='prod'", 10, "deviceContent",
                "{'properties.desired.telemetryConfig':{'sendFrequency':'5m'}}");
        body.putObject("metrics").putObject("queries").put("compliant",
                "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.status='Success'");
        body.putObject("labels").put("team", "ops");
        TwinHttp.Reply put = http.put("/configurations/" + id, body.toString());
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.etag()).isEqualTo("\"1\"");

        for (String twin : List.of(a, b)) {
            JsonNode doc = awaitTwin(twin, d -> d.path("configurations").has(id));
            assertThat(values(doc.at("/properties/desired"))).isEqualTo(j("{'telemetryConfig':{'sendFrequency':'5m'}}"));
            assertThat(doc.at("/configurations/" + id + "/status").asText()).isEqualTo("Applied");
        }
        http.patch("/twins/" + a + "/properties/reported", q("{'telemetryConfig':{'status':'Success'}}"));

        JsonNode config = awaitConfiguration(id, c -> c.at("/metrics/results/compliant").asLong() == 1);
        assertThat(config.at("/systemMetrics/results/targetedCount").asLong()).isEqualTo(2);
        assertThat(config.at("/systemMetrics/results/appliedCount").asLong()).isEqualTo(2);
        assertThat(config.path("targetCondition").asText()).contains("environment='prod'");
        assertThat(config.at("/labels/team").asText()).isEqualTo("ops");
        assertThat(http.get("/twins/" + other).json().has("configurations")).isFalse();

        JsonNode targeted = http.get("/configurations/" + id + "/metrics/targetedCount").json();
        assertThat(ids(targeted)).containsExactlyInAnyOrder(a, b);
        assertThat(ids(http.get("/configurations/" + id + "/metrics/compliant").json())).containsExactly(a);

        ObjectNode fleetQuery = TwinHttp.JSON.createObjectNode().put("query",
                "SELECT deviceId FROM devices WHERE configurations.[[" + id + "]].status = 'Applied'");
        JsonNode query = http.post("/query", fleetQuery.toString()).json();
        assertThat(query.path("items")).hasSize(2);

        JsonNode applied = null;
        for (JsonNode item : http.awaitHistory("/twins/" + a + "/history?order=oldest", 3).path("items")) {
            if (item.path("eventType").asText().equals("TwinConfigurationsApplied")) {
                applied = item;
            }
        }
        assertThat(applied).as("the configuration's event in the twin's history").isNotNull();
        assertThat(applied.path("principal").asText()).isEqualTo("configuration:" + id);
        assertThat(applied.path("channel").asText()).isEqualTo("configuration");
    }

    @Test
    void theHighestPriorityWinsATieGoesToTheNewestAndLeavingTheTargetFallsBackThenRemoves() {
        String suite = suite();
        String twin = device(suite, "prod");
        String low = "low-" + suite;
        String high = "high-" + suite;
        String tie = "tie-" + suite;
        putConfiguration(low, "tags.suite='" + suite + "'", 1, "{'properties.desired.level':'low',"
                + "'properties.desired.onlyLow':true}");
        awaitTwin(twin, d -> "low".equals(d.at("/properties/desired/level").asText()));
        putConfiguration(high, "tags.suite='" + suite + "' AND tags.environment='prod'", 5,
                "{'properties.desired.level':'high'}");
        JsonNode doc = awaitTwin(twin, d -> "high".equals(d.at("/properties/desired/level").asText()));
        assertThat(doc.at("/properties/desired/onlyLow").asBoolean()).isTrue();
        assertThat(doc.at("/configurations/" + low + "/status").asText()).isEqualTo("Applied");

        putConfiguration(tie, "tags.suite='" + suite + "' AND tags.environment='prod'", 5,
                "{'properties.desired.level':'tie'}");
        doc = awaitTwin(twin, d -> "tie".equals(d.at("/properties/desired/level").asText()));
        assertThat(doc.at("/configurations/" + high + "/status").asText()).isEqualTo("Targeted");

        // The twin leaves the two prod configurations' target: the low one's value comes back.
        http.patch("/twins/" + twin, q("{'tags':{'environment':'test'}}"));
        doc = awaitTwin(twin, d -> "low".equals(d.at("/properties/desired/level").asText()));
        assertThat(doc.path("configurations").has(high)).isFalse();
        assertThat(doc.path("configurations").has(tie)).isFalse();

        // The last configuration is deleted: its keys are removed.
        assertThat(http.delete("/configurations/" + low).status()).isEqualTo(204);
        doc = awaitTwin(twin, d -> !d.has("configurations"));
        assertThat(values(doc.at("/properties/desired"))).isEqualTo(j("{}"));
        assertProblem(http.get("/configurations/" + low), 404, "configurationNotFound");
    }

    @Test
    void aTwinCreatedLaterGetsTheContentAndModulesGetModuleContent() {
        String suite = suite();
        String id = "modules-" + suite;
        putConfiguration(id + "-d", "tags.suite='" + suite + "'", 0, "{'properties.desired.forDevice':1}");
        assertThat(http.put("/configurations/" + id, body("FROM devices.modules WHERE moduleId = 'edge'", 0,
                "moduleContent", "{'properties.desired.forModule':'" + suite + "'}").toString()).status())
                .isEqualTo(201);
        String device = device(suite, "prod");
        assertThat(http.put("/twins/" + device + "/modules/edge", q("{}")).status()).isEqualTo(201);

        awaitTwin(device, d -> d.at("/properties/desired/forDevice").asInt() == 1);
        JsonNode module = awaitTwin(device + "/modules/edge",
                d -> suite.equals(d.at("/properties/desired/forModule").asText()));
        assertThat(module.at("/configurations/" + id + "/status").asText()).isEqualTo("Applied");
        assertThat(module.at("/properties/desired").has("forDevice")).isFalse();
        http.delete("/configurations/" + id);
        http.delete("/configurations/" + id + "-d");
    }

    @Test
    void aReportedChangeBringsATwinIntoATargetOnReportedPropertiesAndOutAgain() {
        String suite = suite();
        String twin = device(suite, "prod");
        String id = "firmware-" + suite;
        putConfiguration(id, "tags.suite='" + suite + "' AND properties.reported.firmware = '2.0'", 0,
                "{'properties.desired.newFeature':true}");
        http.patch("/twins/" + twin + "/properties/reported", q("{'firmware':'2.0'}"));
        JsonNode doc = awaitTwin(twin, d -> d.at("/properties/desired/newFeature").asBoolean());
        assertThat(doc.at("/configurations/" + id + "/status").asText()).isEqualTo("Applied");

        http.patch("/twins/" + twin + "/properties/reported", q("{'firmware':'1.0'}"));
        doc = awaitTwin(twin, d -> !d.path("configurations").has(id));
        assertThat(doc.at("/properties/desired").has("newFeature")).isFalse();
        http.delete("/configurations/" + id);
    }

    @Test
    void aKeyAnOperatorChangedIsLeftAloneWhenTheConfigurationGoes() {
        String suite = suite();
        String twin = device(suite, "prod");
        String id = "manual-" + suite;
        putConfiguration(id, "tags.suite='" + suite + "'", 0, "{'properties.desired.mode':'eco'}");
        awaitTwin(twin, d -> "eco".equals(d.at("/properties/desired/mode").asText()));
        http.patch("/twins/" + twin, q("{'properties':{'desired':{'mode':'boost'}}}"));
        http.delete("/configurations/" + id);
        JsonNode doc = awaitTwin(twin, d -> !d.has("configurations"));
        assertThat(doc.at("/properties/desired/mode").asText()).isEqualTo("boost");
    }

    @Test
    void badConfigurationsAreRefusedWithTheirPathAndChangeNothing() {
        String id = "bad-" + suite();
        assertProblem(http.put("/configurations/" + id, body("tags.a =", 0, "deviceContent",
                "{'properties.desired.x':1}").toString()), 400, null);
        assertProblem(http.put("/configurations/UPPER", q("{'targetCondition':'*','content':{'deviceContent':"
                + "{'properties.desired.x':1}}}")), 400, "invalidConfigurationId");
        assertProblem(http.put("/configurations/" + id, q("{'targetCondition':'*','content':{'deviceContent':"
                + "{'tags.x':1}}}")), 422, "notDesiredPath");
        assertProblem(http.get("/configurations/" + id), 404, "configurationNotFound");

        putConfiguration(id, "tags.none='" + id + "'", 0, "{'properties.desired.x':1}");
        JsonNode problem = assertProblem(http.put("/configurations/" + id, q("{'targetCondition':'*','content':"
                + "{'deviceContent':{'properties.desired.x':2}}}")), 422, "contentImmutable");
        assertThat(problem.path("path").asText()).isEqualTo("$.content");
        assertProblem(http.put("/configurations/" + id, q("{'targetCondition':'*','content':{'deviceContent':"
                + "{'properties.desired.x':1}}}"), "If-Match", "\"7\""), 412, "etagMismatch");
        assertProblem(http.get("/configurations/" + id + "/metrics/nope"), 404, "metricNotFound");
        assertThat(http.get("/configurations/" + id).json().path("targetCondition").asText())
                .isEqualTo("tags.none='" + id + "'");
        http.delete("/configurations/" + id);
        assertProblem(http.delete("/configurations/" + id), 404, "configurationNotFound");
    }

    /** A configuration body; the content is written with single quotes, the condition as it is. */
    private static ObjectNode body(String condition, int priority, String section, String content) {
        ObjectNode body = TwinHttp.JSON.createObjectNode();
        body.put("targetCondition", condition);
        body.put("priority", priority);
        body.putObject("content").set(section, j(content));
        return body;
    }

    @Test
    void theOpenApiDocumentListsTheConfigurationAndRolloutEndpoints() {
        JsonNode paths = http.get("/v3/api-docs").json().path("paths");

        assertThat(paths.path("/configurations/{id}").has("put")).isTrue();
        assertThat(paths.path("/configurations/{id}").has("get")).isTrue();
        assertThat(paths.path("/configurations/{id}").has("delete")).isTrue();
        assertThat(paths.path("/configurations/{id}/metrics/{name}").has("get")).isTrue();
        assertThat(paths.path("/rollouts").has("post")).isTrue();
        assertThat(paths.path("/rollouts/{id}").has("get")).isTrue();
        assertThat(paths.path("/rollouts/{id}/{action}").has("post")).isTrue();
    }

    private void putConfiguration(String id, String condition, int priority, String deviceContent) {
        TwinHttp.Reply reply = http.put("/configurations/" + id,
                body(condition, priority, "deviceContent", deviceContent).toString());
        assertThat(reply.status()).as("%s", reply).isIn(200, 201);
    }

    private String device(String suite, String environment) {
        return createDevice("{'tags':{'suite':'" + suite + "','environment':'" + environment + "'}}");
    }

    private JsonNode awaitTwin(String path, Predicate<JsonNode> until) {
        return await("/twins/" + path, until);
    }

    private JsonNode awaitConfiguration(String id, Predicate<JsonNode> until) {
        return await("/configurations/" + id, until);
    }

    private JsonNode await(String path, Predicate<JsonNode> until) {
        return http.awaitJson(path, until, WAIT);
    }

    private static List<String> ids(JsonNode metric) {
        List<String> ids = new ArrayList<>();
        metric.path("twinIds").forEach(id -> ids.add(id.asText()));
        return ids;
    }

    private static String suite() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
