package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An operator can see that the platform is up and read its API description. */
class HealthAndDocsTest extends PlatformTestSupport {

    @Test
    void healthIsUpWithTheEventProcessorsRunning() {
        Reply health = http.get("/actuator/health");
        assertThat(health.status()).as("%s", health).isEqualTo(200);
        JsonNode body = health.json();
        assertThat(body.path("status").asText()).isEqualTo("UP");
        JsonNode processors = body.path("components").path("eventProcessors");
        assertThat(processors.path("status").asText()).as("%s", processors).isEqualTo("UP");
        assertThat(processors.path("details").path("twin-state").asText()).isEqualTo("running");
        assertThat(processors.path("details").path("twin-registry").asText()).isEqualTo("running");
        assertThat(body.path("components").path("db").path("status").asText()).isEqualTo("UP");

        assertThat(http.get("/actuator/health/liveness").json().path("status").asText()).isEqualTo("UP");
        assertThat(http.get("/actuator/health/readiness").json().path("status").asText()).isEqualTo("UP");
    }

    @Test
    void theCachesCountTheirHitsAndMisses() {
        String id = createDevice("{'tags':{'a':1}}");
        assertThat(http.patch("/twins/" + id, TwinHttp.q("{'tags':{'a':2}}")).status()).isEqualTo(200);
        http.awaitHistory("/twins/" + id + "/history", 2);

        Reply gets = http.get("/actuator/metrics/cache.gets");
        assertThat(gets.status()).as("%s", gets).isEqualTo(200);
        List<String> caches = new ArrayList<>();
        for (var tag : gets.json().path("availableTags")) {
            if (tag.path("tag").asText().equals("cache")) {
                tag.path("values").forEach(value -> caches.add(value.asText()));
            }
        }
        assertThat(caches).contains("twins", "twin-current.recent", "twin-history.heads");
        assertThat(http.get("/actuator/metrics/cache.gets?tag=cache:twins&tag=result:hit").json()
                .path("measurements").get(0).path("value").asDouble()).as("the second write found the twin loaded")
                .isGreaterThan(0);
    }

    @Test
    void theOpenApiDocumentDescribesTheTwinPaths() {
        Reply docs = http.get("/v3/api-docs");
        assertThat(docs.status()).as("%s", docs).isEqualTo(200);
        assertThat(docs.contentType()).startsWith("application/json");
        JsonNode paths = docs.json().path("paths");
        assertThat(paths.has("/twins/{deviceId}")).as("paths: %s", paths.fieldNames()).isTrue();
        assertThat(paths.has("/twins/{deviceId}/shadow")).isTrue();
        assertThat(paths.has("/twins/{deviceId}/properties/reported")).isTrue();
        assertThat(paths.has("/twins/{deviceId}/modules/{moduleId}")).isTrue();
        JsonNode twin = paths.path("/twins/{deviceId}");
        for (String method : new String[]{"get", "put", "patch", "delete"}) {
            assertThat(twin.has(method)).as("%s /twins/{deviceId}", method).isTrue();
        }
        assertThat(paths.path("/twins/{deviceId}/shadow").has("get")).isTrue();
        assertThat(paths.path("/twins/{deviceId}/shadow").has("post")).isTrue();

        // A device's own credentials (Basic) are declared on the operations a device may call, and there alone.
        JsonNode schemes = docs.json().at("/components/securitySchemes");
        assertThat(schemes.at("/bearer/scheme").asText()).isEqualTo("bearer");
        assertThat(schemes.at("/device/scheme").asText()).isEqualTo("basic");
        for (String operation : new String[]{"/twins/{deviceId}/get", "/twins/{deviceId}/modules/{moduleId}/get",
                "/twins/{deviceId}/properties/reported/patch",
                "/twins/{deviceId}/modules/{moduleId}/properties/reported/patch"}) {
            int at = operation.lastIndexOf('/');
            assertThat(paths.path(operation.substring(0, at)).path(operation.substring(at + 1)).path("security")
                    .toString()).as(operation).contains("\"device\"").contains("\"bearer\"");
        }
        assertThat(twin.path("patch").has("security")).as("the document's default: bearer alone").isFalse();
    }

    @Test
    void theOpenApiDocumentNamesBodiesAndEveryAnswerOfAWrite() {
        JsonNode docs = http.get("/v3/api-docs").json();
        JsonNode put = docs.at("/paths/~1twins~1{deviceId}/put");

        assertThat(put.at("/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/TwinWrite");
        assertThat(put.path("responses").fieldNames()).toIterable()
                .contains("200", "201", "400", "404", "412", "413", "415", "422");
        assertThat(put.at("/responses/412/content/application~1problem+json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/Problem");
        assertThat(docs.at("/paths/~1twins~1{deviceId}~1properties~1reported/patch/requestBody/content/application~1json/schema/$ref")
                .asText()).isEqualTo("#/components/schemas/ReportedPatch");
        assertThat(docs.at("/paths/~1twins~1{deviceId}~1shadow/post/responses/200/content/application~1json/schema/$ref")
                .asText()).isEqualTo("#/components/schemas/Shadow");
        assertThat(docs.at("/components/schemas/Problem/properties").has("path")).isTrue();
    }

    @Test
    void theOpenApiDocumentDescribesFleetQueriesAndViews() {
        JsonNode docs = http.get("/v3/api-docs").json();
        JsonNode query = docs.at("/paths/~1query/post");

        assertThat(query.at("/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/QueryRequest");
        assertThat(query.at("/responses/200/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/QueryPage");
        assertThat(query.path("responses").fieldNames()).toIterable().contains("400", "422");
        assertThat(docs.at("/paths/~1fleet~1views").has("get")).isTrue();
        assertThat(docs.at("/paths/~1fleet~1views~1{name}").has("get")).isTrue();
    }

    @Test
    void theSwaggerUiIsServed() {
        Reply entry = http.get("/swagger-ui.html");
        assertThat(entry.status()).as("%s", entry).isIn(200, 302);
        if (entry.status() == 302) {
            assertThat(entry.headers().firstValue("Location").orElse("")).contains("/swagger-ui/index.html");
        }
        Reply ui = http.get("/swagger-ui/index.html");
        assertThat(ui.status()).isEqualTo(200);
        assertThat(ui.contentType()).startsWith("text/html");
        assertThat(ui.body()).containsIgnoringCase("swagger");
    }

    @Test
    void anUnknownPathIsAProblemToo() {
        TwinHttp.assertProblem(http.get("/no/such/path"), 404, "noSuchPath");
        TwinHttp.assertProblem(http.send("POST", "/twins/" + newDeviceId(), "{}"), 405, "methodNotAllowed");
    }
}
