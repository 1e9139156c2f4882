package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import io.twinplatform.deploy.security.AccessMatrix;
import io.twinplatform.deploy.security.Role;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may call what, tried the way clients call: API keys of each role, OAuth2 tokens from an issuer the test runs,
 * and every kind of bad credential, against every operation of the served OpenAPI document.
 */
class AccessControlTest extends PlatformTestSupport {

    private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    /** A caller and what it may do: the roles its credentials carry, or none for credentials that must fail. */
    private record Caller(String label, TwinHttp http, Set<Role> roles, boolean authenticates) {
    }

    @Test
    void everyOperationOfTheDocumentIsInTheMatrixAndAnswersAsTheMatrixSays() {
        JsonNode paths = http.get("/v3/api-docs").json().get("paths");
        Map<String, String> documented = new LinkedHashMap<>();
        paths.fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method ->
                documented.put(method.toUpperCase() + " " + path.getKey(), path.getKey())));
        Set<String> inMatrix = new LinkedHashSet<>();
        AccessMatrix.rules().forEach(rule -> inMatrix.add(rule.method() + " " + rule.path()));
        Set<String> missing = new LinkedHashSet<>(documented.keySet());
        missing.removeAll(inMatrix);
        Set<String> undocumented = new LinkedHashSet<>(inMatrix);
        undocumented.removeAll(documented.keySet());
        undocumented.remove("GET /v3/api-docs");
        undocumented.remove("GET /actuator/prometheus");
        assertThat(missing).as("operations of the OpenAPI document without a rule").isEmpty();
        assertThat(undocumented).as("rules for operations the document does not have").isEmpty();

        List<Caller> callers = callers();
        String twin = createDevice("{}");
        assertThat(http.put("/twins/" + twin + "/modules/m", q("{}")).status()).isEqualTo(201);
        SoftAssertions softly = new SoftAssertions();
        int requests = 0;
        for (Map.Entry<String, String> operation : documented.entrySet()) {
            String method = operation.getKey().substring(0, operation.getKey().indexOf(' '));
            String target = concrete(operation.getValue(), method, twin);
            AccessMatrix.Access needed = AccessMatrix.required(method, target);
            for (Caller caller : callers) {
                Reply reply = caller.http().send(method, target, BODY_METHODS.contains(method) ? "{" : null);
                requests++;
                String what = caller.label() + " " + method + " " + target + " -> " + reply;
                if (!caller.authenticates()) {
                    softly.assertThat(reply.status()).as(what).isEqualTo(401);
                    softly.assertThat(reply.headers().firstValue("WWW-Authenticate")).as(what).hasValueSatisfying(
                            value -> assertThat(value).startsWith("Bearer"));
                    softly.assertThat(reply.contentType()).as(what).startsWith("application/problem+json");
                } else if (!needed.allows(Role.effective(caller.roles()))) {
                    softly.assertThat(reply.status()).as(what).isEqualTo(403);
                    softly.assertThat(reply.contentType()).as(what).startsWith("application/problem+json");
                } else if (method.equals("GET") && operation.getValue().startsWith("/twins/")
                        && (operation.getValue().endsWith("}") || operation.getValue().endsWith("/shadow")
                        || operation.getValue().endsWith("/history"))) {
                    // The reads of the test's own twin answer in full.
                    softly.assertThat(reply.status()).as(what).isBetween(200, 299);
                } else {
                    softly.assertThat(reply.status()).as(what).isNotIn(401, 403).isLessThan(500);
                }
            }
        }
        softly.assertAll();
        assertThat(requests).isGreaterThan(documented.size() * 10);
    }

    /** Every kind of caller: no credentials, bad ones of each kind, and each role as a key and as a token. */
    private List<Caller> callers() {
        List<Caller> callers = new ArrayList<>();
        callers.add(new Caller("no credentials", http.anonymous(), Set.of(), false));
        callers.add(new Caller("unknown key", http.withKey("twk_000000000000_" + "0".repeat(64)), Set.of(), false));
        TwinHttp.Keyed doomed = http.as("acl-revoked-" + newDeviceId().substring(4, 12), "admin");
        assertThat(http.delete("/admin/keys/" + doomed.id()).status()).isEqualTo(204);
        callers.add(new Caller("revoked key", doomed.http(), Set.of(), false));
        String admin = TwinHttp.adminKey(DATA_DIR);
        callers.add(new Caller("admin key, wrong secret", http.withKey(admin.substring(0, admin.length() - 4) + "0000"),
                Set.of(), false));
        callers.add(new Caller("not a token", http.withKey("not-a-token"), Set.of(), false));
        callers.add(new Caller("basic credentials", new TwinHttp("http://127.0.0.1:" + port, "Basic YWRtaW46YWRtaW4="),
                Set.of(), false));
        Instant soon = Instant.now().plus(Duration.ofMinutes(5));
        callers.add(new Caller("expired token", http.withKey(ISSUER.token(ISSUER.issuer(), TestIssuer.AUDIENCE,
                "late", Map.of("roles", List.of("admin")), Instant.now().minus(Duration.ofMinutes(10)))), Set.of(),
                false));
        callers.add(new Caller("token of another issuer", http.withKey(ISSUER.token("https://elsewhere.example",
                TestIssuer.AUDIENCE, "mallory", Map.of("roles", List.of("admin")), soon)), Set.of(), false));
        callers.add(new Caller("token for another audience", http.withKey(ISSUER.token(ISSUER.issuer(),
                "another-service", "mallory", Map.of("roles", List.of("admin")), soon)), Set.of(), false));
        callers.add(new Caller("token whose principal the audit trail cannot hold", http.withKey(ISSUER.token(
                ISSUER.issuer(), TestIssuer.AUDIENCE, "s".repeat(300), Map.of("roles", List.of("admin")), soon)),
                Set.of(), false));
        callers.add(new Caller("token signed by another key",
                http.withKey(TestIssuer.foreignToken(ISSUER.issuer(), "mallory")), Set.of(), false));
        String suffix = newDeviceId().substring(4, 12);
        for (Role role : Role.values()) {
            callers.add(new Caller(role + " key", http.as("acl-" + role + "-" + suffix, role.name()).http(),
                    Set.of(role), true));
            callers.add(new Caller(role + " token", http.withKey(ISSUER.token("acl-" + role, List.of(role.name()))),
                    Set.of(role), true));
        }
        callers.add(new Caller("token without roles", http.withKey(ISSUER.token("nobody", List.of())), Set.of(),
                true));
        // A scope narrows what the roles allow (ScopeTest); a scope claim that is no condition refuses the token.
        callers.add(new Caller("token whose scope is no condition", http.withKey(ISSUER.token(ISSUER.issuer(),
                TestIssuer.AUDIENCE, "scoped", Map.of("roles", List.of("admin"), "twin_scope", "tags.site ="), soon)),
                Set.of(), false));
        return callers;
    }

    /** The template with its variables filled: the test's own twin and module, and ids that name nothing. */
    private static String concrete(String template, String method, String twin) {
        Matcher matcher = VARIABLE.matcher(template);
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String value = switch (matcher.group(1)) {
                // Writes and deletes go to a twin that does not exist: the matrix is tried, nothing is changed.
                case "deviceId" -> method.equals("GET") ? twin : "acl-none-" + twin;
                case "moduleId" -> "m";
                default -> "acl-none";
            };
            matcher.appendReplacement(path, URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
        matcher.appendTail(path);
        return path.toString();
    }

    @Test
    void onlyTheProbesAnswerWithoutCredentialsAndWithoutDetails() {
        TwinHttp anonymous = http.anonymous();
        assertThat(anonymous.get("/actuator/health/liveness").status()).isEqualTo(200);
        Reply readiness = anonymous.get("/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.json().has("components")).as("%s", readiness).isFalse();
        for (String path : List.of("/actuator/health", "/actuator/metrics", "/v3/api-docs", "/swagger-ui/index.html",
                "/no/such/path")) {
            Reply reply = anonymous.get(path);
            assertThat(reply.status()).as(path).isEqualTo(401);
            assertThat(reply.json().get("code").asText()).isEqualTo("unauthorized");
        }
    }

    @Test
    void aForgedPrincipalHeaderNeverReachesTheAuditTrail() {
        String forged = "ceo-" + newDeviceId();
        TwinHttp.Keyed operator = http.as("honest-op-" + newDeviceId().substring(4, 12), "operator");
        String id = newDeviceId();
        assertThat(operator.http().put("/twins/" + id, q("{'tags':{'site':'a'}}"), "X-Principal", forged).status())
                .isEqualTo(201);
        assertThat(operator.http().patch("/twins/" + id, q("{'tags':{'site':'b'}}"), "X-Principal", forged).status())
                .isEqualTo(200);

        JsonNode history = http.awaitHistory("/twins/" + id + "/history", 2);
        assertThat(history.get("items")).extracting(item -> item.get("principal").asText())
                .containsOnly(operator.principal());
        assertThat(http.get("/audit?principal=" + forged).json().get("items")).isEmpty();
        Reply export = http.get("/audit/export?format=ndjson&twinId=" + id);
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.body()).contains(operator.principal()).doesNotContain(forged);
    }

    @Test
    void aGatewayNamesTheUserItActsForBesideItsOwnIdentity() throws Exception {
        TwinHttp.Keyed gateway = http.as("edge-gw-" + newDeviceId().substring(4, 12), "gateway", "operator");
        String id = newDeviceId();
        assertThat(gateway.http().put("/twins/" + id, q("{}"), "X-Principal", "alice@example.com").status())
                .isEqualTo(201);
        assertThat(gateway.http().patch("/twins/" + id, q("{'tags':{'a':1}}"), "X-Principal", "x".repeat(300))
                .status()).isEqualTo(200);
        assertThat(gateway.http().patch("/twins/" + id, q("{'tags':{'a':2}}")).status()).isEqualTo(200);

        JsonNode items = http.awaitHistory("/twins/" + id + "/history?order=oldest", 3).get("items");
        assertThat(items.get(0).get("principal").asText()).isEqualTo(gateway.principal() + " for alice@example.com");
        assertThat(items.get(1).get("principal").asText()).as("cut to what the audit trail holds")
                .isEqualTo(gateway.principal() + " for " + "x".repeat(256 - gateway.principal().length() - 5));
        assertThat(items.get(2).get("principal").asText()).as("no name asserted").isEqualTo(gateway.principal());

        // The name is a header like any other: bytes that are not UTF-8 are a 400 naming it, and nothing is written.
        String patch = "{\"tags\":{\"a\":3}}";
        String request = "PATCH /twins/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: " + gateway.http().authorization() + "\r\nContent-Type: application/json\r\n"
                + "X-Principal: caf\u00e9\r\nContent-Length: " + patch.length() + "\r\n\r\n" + patch;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .contains("\"code\":\"invalidUtf8\"").contains("\"header\":\"X-Principal\"");
        }
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).isEqualTo(3);

        // The role allows nothing by itself.
        TwinHttp.Keyed bare = http.as("bare-gw-" + newDeviceId().substring(4, 12), "gateway");
        assertProblem(bare.http().get("/twins/" + id, "X-Principal", "admin"), 403, "forbidden");
    }

    @Test
    void aDevicesCredentialsWithoutDeviceKeysAreRefusedWithTheReason() {
        // This platform runs no embedded broker (the device channel is off here), so it holds no device keys: as with
        // an external broker, a device cannot authenticate over HTTP (DeviceHttpTest has the embedded broker's case).
        String twin = createDevice("{}");
        TwinHttp device = new TwinHttp("http://127.0.0.1:" + port, "Basic " + java.util.Base64.getEncoder()
                .encodeToString((twin + ":c2VjcmV0LWRldmljZS1rZXk").getBytes(StandardCharsets.UTF_8)));
        Reply refused = device.get("/twins/" + twin);
        assertThat(assertProblem(refused, 401, "unauthorized").get("detail").asText()).contains("no device keys");
        assertThat(refused.headers().allValues("WWW-Authenticate"))
                .containsExactly("Bearer", "Basic realm=\"devices\"");
        assertThat(refused.body()).doesNotContain("c2VjcmV0LWRldmljZS1rZXk");
        // Without credentials, an operation a device may call names both schemes; any other names the bearer alone.
        assertThat(http.anonymous().get("/twins/" + twin).headers().allValues("WWW-Authenticate"))
                .containsExactly("Bearer", "Basic realm=\"devices\"");
        assertThat(http.anonymous().get("/admin/keys").headers().allValues("WWW-Authenticate"))
                .containsExactly("Bearer");
    }

    @Test
    void aTokenNamesItsIssuerAndSubjectInTheEvents() {
        TwinHttp engineer = http.withKey(ISSUER.token("engineer-7", List.of("operator")));
        String id = newDeviceId();
        assertThat(engineer.put("/twins/" + id, q("{}"), "X-Principal", "someone-else").status()).isEqualTo(201);
        JsonNode item = http.awaitHistory("/twins/" + id + "/history", 1).get("items").get(0);
        assertThat(item.get("principal").asText()).isEqualTo(ISSUER.issuer() + ":engineer-7");
    }

    @Test
    void keysAreMadeShownOnceListedWithoutSecretsAndRevoked() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DATA_DIR.resolve("admin-key"))))
                .isEqualTo("rw-------");
        String name = "svc-" + newDeviceId().substring(4, 12);
        Reply created = http.post("/admin/keys", q("{'name':'" + name + "','roles':['viewer']}"));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
        String key = created.json().get("key").asText();
        String id = created.json().get("id").asText();
        assertThat(created.headers().firstValue("Location")).hasValue("/admin/keys/" + id);
        assertThat(created.json().get("principal").asText()).isEqualTo("key:" + id + ":" + name);

        Reply listed = http.get("/admin/keys");
        assertThat(listed.body()).contains(id).doesNotContain(key.substring(17));
        boolean found = false;
        for (Iterator<JsonNode> it = listed.json().get("keys").elements(); it.hasNext(); ) {
            JsonNode row = it.next();
            if (row.get("id").asText().equals(id)) {
                found = true;
                assertThat(row.has("key")).isFalse();
                assertThat(row.get("roles")).extracting(JsonNode::asText).containsExactly("viewer");
            }
        }
        assertThat(found).isTrue();

        TwinHttp viewer = http.withKey(key);
        String twin = createDevice("{}");
        assertThat(viewer.get("/twins/" + twin).status()).isEqualTo(200);
        assertProblem(viewer.patch("/twins/" + twin, q("{'tags':{'a':1}}")), 403, "forbidden");
        assertProblem(viewer.post("/admin/keys", q("{'name':'x','roles':['admin']}")), 403, "forbidden");

        assertProblem(http.post("/admin/keys", q("{'name':'" + name + "','roles':['viewer']}")), 409, "keyNameTaken");
        assertThat(http.delete("/admin/keys/" + id).status()).isEqualTo(204);
        assertThat(http.delete("/admin/keys/" + id).status()).as("again").isEqualTo(204);
        Reply refused = viewer.get("/twins/" + twin);
        assertProblem(refused, 401, "unauthorized");
        assertThat(refused.body()).doesNotContain(key.substring(17));
        assertProblem(http.delete("/admin/keys/000000000000"), 404, "keyNotFound");
    }

    @Test
    void aKeyBodyIsCheckedMemberByMember() {
        assertThat(assertProblem(http.post("/admin/keys", q("{'roles':['viewer']}")), 422, "invalidKeyName")
                .get("path").asText()).isEqualTo("$.name");
        assertThat(assertProblem(http.post("/admin/keys", q("{'name':'Has Space','roles':['viewer']}")), 422,
                "invalidKeyName").get("path").asText()).isEqualTo("$.name");
        assertThat(assertProblem(http.post("/admin/keys", q("{'name':'k1','roles':[]}")), 422, "invalidRoles")
                .get("path").asText()).isEqualTo("$.roles");
        assertThat(assertProblem(http.post("/admin/keys", q("{'name':'k1','roles':['viewer','root']}")), 422,
                "invalidRoles").get("path").asText()).isEqualTo("$.roles[1]");
        assertThat(assertProblem(http.post("/admin/keys", q("{'name':'k1','roles':['viewer'],'scope':'tags.site ='}")),
                400, "invalidQuery").get("path").asText()).isEqualTo("$.scope@11");
        assertThat(assertProblem(http.post("/admin/keys", q("{'name':'k1','roles':['viewer'],'owner':'me'}")), 422,
                "unknownMember").get("path").asText()).isEqualTo("$.owner");
        assertProblem(http.post("/admin/keys", q("{'name':'k1',")), 400, "malformedJson");
        assertProblem(http.post("/admin/keys", q("['k1']")), 400, "notAnObject");
        assertThat(http.get("/admin/keys").body()).doesNotContain("\"k1\"");
    }

    @Test
    void theLastAdminKeyCannotBeRevoked() {
        List<String> admins = new ArrayList<>();
        for (JsonNode key : http.get("/admin/keys").json().get("keys")) {
            boolean admin = false;
            for (JsonNode role : key.get("roles")) {
                admin |= role.asText().equals("admin");
            }
            if (admin && !key.has("revokedAt")) {
                admins.add(key.get("id").asText());
            }
        }
        // Every admin key but the bootstrap key is revoked (the bootstrap key is what the other tests use).
        String bootstrap = TwinHttp.adminKey(DATA_DIR).substring(4, 16);
        for (String id : admins) {
            if (!id.equals(bootstrap)) {
                assertThat(http.delete("/admin/keys/" + id).status()).isEqualTo(204);
            }
        }
        assertProblem(http.delete("/admin/keys/" + bootstrap), 409, "lastAdminKey");
        assertThat(http.get("/admin/keys").status()).isEqualTo(200);
    }

    @Test
    void deniedRequestsAreCounted() {
        double before = denied("forbidden");
        TwinHttp viewer = http.as("acl-counted-" + newDeviceId().substring(4, 12), "viewer").http();
        assertProblem(viewer.post("/admin/projections/twin-state/replay", null), 403, "forbidden");
        assertThat(denied("forbidden")).isGreaterThanOrEqualTo(before + 1);
        double unauthenticated = denied("unauthenticated");
        http.anonymous().get("/twins/x");
        assertThat(denied("unauthenticated")).isGreaterThanOrEqualTo(unauthenticated + 1);
    }

    private double denied(String reason) {
        Reply metric = http.get("/actuator/metrics/twin.security.denied?tag=reason:" + reason);
        assertThat(metric.status()).as("%s", metric).isEqualTo(200);
        return metric.json().at("/measurements/0/value").asDouble();
    }

    private static JsonNode assertProblem(Reply reply, int status, String code) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(status);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.get("code").asText()).as("%s", reply).isEqualTo(code);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        return problem;
    }
}
