package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.twinplatform.api.model.TestJson.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class JsonBodiesTest {

    private static TwinError refusal(String body) {
        return catchThrowableOfType(() -> JsonBodies.parseObject(body.getBytes(StandardCharsets.UTF_8)),
                TwinException.class).error();
    }

    @Test
    void namesTheByteOffsetOfASyntaxError() {
        TwinError error = refusal("{\"a\": 1,, }");

        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).isEqualTo("malformedJson");
        assertThat(error.path()).isEqualTo("@8");
    }

    @Test
    void countsMultibyteCharactersAsBytesInTheOffset() {
        assertThat(refusal("{\"é\": 1,, }").path()).isEqualTo("@9");
    }

    @Test
    void parseSyntaxLeavesTheTextCheckToTheCallerButNotTheUtf8One() {
        byte[] nul = "{\"items\":[{\"a\":\"x\\u0000y\"}]}".getBytes(StandardCharsets.UTF_8);

        assertThat(JsonBodies.parseSyntax(nul).at("/items/0/a").textValue()).isEqualTo("x\u0000y");
        assertThat(catchThrowableOfType(() -> JsonBodies.parse(nul), TwinException.class).error().code())
                .isEqualTo(TextRule.INVALID_TEXT);
        assertThat(catchThrowableOfType(() -> JsonBodies.parseSyntax(new byte[]{'"', (byte) 0xFF, '"'}),
                TwinException.class).error().code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(catchThrowableOfType(() -> JsonBodies.parseSyntax(new byte[0]), TwinException.class).error()
                .code()).isEqualTo("emptyBody");
    }

    @Test
    void refusesDuplicateKeys() {
        assertThat(refusal("{\"a\": 1, \"a\": 2}").code()).isEqualTo("malformedJson");
    }

    @Test
    void refusesTrailingContent() {
        assertThat(refusal("{\"a\": 1} {}").code()).isEqualTo("malformedJson");
    }

    @Test
    void refusesAnEmptyBody() {
        assertThat(refusal("").code()).isEqualTo("emptyBody");
        assertThat(refusal("   ").code()).isEqualTo("emptyBody");
    }

    @Test
    void refusesABodyThatIsNotAnObject() {
        TwinError error = refusal("[1, 2]");

        assertThat(error.code()).isEqualTo("notAnObject");
        assertThat(error.path()).isEqualTo("$");
    }

    @Test
    void keepsIntegersBeyondLongSoTheRangeCheckSeesThem() {
        assertThat(JsonBodies.parseObject("{\"n\": 123456789012345678901234567890}".getBytes(StandardCharsets.UTF_8))
                .get("n").bigIntegerValue().toString()).isEqualTo("123456789012345678901234567890");
    }

    @Test
    void saysWhatIsWrongInItsOwnWordsNeverTheParsers() {
        String deep = "[".repeat(1500) + "]".repeat(1500);
        String longNumber = "{\"a\":" + "9".repeat(1200) + "}";
        for (String body : new String[]{"{\"a\":NaN}", "/* c */ {}", "{'a':1}", "{\"a\":1} {}", "{\"a\":1,\"a\":2}",
                "{\"a\":\"tab\there\"}", "{\"a\":\"\\x\"}", "{\"a\":01}", "{a:1}", "nul", "{\"a\":", deep,
                longNumber}) {
            TwinError error = refusal(body);

            assertThat(error.code()).as(body).isEqualTo("malformedJson");
            assertThat(error.detail()).as(body).startsWith("malformed JSON at offset ")
                    .doesNotContainIgnoringCase("jackson").doesNotContain("com.fasterxml").doesNotContain("`")
                    .doesNotContain("Feature").doesNotContain("Constraints").doesNotContain("Exception")
                    .doesNotContain("java.").doesNotContain("org.");
        }
    }

    @Test
    void namesTheFaultPlainly() {
        assertThat(refusal("{\"a\":NaN}").detail()).endsWith(": NaN and Infinity are not JSON numbers");
        assertThat(refusal("{\"a\":1,\"a\":2}").detail()).endsWith(": member 'a' appears twice in one object");
        assertThat(refusal("{\"a\":1} {}").detail()).endsWith(": more follows the JSON value; a body holds one value");
        assertThat(refusal("{\"a\":").detail()).endsWith(": the body ends before the JSON value does");
        assertThat(refusal("[".repeat(1500) + "]".repeat(1500)).detail()).endsWith(": nested deeper than 1000 levels");
        assertThat(refusal("{\"a\":" + "9".repeat(1200) + "}").detail())
                .endsWith(": a number longer than 1000 characters");
        assertThat(refusal("{\"a\": 1,, }").detail()).isEqualTo("malformed JSON at offset 8: unexpected character ','"
                + " where a member name in double quotes belongs");
        assertThat(refusal("[1, }").detail()).isEqualTo("malformed JSON at offset 4: unexpected character '}'");
    }

    @Test
    void refusesInvalidUtf8WithTheOffsetOfTheBadByte() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'};

        TwinError error = catchThrowableOfType(() -> JsonBodies.parseObject(body), TwinException.class).error();

        assertThat(error.code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(error.path()).isEqualTo("@6");
    }

    @Test
    void anAbsentOrNullClientTokenIsNone() {
        assertThat(JsonBodies.clientToken(object("{\"state\":\"Connected\"}"))).isNull();
        assertThat(JsonBodies.clientToken(object("{\"clientToken\":null}"))).isNull();
    }

    @Test
    void takesAClientTokenOfUpTo64Bytes() {
        String ascii = "t".repeat(64);
        String multibyte = "é".repeat(32);

        assertThat(JsonBodies.clientToken(object("{\"clientToken\":\"tok-1\"}"))).isEqualTo("tok-1");
        assertThat(JsonBodies.clientToken(object("{\"clientToken\":\"" + ascii + "\"}"))).isEqualTo(ascii);
        assertThat(JsonBodies.clientToken(object("{\"clientToken\":\"" + multibyte + "\"}"))).isEqualTo(multibyte);
    }

    @Test
    void refusesAClientTokenOver64Bytes() {
        assertClientTokenRefused("{\"clientToken\":\"" + "t".repeat(65) + "\"}");
        // 33 characters, 66 bytes: the limit counts bytes.
        assertClientTokenRefused("{\"clientToken\":\"" + "é".repeat(33) + "\"}");
    }

    @Test
    void refusesAClientTokenThatIsNotANonEmptyString() {
        assertClientTokenRefused("{\"clientToken\":42}");
        assertClientTokenRefused("{\"clientToken\":\"\"}");
        assertClientTokenRefused("{\"clientToken\":{\"id\":\"tok-1\"}}");
        assertClientTokenRefused("{\"clientToken\":true}");
    }

    private static void assertClientTokenRefused(String body) {
        TwinError error = catchThrowableOfType(() -> JsonBodies.clientToken(object(body)), TwinException.class).error();

        assertThat(error.kind()).as(body).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).as(body).isEqualTo("invalidClientToken");
        assertThat(error.path()).as(body).isEqualTo("$.clientToken");
    }
}
