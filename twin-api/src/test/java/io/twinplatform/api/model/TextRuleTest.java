package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The text rule as every body sees it, through {@link JsonBodies#parse(byte[])}, and for single strings. */
class TextRuleTest {

    /** {@code before}, the raw bytes, then {@code after}: a body with bytes no Java string literal can spell. */
    private static byte[] body(String before, int[] raw, String after) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            bytes.write(b);
        }
        bytes.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return bytes.toByteArray();
    }

    private static TwinError refusal(byte[] body) {
        TwinException refused = catchThrowableOfType(() -> JsonBodies.parse(body), TwinException.class);
        assertThat(refused).as("refused").isNotNull();
        TwinError error = refused.error();
        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.kind().status()).isEqualTo(400);
        return error;
    }

    private static TwinError refusal(String json) {
        return refusal(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The value of {@code $.v} in a body {@code {"v":"a<raw>b"}}: the offset of the raw bytes is 7. */
    private static void assertNotUtf8(int... raw) {
        TwinError error = refusal(body("{\"v\":\"a", raw, "b\"}"));
        assertThat(error.code()).as("bytes %s", java.util.Arrays.toString(raw)).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(error.path()).as("bytes %s", java.util.Arrays.toString(raw)).isEqualTo("@7");
    }

    @Test
    void refusesABodyWithAByteThatNeverStartsUtf8() {
        assertNotUtf8(0xFF);
        assertNotUtf8(0xFE);
        assertNotUtf8(0xF8, 0x88, 0x80, 0x80, 0x80);
    }

    @Test
    void refusesALoneContinuationByte() {
        assertNotUtf8(0x80);
        assertNotUtf8(0xBF);
    }

    @Test
    void refusesATruncatedMultiByteSequence() {
        assertNotUtf8(0xC3);
        assertNotUtf8(0xE2, 0x82);
        assertNotUtf8(0xF0, 0x9F, 0x98);
    }

    @Test
    void refusesATruncatedSequenceAtTheEndOfTheBody() {
        TwinError error = refusal(body("\"a", new int[]{0xE2, 0x82}, ""));

        assertThat(error.code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(error.path()).isEqualTo("@2");
    }

    @Test
    void refusesOverlongEncodingsWhichTheJsonParserWouldDecode() {
        // C0 80 would read as U+0000, E0 80 AF as '/', F0 80 80 AF as two garbage characters.
        assertNotUtf8(0xC0, 0x80);
        assertNotUtf8(0xE0, 0x80, 0xAF);
        assertNotUtf8(0xF0, 0x80, 0x80, 0xAF);
    }

    @Test
    void refusesAnEncodedSurrogateAsInCesu8() {
        assertNotUtf8(0xED, 0xA0, 0x80);
        assertNotUtf8(0xED, 0xBF, 0xBF);
        // A pair encoded as two three-byte sequences (CESU-8) is not UTF-8 either.
        assertNotUtf8(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80);
    }

    @Test
    void refusesACodePointBeyondTheLastOne() {
        assertNotUtf8(0xF4, 0x90, 0x80, 0x80);
    }

    @Test
    void refusesInvalidBytesInAKey() {
        TwinError error = refusal(body("{\"", new int[]{0xFF}, "\":1}"));

        assertThat(error.code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(error.path()).isEqualTo("@2");
    }

    @Test
    void refusesAZeroByteAnywhereSoABodyIsNeverReadAsUtf16() {
        TwinError raw = refusal(body("{\"v\":\"a", new int[]{0x00}, "\"}"));
        assertThat(raw.code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(raw.path()).isEqualTo("@7");

        // {"a":1} in UTF-16BE, with and without a byte order mark.
        byte[] utf16 = "{\"a\":1}".getBytes(StandardCharsets.UTF_16BE);
        assertThat(refusal(utf16).code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(refusal(body("", new int[]{0xFE, 0xFF}, "")).code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(refusal("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE)).code()).isEqualTo(TextRule.INVALID_TEXT);
    }

    @Test
    void refusesAnEscapedNulInAValueNamingItsPath() {
        TwinError error = refusal("{\"properties\":{\"desired\":{\"mode\":\"eco\\u0000\"}}}");

        assertThat(error.code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(error.path()).isEqualTo("$.properties.desired.mode");
        assertThat(error.detail()).contains("U+0000");
    }

    @Test
    void refusesAnEscapedNulInAKeyNamingTheKeyWithItEscaped() {
        TwinError error = refusal("{\"tags\":{\"site\\u0000x\":1}}");

        assertThat(error.code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(error.path()).isEqualTo("$.tags['site\\u0000x']");
        assertThat(error.path()).doesNotContain("\u0000");
    }

    @Test
    void refusesNulDeepInsideObjectsAndArrays() {
        assertThat(refusal("{\"a\":{\"b\":[1,{\"c\":[\"ok\",\"\\u0000\"]}]}}").path()).isEqualTo("$.a.b[1].c[1]");
        assertThat(refusal("[\"ok\",[\"\\u0000\"]]").path()).isEqualTo("$[1][0]");
        assertThat(refusal("\"\\u0000\"").path()).isEqualTo("$");
        assertThat(refusal("{\"a b\":{\"\\u0000\":1}}").path()).isEqualTo("$['a b']['\\u0000']");
    }

    @Test
    void refusesAnEscapedLoneHighSurrogate() {
        TwinError error = refusal("{\"tags\":{\"t\":\"x\\ud800\"}}");

        assertThat(error.code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(error.path()).isEqualTo("$.tags.t");
        assertThat(error.detail()).contains("U+D800");
    }

    @Test
    void refusesAnEscapedLoneLowSurrogateAndAPairInTheWrongOrder() {
        assertThat(refusal("{\"t\":\"\\udc00\"}").path()).isEqualTo("$.t");
        assertThat(refusal("{\"t\":\"\\udc00\\ud800\"}").path()).isEqualTo("$.t");
        assertThat(refusal("{\"t\":\"\\ud800x\"}").path()).isEqualTo("$.t");
    }

    @Test
    void refusesALoneSurrogateInAnArray() {
        assertThat(refusal("{\"list\":[\"a\",\"\\udfff\"]}").path()).isEqualTo("$.list[1]");
    }

    @Test
    void refusesALoneSurrogateInAKeyAsASyntaxErrorAtItsOffset() {
        // The JSON parser itself refuses a key that escapes a lone surrogate, so the fault is a position.
        TwinError high = refusal("{\"r\":{\"\\ud800\":1}}");
        assertThat(high.code()).isEqualTo("malformedJson");
        assertThat(high.path()).startsWith("@");

        TwinError low = refusal("{\"\\udc00\":1}");
        assertThat(low.code()).isEqualTo("malformedJson");
        assertThat(low.path()).startsWith("@");
    }

    @Test
    void namesAFaultyKeyInAFormThatCanBeSentBack() {
        String path = refusal("{\"r\":{\"a\\u0000\":1}}").path();

        assertThat(path).isEqualTo("$.r['a\\u0000']");
        assertThat(TextRule.fault(path)).isNull();
    }

    @Test
    void takesPairedSurrogatesNoncharactersAndEveryOtherControlCharacter() {
        String text = "{\"emoji\":\"\\ud83d\\ude00\",\"raw\":\"\uD83D\uDE00\",\"\\uffff\":\"\\ufdd0\\ufffe\","
                + "\"ctl\":\"\\u0001\\u001f\\u007f\",\"bom\":\"\\ufeff\"}";

        var node = JsonBodies.parse(text.getBytes(StandardCharsets.UTF_8));

        assertThat(node.get("emoji").textValue()).isEqualTo("\uD83D\uDE00");
        assertThat(node.get("raw").textValue()).isEqualTo("\uD83D\uDE00");
        assertThat(node.get("\uffff").textValue()).isEqualTo("\ufdd0\ufffe");
        assertThat(node.get("ctl").textValue()).isEqualTo("\u0001\u001f\u007f");
    }

    @Test
    void takesMultiByteTextAndALeadingByteOrderMark() {
        assertThat(JsonBodies.parse("{\"é\":\"日本\uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8)).get("é").textValue())
                .isEqualTo("日本\uD83D\uDE00");
        assertThat(JsonBodies.parse(body("", new int[]{0xEF, 0xBB, 0xBF}, "{\"a\":1}")).get("a").intValue()).isEqualTo(1);
    }

    @Test
    void anInvalidByteIsReportedBeforeAJsonSyntaxErrorAfterIt() {
        TwinError error = refusal(body("{\"v\":\"", new int[]{0xFF}, "\",,}"));

        assertThat(error.code()).isEqualTo(TextRule.INVALID_UTF8);
    }

    @Test
    void namesTheFirstFaultOfAString() {
        assertThat(TextRule.fault("plain")).isNull();
        assertThat(TextRule.fault("")).isNull();
        assertThat(TextRule.fault("ab\u0000")).isEqualTo("U+0000 at character 2");
        assertThat(TextRule.fault("\uD800")).isEqualTo("an unpaired surrogate U+D800 at character 0");
        assertThat(TextRule.fault("a\uD83D\uDE00\uDC00")).isEqualTo("an unpaired surrogate U+DC00 at character 3");
    }

    @Test
    void decodesStrictUtf8OrNamesTheOffset() {
        assertThat(TextRule.decode("é\uD83D\uDE00".getBytes(StandardCharsets.UTF_8))).isEqualTo("é\uD83D\uDE00");
        TwinError error = catchThrowableOfType(() -> TextRule.decode(new byte[]{'a', 'b', (byte) 0xC0, (byte) 0x80}),
                TwinException.class).error();
        assertThat(error.code()).isEqualTo(TextRule.INVALID_UTF8);
        assertThat(error.path()).isEqualTo("@2");
    }

    @Test
    void truncatesWithoutSplittingASurrogatePair() {
        String text = "ab\uD83D\uDE00cd";

        assertThat(TextRule.truncate(text, 3)).isEqualTo("ab");
        assertThat(TextRule.truncate(text, 4)).isEqualTo("ab\uD83D\uDE00");
        assertThat(TextRule.truncate(text, 10)).isEqualTo(text);
        assertThat(TextRule.fault(TextRule.truncate(text, 3))).isNull();
    }

    @Test
    void makesFaultyCharactersVisible() {
        assertThat(TextRule.visible("a\u0000b\uD800c\uD83D\uDE00")).isEqualTo("a\\u0000b\\ud800c\uD83D\uDE00");
    }

    @Test
    void readsAHeaderValueAsTheUtf8BytesTheClientSent() {
        String sent = new String("josé \uD83D\uDE00".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        assertThat(TextRule.header("X-Principal", sent)).isEqualTo("josé \uD83D\uDE00");
        assertThat(TextRule.header("X-Principal", "plain-ascii")).isEqualTo("plain-ascii");
    }

    @Test
    void refusesAHeaderValueThatIsNotUtf8OrHoldsNulNamingTheHeader() {
        for (String value : new String[]{"a\u00ffb", "a\u00c0\u0080", "a\u00ed\u00a0\u0080", "jos\u00e9", "a\u0100"}) {
            TwinError error = catchThrowableOfType(() -> TextRule.header("Idempotency-Key", value),
                    TwinException.class).error();
            assertThat(error.code()).as(value).isEqualTo(TextRule.INVALID_UTF8);
            assertThat(error.path()).as(value).isEqualTo("Idempotency-Key");
        }
        TwinError nul = catchThrowableOfType(() -> TextRule.header("If-Match", "\"1\u0000\""), TwinException.class).error();
        assertThat(nul.code()).isEqualTo(TextRule.INVALID_TEXT);
        assertThat(nul.path()).isEqualTo("If-Match");
    }
}
