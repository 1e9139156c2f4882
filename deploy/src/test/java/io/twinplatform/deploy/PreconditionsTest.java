package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/** If-Match and If-None-Match guard operator writes: a stale etag is 412 and changes nothing. */
class PreconditionsTest extends PlatformTestSupport {

    @Test
    void patchWithAStaleEtagIsRefusedAndChangesNothing() {
        String id = createDevice("{'tags':{'site':'a'},'properties':{'desired':{'fan':1}}}");
        String path = "/twins/" + id;
        Reply v2 = http.patch(path, q("{'properties':{'desired':{'fan':2}}}"));
        assertThat(v2.etag()).isEqualTo("\"2\"");

        JsonNode problem = assertProblem(
                http.patch(path, q("{'tags':{'site':'b'},'properties':{'desired':{'fan':3}}}"), "If-Match", "\"1\""),
                412, "etagMismatch");
        assertThat(problem.path("detail").asText()).contains("\"1\"").contains("\"2\"");

        Reply read = http.get(path);
        assertThat(read.etag()).isEqualTo("\"2\"");
        assertThat(read.json()).isEqualTo(v2.json());
        assertThat(read.json().path("tags")).isEqualTo(j("{'site':'a'}"));
        assertThat(values(read.json().path("properties").path("desired"))).isEqualTo(j("{'fan':2}"));

        // An etag the platform never issued matches nothing either.
        assertProblem(http.patch(path, q("{'tags':{'site':'b'}}"), "If-Match", "\"not-a-version\""), 412, "etagMismatch");

        // With the current etag (strong or weak), the same patch applies.
        Reply v3 = http.patch(path, q("{'tags':{'site':'b'}}"), "If-Match", "\"2\"");
        assertThat(v3.status()).as("%s", v3).isEqualTo(200);
        assertThat(v3.etag()).isEqualTo("\"3\"");
        assertThat(v3.json().path("tags")).isEqualTo(j("{'site':'b'}"));
        Reply v4 = http.patch(path, q("{'tags':{'site':'c'}}"), "If-Match", "W/\"3\"");
        assertThat(v4.status()).as("%s", v4).isEqualTo(200);
        assertThat(v4.version()).isEqualTo(4);
        assertThat(http.patch(path, q("{'tags':{'site':'d'}}"), "If-Match", "*").version()).isEqualTo(5);
        assertThat(http.get(path).json().path("tags")).isEqualTo(j("{'site':'d'}"));
    }

    @Test
    void putWithIfNoneMatchStarOnlyCreates() {
        String id = createDevice("{'tags':{'site':'a'}}");
        assertProblem(http.put("/twins/" + id, q("{'tags':{'site':'b'}}"), "If-None-Match", "*"), 412, "etagMismatch");
        Reply read = http.get("/twins/" + id);
        assertThat(read.version()).isEqualTo(1);
        assertThat(read.json().path("tags")).isEqualTo(j("{'site':'a'}"));

        String fresh = newDeviceId();
        Reply created = http.put("/twins/" + fresh, q("{'tags':{'site':'b'}}"), "If-None-Match", "*");
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.etag()).isEqualTo("\"1\"");
        assertThat(http.get("/twins/" + fresh).json().path("tags")).isEqualTo(j("{'site':'b'}"));

        // A write cannot honour If-None-Match with an etag.
        assertProblem(http.put("/twins/" + fresh, q("{'tags':{'site':'c'}}"), "If-None-Match", "\"1\""),
                412, "unsupportedPrecondition");
        assertThat(http.get("/twins/" + fresh).version()).isEqualTo(1);
    }

    @Test
    void putWithAStaleEtagIsRefused() {
        String id = createDevice("{'tags':{'site':'a'}}");
        http.patch("/twins/" + id, q("{'tags':{'floor':1}}"));

        assertProblem(http.put("/twins/" + id, q("{'tags':{'site':'z'}}"), "If-Match", "\"1\""), 412, "etagMismatch");
        Reply read = http.get("/twins/" + id);
        assertThat(read.version()).isEqualTo(2);
        assertThat(read.json().path("tags")).isEqualTo(j("{'site':'a','floor':1}"));

        Reply replaced = http.put("/twins/" + id, q("{'tags':{'site':'z'}}"), "If-Match", "\"2\"");
        assertThat(replaced.status()).as("%s", replaced).isEqualTo(200);
        assertThat(replaced.version()).isEqualTo(3);

        // If-Match on a twin that does not exist cannot match.
        String absent = newDeviceId();
        assertProblem(http.put("/twins/" + absent, q("{}"), "If-Match", "\"1\""), 412, "etagMismatch");
        assertProblem(http.get("/twins/" + absent), 404, "twinNotFound");
    }

    @Test
    void deleteWithAStaleEtagIsRefusedAndTheTwinStays() {
        String id = createDevice("{'tags':{'site':'a'}}");
        http.patch("/twins/" + id, q("{'tags':{'floor':1}}"));

        assertProblem(http.delete("/twins/" + id, "If-Match", "\"1\""), 412, "etagMismatch");
        Reply read = http.get("/twins/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.version()).isEqualTo(2);

        assertThat(http.delete("/twins/" + id, "If-Match", "\"2\"").status()).isEqualTo(204);
        assertProblem(http.get("/twins/" + id), 404, "twinNotFound");
    }

    @Test
    void statusWithAStaleEtagIsRefused() {
        String id = createDevice("{}");
        http.patch("/twins/" + id, q("{'tags':{'floor':1}}"));
        assertProblem(http.put("/twins/" + id + "/status", q("{'status':'disabled'}"), "If-Match", "\"1\""),
                412, "etagMismatch");
        Reply read = http.get("/twins/" + id);
        assertThat(read.json().path("status").asText()).isEqualTo("enabled");
        assertThat(read.version()).isEqualTo(2);
        Reply disabled = http.put("/twins/" + id + "/status", q("{'status':'disabled'}"), "If-Match", "\"2\"");
        assertThat(disabled.status()).as("%s", disabled).isEqualTo(200);
        assertThat(disabled.json().path("status").asText()).isEqualTo("disabled");
    }
}
