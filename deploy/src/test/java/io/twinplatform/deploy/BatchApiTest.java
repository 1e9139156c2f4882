package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /twins/batch}: each item is applied or refused on its own, with the result its single endpoint would
 * give; a malformed envelope is refused whole and writes nothing.
 */
class BatchApiTest extends PlatformTestSupport {

    @Autowired
    private DataSource dataSource;

    private Reply batch(String singleQuotedItems, String... headers) {
        return batch(http, singleQuotedItems, headers);
    }

    private static Reply batch(TwinHttp client, String singleQuotedItems, String... headers) {
        return client.post("/twins/batch", q("{'items':[" + singleQuotedItems + "]}"), headers);
    }

    private static JsonNode results(Reply reply) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        assertThat(reply.contentType()).startsWith("application/json");
        return reply.json().get("results");
    }

    private long events(String correlation) {
        Long count = new JdbcTemplate(dataSource).queryForObject("SELECT count(*) FROM domain_event_entry"
                + " WHERE convert_from(meta_data, 'UTF8') LIKE ?", Long.class, "%\"" + correlation + "\"%");
        return count == null ? 0 : count;
    }

    @Test
    void appliesAMixedBatchAcrossTwinsAndRefusesBadItemsAlone() {
        String a = createDevice("{'tags':{'site':'a'},'properties':{'desired':{'fan':1}}}");
        String b = createDevice("{}");
        assertThat(http.put("/twins/" + a + "/modules/m1", q("{}")).status()).isEqualTo(201);
        String unknown = newDeviceId();

        Reply reply = batch(http.as("fleet-service").http(),
                "{'deviceId':'" + a + "','reported':{'fan':1,'fw':'1.0'},'idempotencyKey':'k1'},"
                        + "{'deviceId':'" + a + "','moduleId':'m1','reported':{'temp':21.5}},"
                        + "{'deviceId':'" + b + "','patch':{'tags':{'ring':'early'},'properties':{'desired':{'fan':2}}},"
                        + "'ifMatch':'\\'1\\''},"
                        + "{'deviceId':'" + b + "','reported':{'bad':'x\\u0000y'}},"
                        + "{'deviceId':'" + b + "','patch':{'tags':{'$bad':1}}},"
                        + "{'deviceId':'" + a + "','patch':{'tags':{'site':'z'}},'ifMatch':'\\'1\\''},"
                        + "{'deviceId':'" + unknown + "','reported':{'x':1}},"
                        + "{'deviceId':'" + a + "','patch':{'tags':{'site':'b'}}}",
                "X-Correlation-Id", "batch-mixed", "X-Change-Reason", "bulk");
        JsonNode results = results(reply);

        assertThat(results).extracting(r -> r.get("index").asInt()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(results).extracting(r -> r.get("status").asInt())
                .containsExactly(200, 200, 200, 400, 400, 412, 404, 200);
        assertThat(results.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(results.get(0).get("etag").asText()).isEqualTo("\"2\"");
        assertThat(results.get(0).get("changed").asBoolean()).isTrue();
        assertThat(results.get(1).get("moduleId").asText()).isEqualTo("m1");
        assertThat(results.get(1).get("version").asLong()).isEqualTo(2);
        assertThat(results.get(2).get("version").asLong()).isEqualTo(2);
        assertThat(results.get(3).at("/problem/code").asText()).isEqualTo("invalidText");
        assertThat(results.get(3).at("/problem/path").asText()).isEqualTo("$.items[3].reported.bad");
        assertThat(results.get(4).at("/problem/path").asText()).isEqualTo("$.items[4].patch.tags['$bad']");
        assertThat(results.get(5).at("/problem/code").asText()).isEqualTo("etagMismatch");
        assertThat(results.get(5).at("/problem/status").asInt()).isEqualTo(412);
        assertThat(results.get(6).at("/problem/code").asText()).isEqualTo("twinNotFound");
        assertThat(results.get(7).get("version").asLong()).isEqualTo(3);

        // Only the accepted items wrote, one event each, with the request's audit metadata.
        assertThat(events("batch-mixed")).isEqualTo(4);
        JsonNode twinA = http.awaitJson("/twins/" + a, t -> t.get("version").asLong() == 3, Duration.ofSeconds(10));
        assertThat(values(twinA.at("/properties/reported"))).isEqualTo(j("{'fan':1,'fw':'1.0'}"));
        assertThat(twinA.at("/tags/site").asText()).isEqualTo("b");
        JsonNode twinB = http.awaitJson("/twins/" + b, t -> t.get("version").asLong() == 2, Duration.ofSeconds(10));
        assertThat(twinB.at("/tags")).isEqualTo(j("{'ring':'early'}"));
        assertThat(values(twinB.at("/properties/desired"))).isEqualTo(j("{'fan':2}"));
        assertThat(twinB.at("/properties/reported/bad").isMissingNode()).isTrue();
        assertThat(http.awaitJson("/twins/" + a + "/modules/m1", t -> t.get("version").asLong() == 2,
                Duration.ofSeconds(10)).at("/properties/reported/temp").asDouble()).isEqualTo(21.5);
        assertThat(http.get("/twins/" + unknown).status()).isEqualTo(404);

        JsonNode history = http.awaitHistory("/twins/" + a + "/history", 3);
        assertThat(history.get("items")).extracting(item -> item.get("version").asLong()).containsExactly(3L, 2L, 1L);
        JsonNode reported = history.get("items").get(1);
        assertThat(reported.get("channel").asText()).isEqualTo("device");
        assertThat(reported.get("principal").asText()).isEqualTo(http.as("fleet-service").principal());
        assertThat(reported.get("reason").asText()).isEqualTo("bulk");
        assertThat(history.get("items").get(0).get("channel").asText()).isEqualTo("api");
    }

    @Test
    void appliesItemsOfOneTwinInTheirOrder() {
        String id = createDevice("{}");
        StringBuilder items = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            items.append(i == 1 ? "" : ",").append("{'deviceId':'").append(id).append("','reported':{'n':")
                    .append(i).append("}}");
        }

        JsonNode results = results(batch(items.toString()));

        List<Long> versions = new ArrayList<>();
        results.forEach(r -> versions.add(r.get("version").asLong()));
        assertThat(versions).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L,
                18L, 19L, 20L, 21L);
        JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() == 21, Duration.ofSeconds(10));
        assertThat(twin.at("/properties/reported/n").asInt()).isEqualTo(20);
    }

    @Test
    void aRepeatedIdempotencyKeyIsANoOp() {
        String id = createDevice("{}");
        String item = "{'deviceId':'" + id + "','reported':{'n':1},'idempotencyKey':'msg-1'}";

        JsonNode first = results(batch(item));
        JsonNode again = results(batch(item + ",{'deviceId':'" + id + "','reported':{'n':2},'idempotencyKey':'msg-1'}"));

        assertThat(first.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(again).extracting(r -> r.get("status").asInt()).containsExactly(200, 200);
        assertThat(again).extracting(r -> r.get("changed").asBoolean()).containsExactly(false, false);
        assertThat(again).extracting(r -> r.get("version").asLong()).containsExactly(2L, 2L);
        // A batch answers without waiting for the read side: read the twin once it shows version 2.
        JsonNode twin = http.awaitJson("/twins/" + id, read -> read.get("version").asLong() >= 2, Duration.ofSeconds(10));
        assertThat(twin.get("version").asLong()).isEqualTo(2);
        assertThat(twin.at("/properties/reported/n").asInt()).isEqualTo(1);
    }

    @Test
    void refusesAMalformedEnvelopeWholeAndWritesNothing() {
        String id = createDevice("{}");
        String item = "{'deviceId':'" + id + "','reported':{'n':1}}";

        assertProblem(http.post("/twins/batch", "not json", "X-Correlation-Id", "batch-env-1"), 400, "malformedJson");
        assertProblem(http.post("/twins/batch", q("{'things':[" + item + "]}"), "X-Correlation-Id", "batch-env-2"),
                400, "unknownMember");
        assertThat(assertProblem(http.post("/twins/batch", q("{}"), "X-Correlation-Id", "batch-env-3"), 400,
                "missingItems").path("path").asText()).isEqualTo("$.items");
        assertProblem(http.post("/twins/batch", q("{'items':" + item + "}"), "X-Correlation-Id", "batch-env-4"), 400,
                "notAnArray");
        StringBuilder many = new StringBuilder(item);
        for (int i = 0; i < 1000; i++) {
            many.append(',').append(item);
        }
        assertProblem(batch(many.toString(), "X-Correlation-Id", "batch-env-5"), 413, "tooManyItems");
        assertProblem(http.post("/twins/batch", q("{'items':[" + item + "]}"), "Content-Type", "text/plain",
                "X-Correlation-Id", "batch-env-6"), 415, null);

        for (int i = 1; i <= 6; i++) {
            assertThat(events("batch-env-" + i)).as("events of envelope %d", i).isZero();
        }
        assertThat(http.get("/twins/" + id).version()).isEqualTo(1);
    }

    @Test
    void isDescribedInTheOpenApiDocument() {
        JsonNode operation = http.get("/v3/api-docs").json().at("/paths/~1twins~1batch/post");
        assertThat(operation.at("/requestBody/content/application~1json").isMissingNode()).isFalse();
        assertThat(operation.at("/responses/200").isMissingNode()).isFalse();
        assertThat(operation.at("/responses/413/content/application~1problem+json").isMissingNode()).isFalse();
    }
}
