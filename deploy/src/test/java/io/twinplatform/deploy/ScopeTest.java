package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key or token with a scope ({@code tags.site = '…'}) sees and changes only the twins inside it: reads outside
 * find nothing, writes outside (or out of it) are refused and leave no trace, fleet-wide answers are narrowed or
 * refused, and configurations and jobs may only target inside it.
 */
class ScopeTest extends PlatformTestSupport {

    private String site;
    private TwinHttp scoped;
    private String inside;
    private String outside;

    @BeforeEach
    void twins() {
        site = "site-" + UUID.randomUUID().toString().substring(0, 8);
        inside = createDevice("{'tags':{'site':'" + site + "','deviceType':'pump'}}");
        outside = createDevice("{'tags':{'site':'" + site + "-other','deviceType':'pump'}}");
        scoped = key("scoped-" + site, "tags.site = '" + site + "'", "operator", "auditor").http();
    }

    private TwinHttp.Keyed key(String name, String scope, String... roles) {
        ObjectNode body = TwinHttp.JSON.createObjectNode().put("name", name).put("scope", scope);
        var array = body.putArray("roles");
        for (String role : roles) {
            array.add(role);
        }
        TwinHttp.Reply created = http.post("/admin/keys", body);
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.json().get("scope").asText()).isEqualTo(scope);
        JsonNode key = created.json();
        return new TwinHttp.Keyed(http.withKey(key.get("key").asText()), key.get("id").asText(),
                key.get("principal").asText(), key.get("key").asText());
    }

    @Test
    void aKeysScopeIsACondition_anythingElseIsRefusedAndNoKeyIsMade() {
        int before = http.get("/admin/keys").json().get("keys").size();
        String name = "bad-scope-" + site;
        JsonNode problem = assertProblem(http.post("/admin/keys", q("{'name':'" + name
                + "','roles':['viewer'],'scope':'tags.site = '}")), 400, "invalidQuery");
        assertThat(problem.get("path").asText()).startsWith("$.scope@");
        assertProblem(http.post("/admin/keys", q("{'name':'" + name + "','roles':['viewer'],'scope':5}")), 422,
                "invalidScope");
        assertProblem(http.post("/admin/keys", q("{'name':'" + name + "','roles':['viewer'],'scope':'*'}")), 400,
                "invalidScope");
        assertProblem(http.post("/admin/keys", q("{'name':'" + name + "','roles':['viewer'],"
                + "'scope':'FROM devices.modules WHERE tags.site = 1'}")), 400, "invalidScope");
        assertProblem(http.post("/admin/keys", "{\"name\":\"" + name + "\",\"roles\":[\"viewer\"],"
                + "\"scope\":\"tags.site = '\\u0000'\"}"), 400, "invalidText");
        assertThat(http.get("/admin/keys").json().get("keys").size()).isEqualTo(before);

        JsonNode listed = null;
        for (JsonNode key : http.get("/admin/keys").json().get("keys")) {
            if (key.get("name").asText().equals("scoped-" + site)) {
                listed = key;
            }
        }
        assertThat(listed).isNotNull();
        assertThat(listed.get("scope").asText()).isEqualTo("tags.site = '" + site + "'");
    }

    @Test
    void aTwinOutsideTheScopeReadsAsAbsent() {
        assertThat(scoped.get("/twins/" + inside).status()).isEqualTo(200);
        assertThat(scoped.get("/twins/" + inside + "/history").status()).isEqualTo(200);
        JsonNode absent = assertProblem(scoped.get("/twins/" + outside), 404, "twinNotFound");
        JsonNode missing = assertProblem(scoped.get("/twins/never-" + site), 404, "twinNotFound");
        assertThat(absent.get("detail").asText()).isEqualTo(missing.get("detail").asText()
                .replace("never-" + site, outside));
        for (String suffix : List.of("/shadow", "/history", "/diff?fromVersion=1&toVersion=1", "/replay",
                "/telemetry")) {
            assertProblem(scoped.get("/twins/" + outside + suffix), 404, "twinNotFound");
        }
        assertProblem(scoped.get("/twins/" + outside + "?atVersion=1"), 404, "twinNotFound");
        // the admin, who sees the whole fleet, still reads it
        assertThat(http.get("/twins/" + outside).status()).isEqualTo(200);
    }

    @Test
    void queriesAndFleetViewsCountOnlyTheScope() {
        String third = createDevice("{'tags':{'site':'" + site + "','deviceType':'valve'}}");
        JsonNode page = scoped.post("/query", q("{'query':'SELECT * FROM devices WHERE tags.deviceType IN"
                + " [\\'pump\\', \\'valve\\']','pageSize':1000}")).json();
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(item -> ids.add(item.get("deviceId").asText()));
        assertThat(ids).containsExactlyInAnyOrder(inside, third);

        JsonNode grouped = scoped.post("/query", q("{'query':'SELECT tags.deviceType, COUNT() AS n FROM devices"
                + " GROUP BY tags.deviceType'}")).json();
        assertThat(grouped.get("items").toString()).contains("\"pump\"").contains("\"valve\"");
        long total = 0;
        for (JsonNode group : grouped.get("items")) {
            total += group.get("n").asLong();
        }
        assertThat(total).isEqualTo(2);

        JsonNode view = scoped.get("/fleet/views/deviceType").json();
        assertThat(view.get("total").asLong()).isEqualTo(2);
        assertThat(view.get("groups").toString()).contains("{\"value\":\"pump\",\"count\":1}")
                .contains("{\"value\":\"valve\",\"count\":1}");
        JsonNode all = scoped.get("/fleet/views").json();
        for (JsonNode each : all.get("views")) {
            assertThat(each.get("total").asLong()).as("%s", each).isLessThanOrEqualTo(2);
        }
        // the whole fleet's view counts more than this scope's
        assertThat(http.get("/fleet/views/deviceType").json().get("total").asLong()).isGreaterThan(2);
    }

    @Test
    void theAuditTrailAndItsExportHoldOnlyTheScopesTwins() {
        http.patch("/twins/" + outside, q("{'tags':{'note':'admin'}}"));
        http.patch("/twins/" + inside, q("{'tags':{'note':'admin'}}"));
        http.awaitHistory("/twins/" + outside + "/history", 2);
        http.awaitHistory("/twins/" + inside + "/history", 2);

        assertThat(scoped.get("/audit?deviceId=" + outside).json().get("items")).isEmpty();
        assertThat(scoped.get("/audit?deviceId=" + inside).json().get("items")).hasSize(2);
        String export = scoped.get("/audit/export?from=" + Instant.now().minus(Duration.ofMinutes(5))).body();
        assertThat(export).contains("\"" + inside + "\"").doesNotContain(outside);
        assertThat(http.get("/audit/export?from=" + Instant.now().minus(Duration.ofMinutes(5))).body())
                .contains(outside);
    }

    private double outsideScopeDenials() {
        return http.get("/actuator/metrics/twin.security.denied?tag=reason:outsideScope").json()
                .path("measurements").get(0).get("value").asDouble();
    }

    @Test
    void operationsOverTheWholeFleetAreRefused() {
        double before = outsideScopeDenials();
        TwinHttp scopedAdmin = key("scoped-admin-" + site, "tags.site = '" + site + "'", "admin").http();
        for (String path : List.of("/admin/keys", "/admin/projections", "/actuator/health", "/audit/head",
                "/fleet/activity")) {
            assertProblem(scopedAdmin.get(path), 403, "outsideScope");
        }
        assertProblem(scopedAdmin.post("/audit/verify", "{}"), 403, "outsideScope");
        // a scoped admin cannot make itself an unscoped key
        assertProblem(scopedAdmin.post("/admin/keys", q("{'name':'escape-" + site + "','roles':['admin']}")), 403,
                "outsideScope");
        assertProblem(scopedAdmin.patch("/twins/" + outside, q("{'tags':{'x':1}}")), 403, "outsideScope");
        // every refusal is counted, those at the edge and those of the write side alike
        assertThat(outsideScopeDenials() - before).isGreaterThanOrEqualTo(8);
    }

    @Test
    void writesOutsideTheScope_orOutOfIt_areRefusedAndWriteNothing() {
        long outsideVersion = http.get("/twins/" + outside).json().get("version").asLong();
        assertProblem(scoped.patch("/twins/" + outside, q("{'tags':{'x':1}}")), 403, "outsideScope");
        assertProblem(scoped.put("/twins/" + outside, q("{'tags':{'site':'" + site + "'}}")), 403, "outsideScope");
        assertProblem(scoped.patch("/twins/" + outside + "/properties/reported", q("{'x':1}")), 403,
                "outsideScope");
        assertProblem(scoped.put("/twins/" + outside + "/status", q("{'status':'disabled'}")), 403, "outsideScope");
        assertProblem(scoped.post("/twins/" + outside + "/shadow", q("{'state':{'desired':{'x':1}}}")), 403,
                "outsideScope");
        assertProblem(scoped.delete("/twins/" + outside), 403, "outsideScope");
        assertThat(http.get("/twins/" + outside).json().get("version").asLong()).isEqualTo(outsideVersion);

        // moving a twin out of the scope, or making one outside it, is refused too
        long insideVersion = http.get("/twins/" + inside).json().get("version").asLong();
        assertProblem(scoped.patch("/twins/" + inside, q("{'tags':{'site':'elsewhere'}}")), 403, "outsideScope");
        assertProblem(scoped.patch("/twins/" + inside, q("{'tags':{'site':null}}")), 403, "outsideScope");
        assertProblem(scoped.put("/twins/" + inside, q("{'tags':{'deviceType':'pump'}}")), 403, "outsideScope");
        assertThat(http.get("/twins/" + inside).json().get("version").asLong()).isEqualTo(insideVersion);
        String created = "new-" + site;
        assertProblem(scoped.put("/twins/" + created, q("{'tags':{'site':'elsewhere'}}")), 403, "outsideScope");
        assertThat(http.get("/twins/" + created).status()).isEqualTo(404);

        // inside, the scoped key writes, and the events name it
        TwinHttp.Reply patched = scoped.patch("/twins/" + inside, q("{'properties':{'desired':{'mode':'eco'}}}"));
        assertThat(patched.status()).as("%s", patched).isEqualTo(200);
        assertThat(scoped.put("/twins/" + created, q("{'tags':{'site':'" + site + "'}}")).status()).isEqualTo(201);

        // a batch refuses the items outside the scope and applies the others
        JsonNode results = scoped.post("/twins/batch", q("{'items':[{'deviceId':'" + inside
                + "','patch':{'tags':{'ring':1}}},{'deviceId':'" + outside + "','patch':{'tags':{'ring':1}}},"
                + "{'deviceId':'" + inside + "','patch':{'tags':{'site':'gone'}}}]}")).json().get("results");
        assertThat(results.get(0).get("status").asInt()).isEqualTo(200);
        assertThat(results.get(1).get("status").asInt()).isEqualTo(403);
        assertThat(results.get(1).get("problem").get("code").asText()).isEqualTo("outsideScope");
        assertThat(results.get(1).get("problem").get("path").asText()).isEqualTo("$.items[1]");
        assertThat(results.get(2).get("status").asInt()).isEqualTo(403);
        assertThat(http.get("/twins/" + outside).json().get("version").asLong()).isEqualTo(outsideVersion);
        assertThat(http.get("/twins/" + inside).json().path("tags").path("site").asText()).isEqualTo(site);
    }

    @Test
    void configurationsAndJobsMayTargetOnlyInsideTheScope() {
        String scope = "tags.site = '" + site + "'";
        JsonNode refused = assertProblem(scoped.put("/configurations/wide-" + site, configuration("tags.ring = 1")),
                403, "outsideScope");
        assertThat(refused.get("path").asText()).isEqualTo("$.targetCondition");
        assertThat(refused.get("detail").asText()).contains(scope);
        assertThat(http.get("/configurations/wide-" + site).status()).isEqualTo(404);
        assertThat(scoped.put("/configurations/narrow-" + site, configuration("tags.ring = 1 AND " + scope))
                .status()).isEqualTo(201);

        assertProblem(scoped.put("/jobs/wide-" + site, job("*")), 403, "outsideScope");
        assertThat(http.get("/jobs/wide-" + site).status()).isEqualTo(404);
        assertThat(scoped.put("/jobs/narrow-" + site, job(scope + " AND tags.ring = 1")).status()).isEqualTo(201);

        // what someone else made for twins outside the scope, the scoped caller can neither change nor withdraw (the
        // platform is shared with other tests: nothing here may target their twins)
        String elsewhere = "tags.site = '" + site + "-other'";
        assertThat(http.put("/configurations/fleet-" + site, configuration(elsewhere)).status()).isEqualTo(201);
        assertProblem(scoped.delete("/configurations/fleet-" + site), 403, "outsideScope");
        assertProblem(scoped.put("/configurations/fleet-" + site, configuration(scope)), 403, "outsideScope");
        assertThat(http.get("/configurations/fleet-" + site).json().get("targetCondition").asText())
                .isEqualTo(elsewhere);
        assertThat(http.put("/jobs/fleet-" + site, job(elsewhere)
                .put("startTime", Instant.now().plus(Duration.ofHours(1)).toString())).status()).isEqualTo(201);
        assertProblem(scoped.post("/jobs/fleet-" + site + "/cancel", null), 403, "outsideScope");
        assertThat(http.get("/jobs/fleet-" + site).json().get("status").asText()).isNotEqualTo("cancelled");

        // nor roll out a staged configuration that targets outside it
        ObjectNode staged = configuration(elsewhere).put("staged", true);
        staged.putObject("metrics").putObject("queries").put("compliant", "SELECT deviceId FROM devices");
        assertThat(http.put("/configurations/staged-" + site, staged).status()).isEqualTo(201);
        ObjectNode rollout = TwinHttp.JSON.createObjectNode().put("id", "r-" + site)
                .put("configurationId", "staged-" + site).put("onFailure", "pause");
        rollout.set("phases", j("[{'name':'canary','percent':5.0},{'percent':100.0}]"));
        rollout.set("success", j("{'metric':'compliant','minPercent':95,'soakSeconds':1}"));
        rollout.set("failure", j("{'reportedCondition':'properties.reported.state = \\'Error\\'','maxPercent':2}"));
        assertProblem(scoped.post("/rollouts", rollout), 403, "outsideScope");
        assertThat(http.get("/rollouts/r-" + site).status()).isEqualTo(404);
    }

    @Test
    void aTokensScopeClaimScopesIt_andAScopeClaimThatIsNoConditionRefusesTheToken() {
        String token = ISSUER.token(ISSUER.issuer(), TestIssuer.AUDIENCE, "scoped-" + site,
                Map.of("roles", List.of("viewer"), "twin_scope", "tags.site = '" + site + "'"),
                Instant.now().plus(Duration.ofMinutes(5)));
        TwinHttp byToken = http.withKey(token);
        assertThat(byToken.get("/twins/" + inside).status()).isEqualTo(200);
        assertProblem(byToken.get("/twins/" + outside), 404, "twinNotFound");

        String broken = ISSUER.token(ISSUER.issuer(), TestIssuer.AUDIENCE, "broken-" + site,
                Map.of("roles", List.of("viewer"), "twin_scope", "tags.site = "),
                Instant.now().plus(Duration.ofMinutes(5)));
        TwinHttp.Reply refused = http.withKey(broken).get("/twins/" + inside);
        assertProblem(refused, 401, "unauthorized");
        assertThat(refused.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
    }

    private static ObjectNode configuration(String target) {
        ObjectNode body = TwinHttp.JSON.createObjectNode();
        body.put("targetCondition", target);
        body.put("priority", 1);
        body.putObject("content").set("deviceContent", j("{'properties.desired.scopeTest':{'on':true}}"));
        return body;
    }

    private static ObjectNode job(String condition) {
        ObjectNode job = TwinHttp.JSON.createObjectNode();
        job.put("type", "scheduleUpdateTwin");
        job.put("queryCondition", condition);
        job.set("updateTwin", j("{'tags':{'scopeJob':true}}"));
        return job;
    }
}
