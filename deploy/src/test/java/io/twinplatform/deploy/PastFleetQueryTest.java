package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /query} with {@code asOf}: the fleet query language over the fleet as it was at an instant, from the
 * history table; twins created later are absent, deleted ones present, values as they were.
 */
class PastFleetQueryTest extends PlatformTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void seesEachTwinAsItWasAtTheInstant() throws Exception {
        String suite = "s" + UUID.randomUUID().toString().substring(0, 8);
        String d1 = createDevice("{'tags':{'suite':'" + suite + "','n':1},'properties':{'desired':{'fan':1}}}");
        String d2 = createDevice("{'tags':{'suite':'" + suite + "','n':2}}");
        assertThat(http.put("/twins/" + d1 + "/modules/agent", q("{'tags':{'suite':'" + suite + "','n':7}}"))
                .status()).isEqualTo(201);
        Instant t0 = TwinHttp.pause();
        JsonNode d1AtT0 = http.get("/twins/" + d1).json();
        JsonNode agentAtT0 = http.get("/twins/" + d1 + "/modules/agent").json();

        http.patch("/twins/" + d1, q("{'tags':{'n':10}}"));
        assertThat(http.delete("/twins/" + d2).status()).isEqualTo(204);
        String d3 = createDevice("{'tags':{'suite':'" + suite + "','n':3}}");
        http.patch("/twins/" + d1 + "/modules/agent", q("{'tags':{'n':8}}"));
        Instant t1 = TwinHttp.pause();
        http.awaitHistory("/twins/" + d1 + "/modules/agent/history", 2);

        String byN = "SELECT deviceId, tags.n AS n FROM devices WHERE tags.suite = '" + suite + "'";
        Instant beforeAll = Instant.parse(d1AtT0.path("statusUpdatedTime").asText()).minusMillis(1);
        assertThat(ns(query(byN, beforeAll))).isEmpty();
        assertThat(ns(query(byN, t0))).isEqualTo(Map.of(d1, 1, d2, 2));
        assertThat(ns(query(byN, t1))).isEqualTo(Map.of(d1, 10, d3, 3));
        assertThat(ns(query(byN, null))).isEqualTo(ns(query(byN, t1)));

        // Conditions, aggregates and SELECT * read the past values.
        assertThat(ns(query(byN + " AND tags.n = 1", t0))).containsOnlyKeys(d1);
        assertThat(ns(query(byN + " AND tags.n = 1", t1))).isEmpty();
        assertThat(ns(query(byN + " AND properties.desired.fan >= 1", t0))).containsOnlyKeys(d1);
        assertThat(query("SELECT COUNT() AS twins, SUM(tags.n) AS total FROM devices WHERE tags.suite = '" + suite
                + "'", t0).get("items").get(0)).isEqualTo(JSON.readTree("{\"twins\":2,\"total\":3}"));
        assertThat(query("SELECT * FROM devices WHERE deviceId = '" + d1 + "'", t0).get("items").get(0))
                .isEqualTo(d1AtT0);
        assertThat(query("SELECT * FROM devices.modules WHERE tags.suite = '" + suite + "'", t0).get("items"))
                .containsExactly(agentAtT0);
        assertThat(query("SELECT moduleId, tags.n AS n FROM devices.modules WHERE tags.suite = '" + suite + "'", t1)
                .get("items").get(0).get("n").asInt()).isEqualTo(8);
    }

    @Test
    void pagesThroughThePastWithTokensBoundToTheInstant() throws Exception {
        String suite = "p" + UUID.randomUUID().toString().substring(0, 8);
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            devices.add(createDevice("{'tags':{'suite':'" + suite + "','n':" + i + "}}"));
        }
        Instant before = TwinHttp.pause();
        for (String device : devices) {
            http.patch("/twins/" + device, q("{'tags':{'n':100}}"));
        }
        createDevice("{'tags':{'suite':'" + suite + "','n':5}}");
        Instant after = TwinHttp.pause();
        http.awaitHistory("/twins/" + devices.get(4) + "/history", 2);

        String text = "SELECT deviceId, tags.n AS n FROM devices WHERE tags.suite = '" + suite + "' ORDER BY tags.n";
        Map<String, Integer> seen = new TreeMap<>();
        String token = null;
        int pages = 0;
        do {
            JsonNode page = page(text, before, token, 2);
            page.get("items").forEach(item -> seen.put(item.get("deviceId").asText(), item.get("n").asInt()));
            token = page.get("continuationToken").isNull() ? null : page.get("continuationToken").asText();
            pages++;
        } while (token != null);
        assertThat(pages).isEqualTo(3);
        Map<String, Integer> expected = new TreeMap<>();
        for (int i = 0; i < 5; i++) {
            expected.put(devices.get(i), i);
        }
        assertThat(seen).isEqualTo(expected);

        String first = page(text, before, null, 2).get("continuationToken").asText();
        TwinHttp.assertProblem(send(text, after, first, 2), 400, "invalidContinuationToken");
        TwinHttp.assertProblem(send(text, null, first, 2), 400, "invalidContinuationToken");
    }

    @Test
    void refusesInstantsItCannotAnswer() {
        String text = "SELECT deviceId FROM devices";
        for (String asOf : new String[]{"0", "\"yesterday\"", "{}", "\"2026-13-01T00:00:00Z\""}) {
            JsonNode problem = TwinHttp.assertProblem(http.post("/query", "{\"query\":\"" + text + "\",\"asOf\":"
                    + asOf + "}"), 400, "invalidAsOf");
            assertThat(problem.path("path").asText()).isEqualTo("$.asOf");
        }
        // The default retention is 90 days: older fleets are past what the history table holds.
        Instant old = Instant.now().minus(Duration.ofDays(91));
        JsonNode problem = TwinHttp.assertProblem(send(text, old, null, 10), 422, "asOfBeyondRetention");
        assertThat(problem.path("path").asText()).isEqualTo("$.asOf");
    }

    private static Map<String, Integer> ns(JsonNode page) {
        Map<String, Integer> result = new TreeMap<>();
        page.get("items").forEach(item -> result.put(item.get("deviceId").asText(), item.get("n").asInt()));
        return result;
    }

    private JsonNode query(String text, Instant asOf) {
        return page(text, asOf, null, 1000);
    }

    private JsonNode page(String text, Instant asOf, String token, int pageSize) {
        Reply reply = send(text, asOf, token, pageSize);
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        return reply.json();
    }

    private Reply send(String text, Instant asOf, String token, int pageSize) {
        ObjectNode body = JSON.createObjectNode().put("query", text).put("pageSize", pageSize);
        if (asOf != null) {
            body.put("asOf", asOf.toString());
        }
        if (token != null) {
            body.put("continuationToken", token);
        }
        return http.post("/query", body);
    }
}
