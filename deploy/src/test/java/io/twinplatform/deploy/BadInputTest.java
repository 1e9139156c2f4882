package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad requests are refused with application/problem+json naming the fault (400 malformed, 413 too large, 415 wrong
 * media type, 422 values a twin cannot hold), and nothing is written: the twin stays at its previous version.
 * Text anywhere in a request (body, path, query, headers) is valid Unicode without U+0000, sent as UTF-8.
 */
class BadInputTest extends PlatformTestSupport {

    private String id;
    private String path;
    private JsonNode before;

    @BeforeEach
    void aTwin() {
        id = createDevice("{'tags':{'site':'a'},'properties':{'desired':{'fan':1}}}");
        path = "/twins/" + id;
        http.patch(path + "/properties/reported", q("{'fan':1}"));
        before = http.get(path).json();
        assertThat(before.path("version").asLong()).isEqualTo(2);
    }

    /** Nothing was written: GET shows the twin exactly as before the bad request. */
    private void assertUnchanged() {
        Reply read = http.get(path);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.etag()).isEqualTo("\"2\"");
        assertThat(read.json()).isEqualTo(before);
    }

    private static JsonNode desiredDocument(JsonNode desired) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.putObject("properties").set("desired", desired);
        return doc;
    }

    /** {@code levels} objects nested below the section, the innermost holding a number. */
    private static ObjectNode nested(int levels) {
        ObjectNode section = JsonNodeFactory.instance.objectNode();
        ObjectNode at = section;
        for (int level = 1; level <= levels; level++) {
            at = at.putObject("l" + level);
        }
        at.put("leaf", 1);
        return section;
    }

    @Test
    void malformedJsonIs400WithThePositionOfTheFault() {
        String body = "{\"tags\": {\"site\": \"b\",}}";
        for (Reply reply : new Reply[]{http.put(path, body), http.patch(path, body),
                http.patch(path + "/properties/reported", body)}) {
            JsonNode problem = assertProblem(reply, 400, "malformedJson");
            assertThat(problem.has("position")).as("position in %s", reply).isTrue();
            // The offset of the '}' where a field name was expected.
            assertThat(problem.path("position").asLong()).as("position in %s", reply)
                    .isEqualTo(body.indexOf(",}") + 1);
        }
        assertUnchanged();
    }

    @Test
    void emptyBodyAndDuplicateKeysAre400() {
        assertProblem(http.put(path, ""), 400, "emptyBody");
        assertProblem(http.patch(path, q("{'tags':{'a':1,'a':2}}")), 400, "malformedJson");
        assertProblem(http.put(path, q("{'tags':{}} {}")), 400, "malformedJson");
        assertUnchanged();
    }

    @Test
    void aBodyThatIsNotAnObjectIs400() {
        assertThat(assertProblem(http.put(path, "[1,2]"), 400, "notAnObject").path("path").asText()).isEqualTo("$");
        assertProblem(http.patch(path, "\"text\""), 400, "notAnObject");
        assertProblem(http.patch(path + "/properties/reported", "42"), 400, "notAnObject");
        assertUnchanged();
    }

    @Test
    void aSectionOfTheWrongTypeIs400NamingIt() {
        assertThat(assertProblem(http.put(path, q("{'tags':5}")), 400, "notAnObject").path("path").asText())
                .isEqualTo("$.tags");
        assertThat(assertProblem(http.patch(path, q("{'properties':{'desired':[1]}}")), 400, "notAnObject")
                .path("path").asText()).isEqualTo("$.properties.desired");
        assertThat(assertProblem(http.patch(path, q("{'tags':null}")), 400, "nullSection").path("path").asText())
                .isEqualTo("$.tags");
        assertUnchanged();
    }

    @Test
    void aKeyWithADotIs400NamingItsPath() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'desired':{'a.b':1}}}")), 400, "invalidKey");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired['a.b']");
        assertThat(assertProblem(http.put(path, q("{'tags':{'x':{'$y':1}}}")), 400, "invalidKey").path("path").asText())
                .isEqualTo("$.tags.x['$y']");
        assertProblem(http.patch(path + "/properties/reported", q("{'a b':1}")), 400, "invalidKey");
        assertUnchanged();
    }

    @Test
    void nestingDeeperThanTenLevelsIs400() {
        JsonNode problem = assertProblem(http.patch(path, desiredDocument(nested(11))), 400, "tooDeep");
        assertThat(problem.path("path").asText()).startsWith("$.properties.desired.l1.l2");
        assertUnchanged();
        // Ten levels are allowed.
        assertThat(http.patch(path, desiredDocument(nested(10))).status()).isEqualTo(200);
    }

    @Test
    void aStringLongerThan4KBIs422() {
        JsonNode problem = assertProblem(
                http.patch(path, q("{'properties':{'desired':{'note':'" + "x".repeat(4097) + "'}}}")), 422, "stringTooLong");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired.note");
        assertUnchanged();
        // 4096 bytes are allowed (a multi-byte character counts its bytes).
        assertProblem(http.patch(path, q("{'tags':{'note':'" + "é".repeat(2049) + "'}}")), 422, "stringTooLong");
        assertUnchanged();
        assertThat(http.patch(path, q("{'tags':{'note':'" + "x".repeat(4096) + "'}}")).status()).isEqualTo(200);
    }

    @Test
    void nullInAnArrayIs422() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'desired':{'list':[1,null]}}}")),
                422, "nullInArray");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired.list[1]");
        assertProblem(http.patch(path + "/properties/reported", q("{'list':[null]}")), 422, "nullInArray");
        assertUnchanged();
    }

    @Test
    void anIntegerBeyondTheSafeRangeIs422() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'desired':{'big':4503599627370496}}}")),
                422, "integerOutOfRange");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired.big");
        assertProblem(http.put(path, q("{'tags':{'big':-99999999999999999999999}}")), 422, "integerOutOfRange");
        assertUnchanged();
        assertThat(http.patch(path, q("{'properties':{'desired':{'big':4503599627370495}}}")).status()).isEqualTo(200);
    }

    @Test
    void aNumberTooLargeForADoubleIs422() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'desired':{'huge':1e400}}}")),
                422, "numberOutOfRange");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired.huge");
        assertUnchanged();
    }

    @Test
    void tagsOver8KBAre413() {
        String big = "{'tags':{'a':'" + "x".repeat(3000) + "','b':'" + "x".repeat(3000) + "','c':'" + "x".repeat(3000) + "'}}";
        for (Reply reply : new Reply[]{http.put(path, q(big)), http.patch(path, q(big))}) {
            assertThat(assertProblem(reply, 413, "sectionTooLarge").path("path").asText()).isEqualTo("$.tags");
        }
        assertUnchanged();
    }

    @Test
    void desiredOver32KBIs413() {
        StringBuilder desired = new StringBuilder("{'properties':{'desired':{");
        for (int i = 0; i < 9; i++) {
            desired.append(i == 0 ? "" : ",").append("'k").append(i).append("':'").append("x".repeat(4000)).append("'");
        }
        desired.append("}}}");
        for (Reply reply : new Reply[]{http.put(path, q(desired.toString())), http.patch(path, q(desired.toString()))}) {
            assertThat(assertProblem(reply, 413, "sectionTooLarge").path("path").asText())
                    .isEqualTo("$.properties.desired");
        }
        assertUnchanged();
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        byte[] body = q("{'tags':{'site':'b'}}").getBytes(StandardCharsets.UTF_8);
        assertProblem(http.put(path, body, "Content-Type", "text/plain"), 415, "unsupportedMediaType");
        assertProblem(http.patch(path, body, "Content-Type", "text/plain"), 415, "unsupportedMediaType");
        assertProblem(http.patch(path + "/properties/reported", body, "Content-Type", "application/xml"),
                415, "unsupportedMediaType");
        assertUnchanged();
        // A merge patch may say so.
        assertThat(http.patch(path, body, "Content-Type", "application/merge-patch+json").status()).isEqualTo(200);
    }

    @Test
    void theOperatorCannotPatchReportedOrReadOnlyMembers() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'reported':{'fan':2}}}")), 400,
                "readOnlyMember");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.reported");
        assertThat(assertProblem(http.patch(path, q("{'version':7}")), 400, "readOnlyMember").path("path").asText())
                .isEqualTo("$.version");
        assertThat(assertProblem(http.patch(path, q("{'properties':{'desired':{'fan':3},'wanted':{'fan':3}}}")), 400,
                "unknownMember").path("path").asText()).isEqualTo("$.properties.wanted");
        assertUnchanged();
    }

    @Test
    void anInvalidTwinIdIs400() {
        assertThat(assertProblem(http.put("/twins/bad%20id", q("{}")), 400, "invalidId").path("path").asText())
                .isEqualTo("$.deviceId");
        assertProblem(http.get("/twins/bad%20id"), 400, "invalidId");
        assertProblem(http.put("/twins/" + "d".repeat(129), q("{}")), 400, "invalidId");
        assertProblem(http.put(path + "/modules/bad%23module", q("{}")), 400, "invalidId");
        assertUnchanged();
    }

    @Test
    void anUnknownTwinIs404() {
        String unknown = newDeviceId();
        JsonNode problem = assertProblem(http.get("/twins/" + unknown), 404, "twinNotFound");
        assertThat(problem.path("detail").asText()).contains(unknown);
        assertProblem(http.get("/twins/" + unknown + "/shadow"), 404, "twinNotFound");
        assertProblem(http.get(path + "/modules/nope"), 404, "twinNotFound");
        assertUnchanged();
    }

    @Test
    void writesToATwinThatNeverExistedAre404() {
        String unknown = "/twins/" + newDeviceId();
        assertProblem(http.patch(unknown, q("{'tags':{'a':1}}")), 404, "twinNotFound");
        assertProblem(http.patch(unknown + "/properties/reported", q("{'a':1}")), 404, "twinNotFound");
        assertProblem(http.put(unknown + "/status", q("{'status':'disabled'}")), 404, "twinNotFound");
        assertProblem(http.delete(unknown), 404, "twinNotFound");
        assertProblem(http.post(unknown + "/shadow", q("{'state':{'desired':{'a':1}}}")), 404, "twinNotFound");
        assertProblem(http.get(unknown), 404, "twinNotFound");
    }

    /** {@code prefix}, the raw bytes, then {@code suffix}: a body no Java string can spell. */
    private static byte[] bytes(String prefix, int[] raw, String suffix) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            out.write(b);
        }
        out.writeBytes(suffix.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A header value whose bytes on the wire are {@code text} in UTF-8 (clients send header bytes as Latin-1). */
    private static String utf8Header(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * A request written byte by byte on a socket, for what java.net.http refuses to send (a NUL in a header); the
     * answer's status and body (the server closes the connection).
     */
    private Reply raw(String method, String target, String header) {
        return raw(method, target, header, "{}");
    }

    private Reply raw(String method, String target, String header, String body) {
        String request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: " + http.authorization() + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n" + header
                + "\r\n\r\n" + body;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(answer.substring(9, 12));
            String head = answer.substring(0, answer.indexOf("\r\n\r\n"));
            String content = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            java.util.Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim(), List.of(line.substring(colon + 1).trim()));
                }
            }
            return new Reply(status, java.net.http.HttpHeaders.of(headers, (a, b) -> true), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aNulInADesiredValueIs400NamingItsPathAndWritesNothing() {
        for (Reply reply : new Reply[]{http.patch(path, q("{'properties':{'desired':{'mode':'eco\\u0000'}}}")),
                http.put(path, q("{'properties':{'desired':{'mode':'eco\\u0000'}}}"))}) {
            JsonNode problem = assertProblem(reply, 400, "invalidText");
            assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired.mode");
            assertThat(problem.path("detail").asText()).contains("U+0000");
        }
        assertUnchanged();
    }

    @Test
    void aNulInAKeyIs400NamingTheKeyEscaped() {
        JsonNode problem = assertProblem(http.patch(path, q("{'properties':{'desired':{'a\\u0000b':1}}}")), 400,
                "invalidText");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.desired['a\\u0000b']");
        assertUnchanged();
    }

    @Test
    void aNulInATagNestedOrInAnArrayIs400() {
        assertThat(assertProblem(http.patch(path, q("{'tags':{'site':{'floor':'\\u0000'}}}")), 400, "invalidText")
                .path("path").asText()).isEqualTo("$.tags.site.floor");
        assertThat(assertProblem(http.put(path, q("{'tags':{'list':['ok','x\\u0000']}}")), 400, "invalidText")
                .path("path").asText()).isEqualTo("$.tags.list[1]");
        assertUnchanged();
    }

    @Test
    void aNulInTheReportedPatchIs400NamedAsTheReportedSection() {
        JsonNode problem = assertProblem(http.patch(path + "/properties/reported", q("{'fw':{'v':'1\\u0000'}}")),
                400, "invalidText");
        assertThat(problem.path("path").asText()).isEqualTo("$.properties.reported.fw.v");
        assertProblem(http.patch(path + "/properties/reported", q("{'fw':'1\\u0000'}"), "Idempotency-Key", "k-nul"),
                400, "invalidText");
        assertUnchanged();
        // The key of the refused report was not spent: the same report without the NUL is applied.
        assertThat(http.patch(path + "/properties/reported", q("{'fw':'1'}"), "Idempotency-Key", "k-nul").version())
                .isEqualTo(3);
    }

    @Test
    void aLoneSurrogateEscapeIs400AndNeverStoredAsAQuestionMark() {
        JsonNode value = assertProblem(http.patch(path, q("{'properties':{'desired':{'name':'x\\ud800'}}}")), 400,
                "invalidText");
        assertThat(value.path("path").asText()).isEqualTo("$.properties.desired.name");
        assertThat(value.path("detail").asText()).contains("U+D800");
        assertThat(assertProblem(http.patch(path, q("{'tags':{'t':['\\udc00\\ud800']}}")), 400, "invalidText")
                .path("path").asText()).isEqualTo("$.tags.t[0]");
        assertProblem(http.patch(path + "/properties/reported", q("{'r':'\\udfff'}")), 400, "invalidText");
        // In a key the JSON parser itself refuses the escape: a syntax error at its offset.
        assertThat(assertProblem(http.patch(path, q("{'tags':{'\\ud800':1}}")), 400, "malformedJson")
                .has("position")).isTrue();
        assertUnchanged();
        // A pair is one character and is kept.
        assertThat(http.patch(path, q("{'tags':{'smile':'\\ud83d\\ude00'}}")).status()).isEqualTo(200);
        assertThat(http.get(path).json().path("tags").path("smile").asText()).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedAtTheirOffsetNeverReplaced() {
        String prefix = "{\"tags\":{\"site\":\"b";
        int offset = prefix.getBytes(StandardCharsets.UTF_8).length;
        int[][] cases = {{0xFF}, {0xC3}, {0xE2, 0x82}, {0xC0, 0x80}, {0xE0, 0x80, 0xAF}, {0xED, 0xA0, 0x80},
                {0xF4, 0x90, 0x80, 0x80}};
        for (int[] raw : cases) {
            JsonNode problem = assertProblem(http.patch(path, bytes(prefix, raw, "\"}}")), 400, "invalidUtf8");
            assertThat(problem.path("position").asLong()).as("position for %s", java.util.Arrays.toString(raw))
                    .isEqualTo(offset);
        }
        assertProblem(http.patch(path + "/properties/reported", bytes("{\"", new int[]{0xFF}, "\":1}")), 400,
                "invalidUtf8");
        assertProblem(http.put(path, bytes("{\"tags\":{\"a\":\"", new int[]{0x00}, "\"}}")), 400, "invalidText");
        // UTF-16 is not read as JSON text.
        assertProblem(http.patch(path, "{\"tags\":{\"site\":\"c\"}}".getBytes(StandardCharsets.UTF_16LE)), 400,
                "invalidText");
        assertUnchanged();
    }

    @Test
    void aNulInAConfigurationBodyIs400AndCreatesNothing() {
        String id = "cfg-nul-" + Long.toHexString(System.nanoTime());
        JsonNode problem = assertProblem(http.put("/configurations/" + id, q("{'targetCondition':'*','priority':0,"
                + "'content':{'deviceContent':{'properties.desired.mode':'a\\u0000'}}}")), 400, "invalidText");
        assertThat(problem.path("path").asText()).isEqualTo("$.content.deviceContent['properties.desired.mode']");
        assertProblem(http.put("/configurations/" + id, q("{'targetCondition':'tags.site = \\'\\u0000\\'',"
                + "'priority':0,'content':{'deviceContent':{'properties.desired.mode':'a'}}}")), 400, "invalidText");
        assertProblem(http.get("/configurations/" + id), 404, "configurationNotFound");
        assertUnchanged();
    }

    @Test
    void aNulInAFleetQueryIs400NamingTheQuery() {
        JsonNode problem = assertProblem(http.post("/query",
                q("{'query':'SELECT * FROM devices WHERE tags.site = \\'a\\u0000\\''}")), 400, "invalidText");
        assertThat(problem.path("path").asText()).isEqualTo("$.query");
        assertProblem(http.post("/query", q("{'query':'SELECT * FROM devices','continuationToken':'\\ud800'}")), 400,
                "invalidText");
    }

    @Test
    void aNulOrInvalidUtf8InAPathIs400ProblemJsonNot500() {
        for (String target : List.of("/twins/a%00b", "/twins/a%FFb", "/twins/a%ED%A0%80b", "/twins/a%C0%80b",
                path + "/modules/m%00", "/configurations/c%00", "/jobs/j%00", "/rollouts/r%00",
                path + "/history%00")) {
            assertProblem(http.get(target), 400, "invalidRequest");
        }
        // java.net.http will not send a malformed escape.
        assertProblem(raw("GET", "/twins/a%G1", "X-Test: 1"), 400, "invalidRequest");
        assertProblem(http.put("/twins/x%00", q("{}")), 400, "invalidRequest");
        assertProblem(http.patch(path + "%00", q("{'tags':{'a':1}}")), 400, "invalidRequest");
        assertUnchanged();
    }

    @Test
    void aNulOrInvalidUtf8InAHistoryOrAuditFilterIs400NamingTheParameter() {
        List<String> filters = List.of("principal", "path", "twinId", "deviceId", "correlationId", "channel",
                "continuationToken");
        String[][] values = {{"%00", "invalidText"}, {"a%00b", "invalidText"}, {"%FF", "invalidUtf8"},
                {"%ED%A0%80", "invalidUtf8"}, {"%C0%80", "invalidUtf8"}, {"%G1", "invalidParameter"}};
        for (String endpoint : List.of("/audit", "/audit/export", path + "/history")) {
            for (String filter : filters) {
                if (endpoint.endsWith("/history") && (filter.equals("twinId") || filter.equals("deviceId"))) {
                    continue;
                }
                if (endpoint.equals("/audit/export") && filter.equals("continuationToken")) {
                    continue;
                }
                for (String[] value : values) {
                    String target = endpoint + "?" + filter + "=" + value[0];
                    // java.net.http will not send a malformed escape.
                    Reply reply = value[0].contains("%G") ? raw("GET", target, "X-Test: 1") : http.get(target);
                    JsonNode problem = assertProblem(reply, 400, value[1]);
                    assertThat(problem.path("parameter").asText()).as("parameter of %s", reply).isEqualTo(filter);
                }
            }
        }
        // The name of a parameter too; a valid UTF-8 value is a filter like any other.
        assertThat(assertProblem(http.get("/audit?%00=1"), 400, "invalidText").path("parameter").asText())
                .isEqualTo("%00");
        assertThat(http.get(path + "/history?principal=jos%C3%A9").json().get("items")).isEmpty();
        assertProblem(http.post("/query?x=%00", q("{'query':'SELECT * FROM devices'}")), 400, "invalidText");
    }

    @Test
    void anAuditOrPreconditionHeaderThatIsNotUtf8Is400NamingTheHeader() {
        // java.net.http sends header values as UTF-8; a Latin-1 byte (0xE9 for é) needs a raw request.
        for (String header : List.of("X-Correlation-Id", "X-Change-Reason", "If-Match")) {
            JsonNode problem = assertProblem(raw("PATCH", path, header + ": caf\u00e9"), 400, "invalidUtf8");
            assertThat(problem.path("header").asText()).isEqualTo(header);
        }
        assertThat(assertProblem(raw("PATCH", path + "/properties/reported", "Idempotency-Key: k\u00ff"), 400,
                "invalidUtf8").path("header").asText()).isEqualTo("Idempotency-Key");
        assertThat(assertProblem(raw("PATCH", path, "X-Change-Reason: \u00ed\u00a0\u0080"), 400, "invalidUtf8")
                .path("header").asText()).isEqualTo("X-Change-Reason");
        assertThat(assertProblem(raw("GET", path, "If-None-Match: \"\u00ff\""), 400, "invalidUtf8")
                .path("header").asText()).isEqualTo("If-None-Match");
        assertUnchanged();
    }

    @Test
    void aNulInAHeaderIs400ProblemJson() {
        // java.net.http will not send a NUL in a header; Tomcat refuses it before the platform sees it.
        for (String header : List.of("X-Correlation-Id: a\0b", "Idempotency-Key: k\0", "If-Match: \"2\0\"")) {
            assertProblem(raw("PATCH", path + "/properties/reported", header), 400, "invalidRequest");
        }
        assertProblem(raw("PATCH", path, "X-Change-Reason: \0"), 400, "invalidRequest");
        assertUnchanged();
    }

    @Test
    void aUtf8HeaderIsStoredAsTheTextSentAndALongOneIsCutBetweenCharacters() {
        // java.net.http sends only ASCII in headers (it writes '?' for é), so the UTF-8 bytes are written by hand.
        String reason = "x".repeat(255) + "\uD83D\uDE00 and more";
        Reply patched = raw("PATCH", path, "X-Correlation-Id: " + utf8Header("josé") + "\r\nX-Change-Reason: "
                + utf8Header(reason), q("{'tags':{'a':3}}"));
        assertThat(patched.status()).as("%s", patched).isEqualTo(200);

        JsonNode change = http.awaitJson("/audit?correlationId=jos%C3%A9", trail -> !trail.get("items").isEmpty(),
                java.time.Duration.ofSeconds(30)).get("items").get(0);
        assertThat(change.get("correlationId").asText()).isEqualTo("josé");
        // 256 characters would split the pair: the reason stops before it.
        assertThat(change.get("reason").asText()).isEqualTo("x".repeat(255));
    }
}
