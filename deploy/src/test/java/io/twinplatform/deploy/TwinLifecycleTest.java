package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/** A twin's life over HTTP, as an operator and a device see it: create, replace, patch, report, delete, again. */
class TwinLifecycleTest extends PlatformTestSupport {

    /** GET right after a write shows that write: same document, same version, matching ETag. */
    private JsonNode assertReadShows(String path, Reply write) {
        Reply read = http.get(path);
        assertThat(read.status()).as("GET %s: %s", path, read).isEqualTo(200);
        assertThat(read.etag()).isEqualTo("\"" + write.version() + "\"");
        assertThat(read.json()).as("GET %s shows the write", path).isEqualTo(write.json());
        return read.json();
    }

    @Test
    void deviceTwinLivesThroughCreateReplacePatchReportDeleteAndCreateAgain() {
        String id = newDeviceId();
        String path = "/twins/" + id;

        // Given no twin, when PUT, then 201 with the new twin at version 1.
        Reply created = http.put(path, q("""
                {'tags':{'location':{'building':'b1'},'deviceType':'sensor'},
                 'properties':{'desired':{'telemetryInterval':30,'mode':'eco'}}}"""));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.etag()).isEqualTo("\"1\"");
        assertThat(created.contentType()).startsWith("application/json");
        JsonNode twin = created.json();
        assertThat(twin.path("deviceId").asText()).isEqualTo(id);
        assertThat(twin.has("moduleId")).isTrue();
        assertThat(twin.get("moduleId").isNull()).isTrue();
        assertThat(twin.path("etag").asText()).isEqualTo("\"1\"");
        assertThat(twin.path("version").asLong()).isEqualTo(1);
        assertThat(twin.path("status").asText()).isEqualTo("enabled");
        assertThat(twin.path("connectionState").asText()).isEqualTo("Disconnected");
        assertThat(twin.path("tags")).isEqualTo(j("{'location':{'building':'b1'},'deviceType':'sensor'}"));
        JsonNode desired = twin.path("properties").path("desired");
        assertThat(values(desired)).isEqualTo(j("{'telemetryInterval':30,'mode':'eco'}"));
        assertThat(desired.path("$version").asLong()).isEqualTo(1);
        assertThat(desired.path("$metadata").path("$lastUpdated").asText()).isNotBlank();
        assertThat(desired.path("$metadata").path("telemetryInterval").path("$lastUpdated").asText()).isNotBlank();
        JsonNode reported = twin.path("properties").path("reported");
        assertThat(values(reported)).isEmpty();
        assertThat(reported.path("$version").asLong()).isEqualTo(1);
        assertThat(reported.path("$metadata").isObject()).isTrue();
        assertThat(twin.path("delta")).isEqualTo(j("{'telemetryInterval':30,'mode':'eco'}"));
        assertReadShows(path, created);

        // When PUT again, then tags and desired are replaced whole: 200 at version 2.
        Reply replaced = http.put(path, q("""
                {'tags':{'deviceType':'sensor-v2'},'properties':{'desired':{'telemetryInterval':30,'legacy':true}}}"""));
        assertThat(replaced.status()).as("%s", replaced).isEqualTo(200);
        assertThat(replaced.etag()).isEqualTo("\"2\"");
        assertThat(replaced.version()).isEqualTo(2);
        assertThat(replaced.json().path("tags")).isEqualTo(j("{'deviceType':'sensor-v2'}"));
        desired = replaced.json().path("properties").path("desired");
        assertThat(values(desired)).isEqualTo(j("{'telemetryInterval':30,'legacy':true}"));
        assertThat(desired.path("$version").asLong()).isEqualTo(2);
        assertThat(desired.path("$metadata").has("mode")).isFalse();
        assertReadShows(path, replaced);

        // When PATCH (merge patch), then null removes a key, objects merge: 200 at version 3.
        Reply patched = http.patch(path, q("""
                {'tags':{'floor':3},'properties':{'desired':{'legacy':null,'led':{'color':'blue'}}}}"""));
        assertThat(patched.status()).as("%s", patched).isEqualTo(200);
        assertThat(patched.etag()).isEqualTo("\"3\"");
        assertThat(patched.json().path("tags")).isEqualTo(j("{'deviceType':'sensor-v2','floor':3}"));
        desired = patched.json().path("properties").path("desired");
        assertThat(values(desired)).isEqualTo(j("{'telemetryInterval':30,'led':{'color':'blue'}}"));
        assertThat(desired.path("$version").asLong()).isEqualTo(3);
        assertThat(desired.path("$metadata").has("legacy")).isFalse();
        assertThat(desired.path("$metadata").path("led").path("color").path("$lastUpdatedVersion").asLong())
                .isEqualTo(3);
        assertReadShows(path, patched);

        // When the device reports a different interval, then delta names the desired value it lacks.
        Reply reported60 = http.patch(path + "/properties/reported", q("""
                {'telemetryInterval':60,'firmwareVersion':'1.2.3','led':{'color':'blue'}}"""));
        assertThat(reported60.status()).as("%s", reported60).isEqualTo(200);
        assertThat(reported60.version()).isEqualTo(4);
        reported = reported60.json().path("properties").path("reported");
        assertThat(values(reported)).isEqualTo(j("{'telemetryInterval':60,'firmwareVersion':'1.2.3','led':{'color':'blue'}}"));
        assertThat(reported.path("$version").asLong()).isEqualTo(2);
        assertThat(reported60.json().path("delta")).isEqualTo(j("{'telemetryInterval':30}"));
        assertThat(reported60.json().path("lastActivityTime").asText()).isNotBlank();
        assertThat(reported60.json().path("properties").path("desired").path("$version").asLong()).isEqualTo(3);
        assertReadShows(path, reported60);

        // When it reports the desired value, then the delta is empty.
        Reply reported30 = http.patch(path + "/properties/reported", q("{'telemetryInterval':30}"));
        assertThat(reported30.status()).as("%s", reported30).isEqualTo(200);
        assertThat(reported30.version()).isEqualTo(5);
        assertThat(reported30.json().path("properties").path("reported").path("$version").asLong()).isEqualTo(3);
        assertThat(reported30.json().path("delta")).isEqualTo(j("{}"));
        assertReadShows(path, reported30);

        // When a PATCH changes nothing, then 200 and the version stays.
        Reply noOp = http.patch(path, q("{'tags':{'floor':3},'properties':{'desired':{'telemetryInterval':30}}}"));
        assertThat(noOp.status()).as("%s", noOp).isEqualTo(200);
        assertThat(noOp.version()).isEqualTo(5);
        assertThat(noOp.etag()).isEqualTo("\"5\"");
        assertThat(noOp.json()).isEqualTo(reported30.json());
        assertReadShows(path, noOp);

        // A conditional GET with the current etag is 304 (no body); with an old one, 200.
        Reply notModified = http.get(path, "If-None-Match", "\"5\"");
        assertThat(notModified.status()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
        assertThat(notModified.etag()).isEqualTo("\"5\"");
        assertThat(http.get(path, "If-None-Match", "\"4\"").status()).isEqualTo(200);

        // When DELETE, then 204, and the twin is gone: GET, PATCH and reported patches are 404.
        Reply deleted = http.delete(path);
        assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        assertProblem(http.get(path), 404, "twinNotFound");
        assertProblem(http.patch(path, q("{'tags':{'a':1}}")), 404, "twinNotFound");
        assertProblem(http.patch(path + "/properties/reported", q("{'a':1}")), 404, "twinNotFound");
        assertProblem(http.delete(path), 404, "twinNotFound");

        // When PUT again, then 201 with a fresh twin whose version continues past the old one's.
        Reply again = http.put(path, q("{'tags':{'deviceType':'sensor-v3'}}"));
        assertThat(again.status()).as("%s", again).isEqualTo(201);
        assertThat(again.version()).isGreaterThan(5);
        assertThat(again.etag()).isEqualTo("\"" + again.version() + "\"");
        assertThat(again.json().path("tags")).isEqualTo(j("{'deviceType':'sensor-v3'}"));
        assertThat(values(again.json().path("properties").path("desired"))).isEmpty();
        assertThat(values(again.json().path("properties").path("reported"))).isEmpty();
        assertThat(again.json().path("properties").path("reported").path("$version").asLong()).isEqualTo(1);
        assertThat(again.json().path("delta")).isEqualTo(j("{}"));
        assertReadShows(path, again);
        // An etag of the old twin does not match the new one.
        assertProblem(http.patch(path, q("{'tags':{'a':1}}"), "If-Match", "\"5\""), 412, "etagMismatch");
    }

    @Test
    void moduleTwinLivesBesideItsDeviceTwin() {
        String device = createDevice("{'tags':{'kind':'gateway'}}");
        String path = "/twins/" + device + "/modules/edge-agent";

        Reply created = http.put(path, q("{'tags':{'role':'agent'},'properties':{'desired':{'sampling':5}}}"));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.etag()).isEqualTo("\"1\"");
        assertThat(created.json().path("deviceId").asText()).isEqualTo(device);
        assertThat(created.json().path("moduleId").asText()).isEqualTo("edge-agent");
        assertThat(created.version()).isEqualTo(1);
        assertThat(created.json().path("delta")).isEqualTo(j("{'sampling':5}"));
        assertReadShows(path, created);

        Reply patched = http.patch(path, q("{'properties':{'desired':{'sampling':10}}}"));
        assertThat(patched.status()).as("%s", patched).isEqualTo(200);
        assertThat(patched.version()).isEqualTo(2);
        assertReadShows(path, patched);

        Reply reported = http.patch(path + "/properties/reported", q("{'sampling':5}"));
        assertThat(reported.status()).as("%s", reported).isEqualTo(200);
        assertThat(reported.version()).isEqualTo(3);
        assertThat(reported.json().path("delta")).isEqualTo(j("{'sampling':10}"));
        assertReadShows(path, reported);

        Reply caughtUp = http.patch(path + "/properties/reported", q("{'sampling':10}"));
        assertThat(caughtUp.json().path("delta")).isEqualTo(j("{}"));
        assertReadShows(path, caughtUp);

        // The device twin is untouched by its module's writes.
        Reply deviceTwin = http.get("/twins/" + device);
        assertThat(deviceTwin.version()).isEqualTo(1);
        assertThat(deviceTwin.json().path("tags")).isEqualTo(j("{'kind':'gateway'}"));
        assertThat(values(deviceTwin.json().path("properties").path("reported"))).isEmpty();

        assertThat(http.delete(path).status()).isEqualTo(204);
        assertProblem(http.get(path), 404, "twinNotFound");
        assertThat(http.get("/twins/" + device).status()).isEqualTo(200);
    }

    @Test
    void moduleTwinNeedsItsDeviceTwin() {
        String device = newDeviceId();
        JsonNode problem = assertProblem(http.put("/twins/" + device + "/modules/m1", q("{'tags':{}}")),
                404, "deviceNotFound");
        assertThat(problem.path("detail").asText()).contains(device);
        assertProblem(http.get("/twins/" + device + "/modules/m1"), 404, "twinNotFound");

        // Once the device twin exists, the same request creates the module twin.
        assertThat(http.put("/twins/" + device, q("{}")).status()).isEqualTo(201);
        assertThat(http.put("/twins/" + device + "/modules/m1", q("{'tags':{}}")).status()).isEqualTo(201);
    }

    @Test
    void deviceTwinWithALiveModuleCannotBeDeleted() {
        String device = createDevice("{}");
        assertThat(http.put("/twins/" + device + "/modules/m1", q("{}")).status()).isEqualTo(201);

        assertProblem(http.delete("/twins/" + device), 409, "deviceHasModules");
        assertThat(http.get("/twins/" + device).status()).isEqualTo(200);
        assertThat(http.get("/twins/" + device).version()).isEqualTo(1);

        assertThat(http.delete("/twins/" + device + "/modules/m1").status()).isEqualTo(204);
        assertThat(http.delete("/twins/" + device).status()).isEqualTo(204);
        assertProblem(http.get("/twins/" + device), 404, "twinNotFound");
    }

    @Test
    void statusDisablesTheDevice() {
        String id = createDevice("{'tags':{'a':1}}");
        Reply disabled = http.put("/twins/" + id + "/status", q("{'status':'disabled','statusReason':'maintenance'}"));
        assertThat(disabled.status()).as("%s", disabled).isEqualTo(200);
        assertThat(disabled.version()).isEqualTo(2);
        assertThat(disabled.json().path("status").asText()).isEqualTo("disabled");
        assertThat(disabled.json().path("statusReason").asText()).isEqualTo("maintenance");
        assertThat(disabled.json().path("statusUpdatedTime").asText()).isNotBlank();
        JsonNode read = assertReadShows("/twins/" + id, disabled);
        assertThat(read.path("status").asText()).isEqualTo("disabled");

        // The same status and reason again change nothing; a new reason is a change; an unknown status is refused.
        assertThat(http.put("/twins/" + id + "/status", q("{'status':'disabled','statusReason':'maintenance'}"))
                .version()).isEqualTo(2);
        Reply newReason = http.put("/twins/" + id + "/status", q("{'status':'disabled','statusReason':'recall'}"));
        assertThat(newReason.version()).isEqualTo(3);
        assertThat(newReason.json().path("statusReason").asText()).isEqualTo("recall");
        assertProblem(http.put("/twins/" + id + "/status", q("{'status':'paused'}")), 400, "invalidStatus");
        assertThat(http.get("/twins/" + id).version()).isEqualTo(3);

        Reply enabled = http.put("/twins/" + id + "/status", q("{'status':'enabled'}"));
        assertThat(enabled.version()).isEqualTo(4);
        assertThat(enabled.json().has("statusReason")).isFalse();
        assertThat(enabled.json().path("status").asText()).isEqualTo("enabled");
        assertReadShows("/twins/" + id, enabled);
    }
}
