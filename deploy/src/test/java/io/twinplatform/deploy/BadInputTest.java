package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad requests are refused with application/problem+json naming the fault (400 malformed, 413 too large, 415 wrong
 * media type, 422 values a twin cannot hold), and nothing is written: the twin stays at its previous version.
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
}
