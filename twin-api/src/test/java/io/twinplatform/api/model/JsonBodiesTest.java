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
