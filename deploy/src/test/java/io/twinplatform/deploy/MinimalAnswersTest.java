package io.twinplatform.deploy;

import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code Prefer: return=minimal} (RFC 7240) on the twin writes: the etag without the twin, and reads unchanged. */
class MinimalAnswersTest extends PlatformTestSupport {

    private static final String[] MINIMAL = {"Prefer", "return=minimal"};

    private static void assertMinimal(Reply reply, int status, String etag) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(status);
        assertThat(reply.etag()).as("ETag of %s", reply).isEqualTo(etag);
        assertThat(reply.headers().firstValue("Preference-Applied")).hasValue("return=minimal");
        assertThat(reply.body()).isEmpty();
    }

    @Test
    void deviceTwinWritesAnswerOnlyTheirEtagAndAReadRightAfterShowsThem() {
        String id = newDeviceId();
        String path = "/twins/" + id;

        // Given no twin, when PUT with return=minimal, then 201 with the etag and no body; GET shows the twin.
        assertMinimal(http.put(path, q("{'tags':{'site':'north'},'properties':{'desired':{'t':20}}}"), MINIMAL),
                201, "\"1\"");
        Reply read = http.get(path);
        assertThat(read.etag()).isEqualTo("\"1\"");
        assertThat(read.json().path("tags")).isEqualTo(j("{'site':'north'}"));

        // When PUT replaces it, then 204.
        assertMinimal(http.put(path, q("{'tags':{'site':'south'},'properties':{'desired':{'t':20}}}"), MINIMAL),
                204, "\"2\"");
        assertThat(http.get(path).json().path("tags")).isEqualTo(j("{'site':'south'}"));

        // When PATCH desired, then 204, and GET shows the patch at once (read-your-writes).
        assertMinimal(http.patch(path, q("{'properties':{'desired':{'t':21}}}"), MINIMAL), 204, "\"3\"");
        read = http.get(path);
        assertThat(read.etag()).isEqualTo("\"3\"");
        assertThat(values(read.json().path("properties").path("desired"))).isEqualTo(j("{'t':21}"));

        // When the device reports, then 204, and GET shows the reported values.
        assertMinimal(http.patch(path + "/properties/reported", q("{'t':21,'fw':'1.2'}"), MINIMAL), 204, "\"4\"");
        read = http.get(path);
        assertThat(read.etag()).isEqualTo("\"4\"");
        assertThat(values(read.json().path("properties").path("reported"))).isEqualTo(j("{'t':21,'fw':'1.2'}"));

        // When a report changes nothing, then 204 with the current etag.
        assertMinimal(http.patch(path + "/properties/reported", q("{'t':21}"), MINIMAL), 204, "\"4\"");
    }

    @Test
    void moduleTwinWritesAnswerOnlyTheirEtag() {
        String device = createDevice("{}");
        String path = "/twins/" + device + "/modules/edge";

        assertMinimal(http.put(path, q("{'tags':{'role':'edge'}}"), MINIMAL), 201, "\"1\"");
        assertMinimal(http.patch(path, q("{'tags':{'zone':'a'}}"), MINIMAL), 204, "\"2\"");
        assertMinimal(http.patch(path + "/properties/reported", q("{'up':true}"), MINIMAL), 204, "\"3\"");

        Reply read = http.get(path);
        assertThat(read.etag()).isEqualTo("\"3\"");
        assertThat(read.json().path("tags")).isEqualTo(j("{'role':'edge','zone':'a'}"));
        assertThat(values(read.json().path("properties").path("reported"))).isEqualTo(j("{'up':true}"));
    }

    @Test
    void answersTheWholeTwinWithoutThePreferenceOrWithAnother() {
        String id = createDevice("{'tags':{'site':'north'}}");
        String path = "/twins/" + id;

        Reply plain = http.patch(path, q("{'tags':{'floor':1}}"));
        Reply representation = http.patch(path, q("{'tags':{'floor':2}}"), "Prefer", "return=representation");
        Reply unknown = http.patch(path + "/properties/reported", q("{'t':1}"), "Prefer", "respond-async, wait=5");

        for (Reply reply : new Reply[]{plain, representation, unknown}) {
            assertThat(reply.status()).as("%s", reply).isEqualTo(200);
            assertThat(reply.headers().firstValue("Preference-Applied")).isEmpty();
            assertThat(reply.etag()).isEqualTo("\"" + reply.version() + "\"");
            assertThat(reply.json().path("deviceId").asText()).isEqualTo(id);
        }
        assertThat(representation.json().path("tags")).isEqualTo(j("{'site':'north','floor':2}"));
    }

    @Test
    void refusesAStaleEtagWithAProblemWhateverThePreference() {
        String id = createDevice("{}");

        Reply stale = http.patch("/twins/" + id, q("{'tags':{'a':1}}"), "If-Match", "\"7\"", "Prefer", "return=minimal");

        assertProblem(stale, 412, "etagMismatch");
        assertThat(http.get("/twins/" + id).etag()).isEqualTo("\"1\"");
    }
}
