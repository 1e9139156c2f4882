package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device's own HTTP access (docs/security.md, "Devices over HTTP"): with the credentials it connects to the
 * embedded broker with, as {@code Authorization: Basic}, it reads its own twin and patches its own reported
 * properties, and nothing else; its credentials are checked as the broker checks them.
 */
class DeviceHttpTest extends DeviceChannelTestSupport {

    private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    @Test
    void aDeviceReadsItsTwinAndPatchesItsReportedPropertiesAndIsRecordedAsItself() {
        String id = createDevice("{'site':'a'}");
        TwinHttp device = overHttp(id);

        Reply twin = device.get("/twins/" + id);
        assertThat(twin.status()).as("%s", twin).isEqualTo(200);
        assertThat(twin.json().get("deviceId").asText()).isEqualTo(id);
        Reply patched = device.patch("/twins/" + id + "/properties/reported", q("{'temperature':21.5}"),
                "Idempotency-Key", "r1");
        assertThat(patched.status()).as("%s", patched).isEqualTo(200);
        assertThat(patched.json().at("/properties/reported/temperature").asDouble()).isEqualTo(21.5);
        assertThat(device.get("/twins/" + id, "If-None-Match", patched.etag()).status()).isEqualTo(304);

        JsonNode reported = http.awaitHistory("/twins/" + id + "/history?order=oldest", 2).get("items").get(1);
        assertThat(reported.get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
        assertThat(reported.get("principal").asText()).isEqualTo("device:" + id);
        assertThat(reported.get("channel").asText()).isEqualTo("device");
        assertThat(reported.get("transport").asText()).isEqualTo("http");
        JsonNode audit = http.get("/audit?principal=" + URLEncoder.encode("device:" + id, StandardCharsets.UTF_8))
                .json().get("items");
        assertThat(audit).extracting(item -> item.get("twinId").asText()).containsExactly(id);
    }

    @Test
    void aDeviceMayNotTouchAnotherTwinNorDoAnythingElse() {
        String id = createDevice("{}");
        String other = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/m", q("{}")).status()).isEqualTo(201);
        TwinHttp device = overHttp(id);

        forbidden(device.get("/twins/" + other), id);
        forbidden(device.patch("/twins/" + other + "/properties/reported", q("{'x':1}")), id);
        forbidden(device.get("/twins/" + newDeviceIdNobodyHas()), id);
        forbidden(device.patch("/twins/" + id, q("{'properties':{'desired':{'x':1}}}")), id);
        forbidden(device.put("/twins/" + id, q("{}")), id);
        forbidden(device.put("/twins/" + id + "/status", q("{'status':'enabled'}")), id);
        forbidden(device.post("/twins/" + id + "/shadow", q("{'state':{'reported':{'x':1}}}")), id);
        forbidden(device.get("/twins/" + id + "/modules/m"), id);
        forbidden(device.get("/twins/" + id + "/history"), id);
        forbidden(device.get("/twins/" + id + "?atVersion=1"), id);
        forbidden(device.get("/twins/" + id + "?asOf=2026-01-01T00:00:00Z"), id);
        forbidden(device.post("/twins/" + id + "/key", null), id);
        forbidden(device.post("/query", q("{'query':'SELECT * FROM devices'}")), id);
        forbidden(device.get("/admin/keys"), id);
        forbidden(device.get("/v3/api-docs"), id);
        // The header that names a user is a gateway's: from a device it changes nothing.
        forbidden(device.get("/twins/" + other, "X-Principal", "device:" + other), id);

        assertThat(http.get("/twins/" + other).json().get("version").asLong()).as("nothing written").isEqualTo(1);
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).as("nothing written").isEqualTo(1);
    }

    @Test
    void everyOperationOfTheDocumentIsForbiddenToADeviceButItsOwnTwinsTwo() {
        JsonNode paths = http.get("/v3/api-docs").json().get("paths");
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/m", q("{}")).status()).isEqualTo(201);
        Map<TwinHttp, Set<String>> callers = new LinkedHashMap<>();
        callers.put(overHttp(id), Set.of("GET /twins/{deviceId}", "PATCH /twins/{deviceId}/properties/reported"));
        callers.put(overHttp(id + "/m"), Set.of("GET /twins/{deviceId}/modules/{moduleId}",
                "PATCH /twins/{deviceId}/modules/{moduleId}/properties/reported"));
        List<String> operations = new ArrayList<>();
        paths.fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method ->
                operations.add(method.toUpperCase() + " " + path.getKey())));
        callers.values().forEach(allowed -> assertThat(operations).containsAll(allowed));

        SoftAssertions softly = new SoftAssertions();
        for (String operation : operations) {
            String method = operation.substring(0, operation.indexOf(' '));
            String target = concrete(operation.substring(operation.indexOf(' ') + 1), id);
            callers.forEach((caller, allowed) -> {
                // A body that is not JSON: whatever is let through is refused by the controller, nothing is written.
                Reply reply = caller.send(method, target, BODY_METHODS.contains(method) ? "{" : null);
                String what = caller.authorization() + " " + method + " " + target + " -> " + reply;
                if (allowed.contains(operation)) {
                    softly.assertThat(reply.status()).as(what).isNotIn(401, 403).isLessThan(500);
                } else {
                    softly.assertThat(reply.status()).as(what).isEqualTo(403);
                    softly.assertThat(reply.contentType()).as(what).startsWith("application/problem+json");
                }
            });
        }
        softly.assertAll();
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).as("nothing written").isEqualTo(1);
    }

    @Test
    void wrongUnknownOrMalformedCredentialsAre401WithBothChallengesAndNeverEchoThePassword() {
        String id = createDevice("{}");
        String other = createDevice("{}");
        String password = broker.deviceKeys().password(id);
        String unknown = newDeviceIdNobodyHas();
        ByteArrayOutputStream notUtf8 = new ByteArrayOutputStream();
        notUtf8.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xFE, ':'});
        notUtf8.writeBytes(password.getBytes(StandardCharsets.US_ASCII));
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("wrong password", basic(id + ":" + password.substring(1) + "A"));
        cases.put("another device's password", basic(id + ":" + broker.deviceKeys().password(other)));
        cases.put("the device's next generation, never rotated to", basic(id + ":"
                + broker.deviceKeys().password(id, 1)));
        cases.put("an unknown device with its derived key", basic(unknown + ":"
                + broker.deviceKeys().password(unknown)));
        cases.put("not base64", "Basic %%%" + password);
        cases.put("no colon", "Basic " + base64((id + password).getBytes(StandardCharsets.UTF_8)));
        cases.put("a user name that is not UTF-8", "Basic " + base64(notUtf8.toByteArray()));
        cases.put("a user name that is not a twin id", basic("no such/twin/id:" + password));
        cases.put("an empty user name", basic(":" + password));
        cases.put("nothing after the scheme", "Basic");
        cases.put("the device key as a bearer token", "Bearer " + password);
        String longest = unknown + "x".repeat(128 - unknown.length()) + "/" + "m".repeat(128);
        cases.put("a module whose principal the audit trail cannot hold", basic(longest + ":"
                + broker.deviceKeys().password(longest)));
        for (Map.Entry<String, String> entry : cases.entrySet()) {
            TwinHttp caller = new TwinHttp("http://127.0.0.1:" + port, entry.getValue());
            for (Reply reply : List.of(caller.get("/twins/" + id),
                    caller.patch("/twins/" + id + "/properties/reported", q("{'x':1}")))) {
                unauthorized(reply, password, entry.getKey());
            }
        }
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).as("nothing written").isEqualTo(1);
    }

    @Test
    void aRotatedRevokedDisabledOrDeletedDevicesCredentialsAreRefusedAtOnce() {
        String id = createDevice("{}");
        String fleetKey = broker.deviceKeys().password(id);
        TwinHttp device = overHttp(id);
        assertThat(device.get("/twins/" + id).status()).as("admitted, and so remembered").isEqualTo(200);

        // Rotated: the old generation is refused, the new one admitted.
        String rotated = http.post("/twins/" + id + "/key", null).json().get("password").asText();
        unauthorized(device.get("/twins/" + id), fleetKey, "an old generation");
        TwinHttp current = new TwinHttp("http://127.0.0.1:" + port, basic(id + ":" + rotated));
        assertThat(current.get("/twins/" + id).status()).isEqualTo(200);

        // Revoked: every generation refused until the next rotation.
        assertThat(http.delete("/twins/" + id + "/key").status()).isEqualTo(204);
        unauthorized(current.get("/twins/" + id), rotated, "a revoked key");
        String third = http.post("/twins/" + id + "/key", null).json().get("password").asText();
        current = new TwinHttp("http://127.0.0.1:" + port, basic(id + ":" + third));
        assertThat(current.get("/twins/" + id).status()).isEqualTo(200);

        // Disabled: refused, saying so, until enabled again.
        assertThat(http.put("/twins/" + id + "/status", q("{'status':'disabled'}")).status()).isEqualTo(200);
        JsonNode disabled = unauthorized(current.patch("/twins/" + id + "/properties/reported", q("{'x':1}")), third,
                "a disabled twin");
        assertThat(disabled.get("detail").asText()).contains("disabled");
        assertThat(http.put("/twins/" + id + "/status", q("{'status':'enabled'}")).status()).isEqualTo(200);
        assertThat(current.patch("/twins/" + id + "/properties/reported", q("{'x':1}")).status()).isEqualTo(200);

        // Deleted: there is no twin to be the device of.
        assertThat(http.delete("/twins/" + id).status()).isEqualTo(204);
        JsonNode deleted = unauthorized(current.get("/twins/" + id), third, "a deleted twin");
        assertThat(deleted.get("detail").asText()).contains("no twin");
    }

    @Test
    void aModulesCredentialsReachItsModuleTwinAlone() {
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/agent", q("{}")).status()).isEqualTo(201);
        assertThat(http.put("/twins/" + id + "/modules/other", q("{}")).status()).isEqualTo(201);
        TwinHttp module = overHttp(id + "/agent");

        Reply twin = module.get("/twins/" + id + "/modules/agent");
        assertThat(twin.status()).as("%s", twin).isEqualTo(200);
        assertThat(twin.json().get("moduleId").asText()).isEqualTo("agent");
        assertThat(module.patch("/twins/" + id + "/modules/agent/properties/reported", q("{'up':true}")).status())
                .isEqualTo(200);
        forbidden(module.get("/twins/" + id), id + "/agent");
        forbidden(module.patch("/twins/" + id + "/properties/reported", q("{'up':true}")), id + "/agent");
        forbidden(module.get("/twins/" + id + "/modules/other"), id + "/agent");
        // The device's own credentials do not reach its modules either.
        forbidden(overHttp(id).get("/twins/" + id + "/modules/agent"), id);
        // A module's credentials are its own, not its device's.
        unauthorized(new TwinHttp("http://127.0.0.1:" + port, basic(id + "/agent:" + broker.deviceKeys().password(id)))
                .get("/twins/" + id + "/modules/agent"), broker.deviceKeys().password(id), "the device's key");

        JsonNode reported = http.awaitHistory("/twins/" + id + "/modules/agent/history?order=oldest", 2)
                .get("items").get(1);
        assertThat(reported.get("principal").asText()).isEqualTo("device:" + id + "/agent");
    }

    @Test
    void aDeviceHasTheHttpRateLimitOfEveryCaller() throws Exception {
        String id = createDevice("{}");
        String quiet = createDevice("{}");
        TwinHttp device = overHttp(id);
        AtomicReference<Reply> refused = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> floods = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            floods.add(pool.submit(() -> {
                for (int i = 0; i < 5_000 && refused.get() == null; i++) {
                    Reply reply = device.get("/twins/" + id);
                    if (reply.status() == 429) {
                        refused.compareAndSet(null, reply);
                    } else {
                        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
                    }
                }
            }));
        }
        for (Future<?> flood : floods) {
            flood.get(2, TimeUnit.MINUTES);
        }
        pool.shutdown();
        Reply reply = refused.get();
        assertThat(reply).as("a 429 within 20,000 requests").isNotNull();
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isEqualTo("throttled");
        assertThat(reply.headers().firstValue("Retry-After")).isPresent();
        assertThat(overHttp(quiet).get("/twins/" + quiet).status()).as("another device is served").isEqualTo(200);
    }

    /** A client that authenticates as the device (or module) {@code twinId} with its fleet-derived key. */
    private TwinHttp overHttp(String twinId) {
        return new TwinHttp("http://127.0.0.1:" + port, basic(twinId + ":" + broker.deviceKeys().password(twinId)));
    }

    private static String basic(String userAndPassword) {
        return "Basic " + base64(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String newDeviceIdNobodyHas() {
        return TwinHttp.newDeviceId();
    }

    private static void forbidden(Reply reply, String twinId) {
        JsonNode problem = TwinHttp.assertProblem(reply, 403, "forbidden");
        assertThat(problem.get("detail").asText()).contains("device:" + twinId);
    }

    /** A 401 problem with both challenges, that does not repeat {@code password}; returns the problem. */
    private static JsonNode unauthorized(Reply reply, String password, String why) {
        assertThat(reply.status()).as("%s: %s", why, reply).isEqualTo(401);
        JsonNode problem = TwinHttp.assertProblem(reply, 401, "unauthorized");
        List<String> challenges = reply.headers().allValues("WWW-Authenticate");
        assertThat(challenges).as(why).hasSize(2);
        assertThat(challenges.get(0)).as(why).startsWith("Bearer");
        assertThat(challenges.get(1)).as(why).isEqualTo("Basic realm=\"devices\"");
        assertThat(reply.body()).as(why).doesNotContain(password);
        return problem;
    }

    /** The template with the test's twin, its module {@code m}, and ids that name nothing. */
    private static String concrete(String template, String twin) {
        Matcher matcher = VARIABLE.matcher(template);
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String value = switch (matcher.group(1)) {
                case "deviceId" -> twin;
                case "moduleId" -> "m";
                default -> "device-http-none";
            };
            matcher.appendReplacement(path, URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
        matcher.appendTail(path);
        return path.toString();
    }
}
