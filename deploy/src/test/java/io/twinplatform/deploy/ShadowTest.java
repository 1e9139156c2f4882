package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/** The AWS Device Shadow view of a twin: the same twin, the same events, AWS's document and update rules. */
class ShadowTest extends PlatformTestSupport {

    /** The shadow GET shows what the update answered, and the operator's twin shows the same values. */
    private void assertViewsAgree(String twinPath, Reply update) {
        JsonNode shadow = update.json();
        Reply read = http.get(twinPath + "/shadow");
        assertThat(read.status()).as("%s", read).isEqualTo(200);
        assertThat(read.etag()).isEqualTo("\"" + shadow.path("version").asLong() + "\"");
        assertThat(read.json().path("state")).isEqualTo(shadow.path("state"));
        assertThat(read.json().path("metadata")).isEqualTo(shadow.path("metadata"));
        assertThat(read.json().path("version")).isEqualTo(shadow.path("version"));
        assertThat(read.json().has("clientToken")).isFalse();

        Reply twin = http.get(twinPath);
        assertThat(twin.version()).isEqualTo(shadow.path("version").asLong());
        JsonNode state = shadow.path("state");
        assertThat(values(twin.json().path("properties").path("desired")))
                .isEqualTo(state.has("desired") ? state.get("desired") : j("{}"));
        assertThat(values(twin.json().path("properties").path("reported")))
                .isEqualTo(state.has("reported") ? state.get("reported") : j("{}"));
        assertThat(twin.json().path("delta")).isEqualTo(state.has("delta") ? state.get("delta") : j("{}"));
    }

    @Test
    void shadowUpdatesChangeTheTwinAsAwsWould() {
        String id = createDevice("{'tags':{'kind':'lamp'}}");
        String path = "/twins/" + id;

        // When desired gains a key the device has not reported, then the shadow shows it in delta.
        long before = Instant.now().getEpochSecond();
        Reply desired = http.post(path + "/shadow", q("{'state':{'desired':{'color':'red'}},'clientToken':'abc'}"));
        long after = Instant.now().getEpochSecond();
        assertThat(desired.status()).as("%s", desired).isEqualTo(200);
        JsonNode shadow = desired.json();
        assertThat(shadow.path("state").path("desired")).isEqualTo(j("{'color':'red'}"));
        assertThat(shadow.path("state").path("delta")).isEqualTo(j("{'color':'red'}"));
        assertThat(shadow.path("state").has("reported")).isFalse();
        JsonNode colorTime = shadow.path("metadata").path("desired").path("color").path("timestamp");
        assertThat(colorTime.isIntegralNumber()).as("epoch seconds: %s", colorTime).isTrue();
        assertThat(colorTime.asLong()).isBetween(before - 5, after + 5);
        assertThat(shadow.path("version").asLong()).isEqualTo(2);
        assertThat(desired.etag()).isEqualTo("\"2\"");
        assertThat(shadow.path("timestamp").isIntegralNumber()).isTrue();
        assertThat(shadow.path("timestamp").asLong()).isBetween(before - 5, after + 5);
        assertThat(shadow.path("clientToken").asText()).isEqualTo("abc");
        assertViewsAgree(path, desired);
        assertThat(http.get(path).json().path("tags")).isEqualTo(j("{'kind':'lamp'}"));

        // When the device reports the colour, then the delta is gone.
        Reply reported = http.post(path + "/shadow", q("{'state':{'reported':{'color':'red','watts':9}}}"));
        assertThat(reported.status()).as("%s", reported).isEqualTo(200);
        assertThat(reported.json().path("state").path("reported")).isEqualTo(j("{'color':'red','watts':9}"));
        assertThat(reported.json().path("state").has("delta")).isFalse();
        assertThat(reported.json().path("metadata").path("reported").path("watts").path("timestamp").asLong())
                .isGreaterThanOrEqualTo(before - 5);
        assertThat(reported.json().path("version").asLong()).isEqualTo(3);
        assertThat(reported.json().has("clientToken")).isFalse();
        assertViewsAgree(path, reported);

        // Desired and reported in one update: both change.
        Reply both = http.post(path + "/shadow",
                q("{'state':{'desired':{'color':'blue','dim':50},'reported':{'watts':null}},'clientToken':'t2'}"));
        assertThat(both.status()).as("%s", both).isEqualTo(200);
        assertThat(both.json().path("state").path("desired")).isEqualTo(j("{'color':'blue','dim':50}"));
        assertThat(both.json().path("state").path("reported")).isEqualTo(j("{'color':'red'}"));
        assertThat(both.json().path("state").path("delta")).isEqualTo(j("{'color':'blue','dim':50}"));
        assertThat(both.json().path("version").asLong()).isGreaterThan(3);
        assertViewsAgree(path, both);

        // A stale version is a conflict and changes nothing.
        JsonNode conflict = assertProblem(
                http.post(path + "/shadow", q("{'state':{'desired':{'color':'green'}},'version':2}")), 409, "versionConflict");
        assertThat(conflict.path("detail").asText()).isEqualTo("Version conflict");
        assertThat(http.get(path + "/shadow").json().path("state").path("desired").path("color").asText())
                .isEqualTo("blue");
        // The current version is accepted.
        long current = both.json().path("version").asLong();
        Reply versioned = http.post(path + "/shadow",
                q("{'state':{'desired':{'color':'green'}},'version':" + current + "}"));
        assertThat(versioned.status()).as("%s", versioned).isEqualTo(200);
        assertThat(versioned.json().path("version").asLong()).isEqualTo(current + 1);

        // "desired": null clears desired; reported stays.
        Reply clearDesired = http.post(path + "/shadow", q("{'state':{'desired':null}}"));
        assertThat(clearDesired.status()).as("%s", clearDesired).isEqualTo(200);
        assertThat(clearDesired.json().path("state").has("desired")).isFalse();
        assertThat(clearDesired.json().path("state").has("delta")).isFalse();
        assertThat(clearDesired.json().path("state").path("reported")).isEqualTo(j("{'color':'red'}"));
        assertViewsAgree(path, clearDesired);

        // "state": null clears both.
        http.post(path + "/shadow", q("{'state':{'desired':{'color':'red'}}}"));
        Reply clearAll = http.post(path + "/shadow", q("{'state':null}"));
        assertThat(clearAll.status()).as("%s", clearAll).isEqualTo(200);
        assertThat(clearAll.json().path("state")).isEqualTo(j("{}"));
        assertViewsAgree(path, clearAll);
        assertThat(http.get(path).json().path("tags")).isEqualTo(j("{'kind':'lamp'}"));
    }

    @Test
    void badShadowUpdatesAreRefusedAndChangeNothing() {
        String id = createDevice("{'properties':{'desired':{'color':'red'}}}");
        String path = "/twins/" + id + "/shadow";

        assertThat(assertProblem(http.post(path, q("{'state':{'desired':{'a':1}},'clientToken':'" + "x".repeat(65) + "'}")),
                400, "invalidClientToken").path("path").asText()).isEqualTo("$.clientToken");
        assertThat(assertProblem(http.post(path, q("{'state':{'desired':5}}")), 400, "notAnObject").path("path").asText())
                .isEqualTo("$.state.desired");
        assertProblem(http.post(path, q("{'state':{'reported':[1]}}")), 400, "notAnObject");
        assertProblem(http.post(path, q("{'state':5}")), 400, "notAnObject");
        assertProblem(http.post(path, q("{'clientToken':'abc'}")), 400, "missingState");
        assertProblem(http.post(path, q("{'state':{'desired':{'a':1}},'version':'x'}")), 400, "invalidVersion");
        assertProblem(http.post(path, q("{'state':{'desired':{'a.b':1}}}")), 400, "invalidKey");
        assertProblem(http.post(path, q("{'state':{'desired':{'a':1}}, ")), 400, "malformedJson");

        Reply read = http.get("/twins/" + id);
        assertThat(read.version()).isEqualTo(1);
        assertThat(values(read.json().path("properties").path("desired"))).isEqualTo(j("{'color':'red'}"));

        // A 64-byte client token is fine.
        Reply ok = http.post(path, q("{'state':{'desired':{'a':1}},'clientToken':'" + "x".repeat(64) + "'}"));
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        assertThat(ok.json().path("clientToken").asText()).hasSize(64);
    }

    @Test
    void aModuleTwinHasAShadowToo() {
        String device = createDevice("{}");
        String module = "/twins/" + device + "/modules/camera";
        assertThat(http.put(module, q("{'properties':{'desired':{'fps':30}}}")).status()).isEqualTo(201);

        Reply update = http.post(module + "/shadow", q("{'state':{'reported':{'fps':15}},'clientToken':'m1'}"));
        assertThat(update.status()).as("%s", update).isEqualTo(200);
        assertThat(update.json().path("state").path("desired")).isEqualTo(j("{'fps':30}"));
        assertThat(update.json().path("state").path("reported")).isEqualTo(j("{'fps':15}"));
        assertThat(update.json().path("state").path("delta")).isEqualTo(j("{'fps':30}"));
        assertThat(update.json().path("version").asLong()).isEqualTo(2);
        assertThat(update.json().path("clientToken").asText()).isEqualTo("m1");
        assertViewsAgree(module, update);

        // The device twin's shadow is its own.
        Reply deviceShadow = http.get("/twins/" + device + "/shadow");
        assertThat(deviceShadow.json().path("state")).isEqualTo(j("{}"));
        assertThat(deviceShadow.json().path("version").asLong()).isEqualTo(1);
    }
}
