package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static io.twinplatform.api.model.TestJson.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TwinValidatorTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String DESIRED = "$.properties.desired";
    private static final String TAGS = "$.tags";

    private final TwinValidator validator = new TwinValidator(TwinLimits.AZURE);

    @Test
    void exposesItsLimits() {
        assertThat(validator.limits()).isSameAs(TwinLimits.AZURE);
        assertThat(TwinLimits.AZURE.maxDepth()).isEqualTo(10);
    }

    @Nested
    class Depth {

        @Test
        void acceptsObjectsNestedTenLevelsBelowTheSectionRoot() {
            ObjectNode section = nestedObjects(10);

            assertAccepted(section, DESIRED);
        }

        @Test
        void refusesAnObjectNestedElevenLevelsBelowTheSectionRoot() {
            ObjectNode section = nestedObjects(11);

            TwinError error = refusal(section, DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("tooDeep");
            assertThat(error.path()).isEqualTo(DESIRED + ".l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11");
        }

        @Test
        void countsArraysAsNestingLevels() {
            ObjectNode accepted = NODES.objectNode();
            accepted.set("a", nestedArrays(10));
            ObjectNode refused = NODES.objectNode();
            refused.set("a", nestedArrays(11));

            assertAccepted(accepted, TAGS);
            TwinError error = refusal(refused, TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("tooDeep");
            assertThat(error.path()).isEqualTo(TAGS + ".a" + "[0]".repeat(10));
        }

        @Test
        void countsAnEmptyContainerAsALevel() {
            ObjectNode section = nestedObjects(10);
            ObjectNode deepest = (ObjectNode) section.at("/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10");
            deepest.putObject("empty");

            TwinError error = refusal(section, DESIRED);

            assertThat(error.code()).isEqualTo("tooDeep");
            assertThat(error.path()).isEqualTo(DESIRED + ".l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.empty");
        }
    }

    @Nested
    class Strings {

        @Test
        void acceptsAStringOf4096Bytes() {
            assertAccepted(section("s", "a".repeat(4096)), DESIRED);
        }

        @Test
        void refusesAStringOf4097Bytes() {
            TwinError error = refusal(section("s", "a".repeat(4097)), DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("stringTooLong");
            assertThat(error.path()).isEqualTo(DESIRED + ".s");
        }

        @Test
        void countsTwoByteCharactersAsTwoBytes() {
            String exactly4096 = "é".repeat(2048);
            String oneMore = exactly4096 + "a";
            assertThat(exactly4096.getBytes(StandardCharsets.UTF_8)).hasSize(4096);

            assertAccepted(section("s", exactly4096), DESIRED);
            TwinError error = refusal(section("s", oneMore), DESIRED);

            assertThat(error.code()).isEqualTo("stringTooLong");
            assertThat(error.path()).isEqualTo(DESIRED + ".s");
        }

        @Test
        void refusesTwoByteCharactersThatExceedTheLimitInBytesButNotInChars() {
            // 2049 chars is far below 4096 chars, but 4098 UTF-8 bytes
            TwinError error = refusal(section("s", "é".repeat(2049)), DESIRED);

            assertThat(error.code()).isEqualTo("stringTooLong");
        }

        @Test
        void countsFourByteCharactersAsFourBytes() {
            String exactly4096 = "\uD83D\uDE00".repeat(1024); // U+1F600, 4 bytes each

            assertAccepted(section("s", exactly4096), DESIRED);
            assertThat(refusal(section("s", exactly4096 + "a"), DESIRED).code()).isEqualTo("stringTooLong");
        }

        @Test
        void checksStringsInsideArraysAndNamesTheElement() {
            ObjectNode section = json("{\"list\":[\"ok\",\"" + "x".repeat(4097) + "\"]}");

            TwinError error = refusal(section, TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("stringTooLong");
            assertThat(error.path()).isEqualTo(TAGS + ".list[1]");
        }
    }

    @Nested
    class Keys {

        @ParameterizedTest(name = "[{index}] U+{0}")
        @ValueSource(chars = {'.', '$', ' ', '\u0000', '\u001F', '\u007F'})
        void refusesAKeyWithAForbiddenCharacter(char forbidden) {
            String key = "a" + forbidden + "b";

            TwinError error = refusal(section(key, 1), TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("invalidKey");
            assertThat(error.path()).isEqualTo(TAGS + "['" + key + "']");
        }

        @Test
        void namesADottedKeyInBracketForm() {
            TwinError error = refusal(section("a.b", 1), TAGS);

            assertThat(error.path()).isEqualTo("$.tags['a.b']");
        }

        @Test
        void refusesAForbiddenKeyInANestedObject() {
            ObjectNode section = json("{\"ok\":{\"$bad\":1}}");

            TwinError error = refusal(section, DESIRED);

            assertThat(error.code()).isEqualTo("invalidKey");
            assertThat(error.path()).isEqualTo(DESIRED + ".ok['$bad']");
        }

        @Test
        void refusesAForbiddenKeyEvenWhenItsValueIsNull() {
            ObjectNode section = NODES.objectNode().putNull("a.b");

            TwinError error = refusal(section, DESIRED);

            assertThat(error.code()).isEqualTo("invalidKey");
        }

        @Test
        void acceptsKeysWithOtherPunctuationAndNonAsciiLetters() {
            ObjectNode section = json("{\"temp-c\":1,\"a_b\":2,\"x:y\":3,\"név\":4,\"a/b\":5}");

            assertAccepted(section, TAGS);
        }

        @Test
        void acceptsAKeyOf1024Bytes() {
            assertAccepted(section("k".repeat(1024), 1), TAGS);
        }

        @Test
        void refusesAKeyOf1025Bytes() {
            String key = "k".repeat(1025);

            TwinError error = refusal(section(key, 1), TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("invalidKey");
            assertThat(error.path()).isEqualTo(TAGS + "." + key);
        }

        @Test
        void measuresKeysInUtf8Bytes() {
            assertAccepted(section("é".repeat(512), 1), TAGS);
            assertThat(refusal(section("é".repeat(512) + "k", 1), TAGS).code()).isEqualTo("invalidKey");
        }

        @Test
        void refusesAnEmptyKey() {
            TwinError error = refusal(section("", 1), TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("invalidKey");
            assertThat(error.path()).isEqualTo(TAGS + "['']");
        }
    }

    @Nested
    class Integers {

        @Test
        void refusesANumberTooLargeForADouble() {
            TwinError error = refusal(object("{\"v\":1e400}"), DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("numberOutOfRange");
            assertThat(error.path()).isEqualTo(DESIRED + ".v");
        }

        @Test
        void acceptsLargeButFiniteDoubles() {
            assertAccepted(object("{\"v\":1.7e308}"), DESIRED);
        }

        @ParameterizedTest
        @ValueSource(longs = {4503599627370495L, -4503599627370495L, 0L, 42L, -1L})
        void acceptsIntegersWithinTheSafeRange(long value) {
            assertAccepted(section("n", value), DESIRED);
        }

        @ParameterizedTest
        @ValueSource(longs = {4503599627370496L, -4503599627370496L, Long.MAX_VALUE, Long.MIN_VALUE})
        void refusesIntegersOutsideTheSafeRange(long value) {
            TwinError error = refusal(section("n", value), DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("integerOutOfRange");
            assertThat(error.path()).isEqualTo(DESIRED + ".n");
        }

        @Test
        void refusesBoundaryIntegersParsedFromJsonText() {
            assertAccepted(json("{\"n\":4503599627370495,\"m\":-4503599627370495}"), DESIRED);
            assertThat(refusal(json("{\"n\":4503599627370496}"), DESIRED).code()).isEqualTo("integerOutOfRange");
            assertThat(refusal(json("{\"n\":-4503599627370496}"), DESIRED).code()).isEqualTo("integerOutOfRange");
        }

        @Test
        void refusesAHugeBigInteger() {
            ObjectNode section = json("{\"n\":123456789012345678901234567890}");
            assertThat(section.get("n").isBigInteger()).isTrue();

            TwinError error = refusal(section, DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("integerOutOfRange");
            assertThat(error.path()).isEqualTo(DESIRED + ".n");
        }

        @Test
        void refusesAHugeNegativeBigIntegerBuiltInCode() {
            ObjectNode section = NODES.objectNode();
            section.put("n", BigInteger.TEN.pow(40).negate());

            assertThat(refusal(section, DESIRED).code()).isEqualTo("integerOutOfRange");
        }

        @Test
        void checksIntegersInsideArrays() {
            TwinError error = refusal(json("{\"list\":[1,4503599627370496]}"), DESIRED);

            assertThat(error.code()).isEqualTo("integerOutOfRange");
            assertThat(error.path()).isEqualTo(DESIRED + ".list[1]");
        }
    }

    @Nested
    class Nulls {

        @Test
        void refusesNullInsideAnArray() {
            TwinError error = refusal(json("{\"list\":[1,null,3]}"), DESIRED);

            assertThat(error.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
            assertThat(error.code()).isEqualTo("nullInArray");
            assertThat(error.path()).isEqualTo(DESIRED + ".list[1]");
        }

        @Test
        void refusesNullInsideANestedArray() {
            TwinError error = refusal(json("{\"a\":{\"m\":[[1],[2,null]]}}"), DESIRED);

            assertThat(error.code()).isEqualTo("nullInArray");
            assertThat(error.path()).isEqualTo(DESIRED + ".a.m[1][1]");
        }

        @Test
        void acceptsNullAsAnObjectValueBecauseItRemovesTheKey() {
            assertAccepted(json("{\"gone\":null,\"nested\":{\"alsoGone\":null}}"), DESIRED);
        }
    }

    @Nested
    class Sections {

        @Test
        void refusesAnArraySection() {
            TwinError error = refusalOf(MAPPER.createArrayNode().add(1), TAGS);

            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).isEqualTo("notAnObject");
            assertThat(error.path()).isEqualTo(TAGS);
        }

        @Test
        void refusesAScalarSection() {
            assertThat(refusalOf(NODES.textNode("x"), DESIRED).code()).isEqualTo("notAnObject");
            assertThat(refusalOf(NODES.numberNode(1), DESIRED).code()).isEqualTo("notAnObject");
        }

        @Test
        void acceptsAnAbsentSection() {
            assertThatCode(() -> validator.checkContent(null, DESIRED)).doesNotThrowAnyException();
        }

        @Test
        void acceptsAnEmptySection() {
            assertAccepted(NODES.objectNode(), DESIRED);
        }

        @Test
        void acceptsATypicalSection() {
            assertAccepted(json("{\"t\":30.5,\"mode\":\"eco\",\"on\":true,\"light\":{\"rgb\":[255,0,0]},"
                    + "\"schedule\":[{\"at\":\"08:00\",\"t\":21}]}"), DESIRED);
        }
    }

    @Nested
    class Size {

        @Test
        void acceptsASectionOfExactlyTheLimit() {
            // {"k":"..."} is 8 bytes of syntax plus the string
            ObjectNode section = section("k", "x".repeat(8192 - 8));
            assertThat(compactBytes(section)).isEqualTo(8192);

            assertThatCode(() -> validator.checkSize(section, 8192, TAGS)).doesNotThrowAnyException();
        }

        @Test
        void refusesASectionOneByteOverTheLimit() {
            ObjectNode section = section("k", "x".repeat(8192 - 7));
            assertThat(compactBytes(section)).isEqualTo(8193);

            TwinError error = catchThrowableOfType(TwinException.class,
                    () -> validator.checkSize(section, 8192, TAGS)).error();

            assertThat(error.kind()).isEqualTo(ErrorKind.TOO_LARGE);
            assertThat(error.code()).isEqualTo("sectionTooLarge");
            assertThat(error.path()).isEqualTo(TAGS);
        }

        @Test
        void measuresTheSizeInUtf8Bytes() {
            // 8 bytes of syntax + 4092 two-byte characters = 8192 bytes
            ObjectNode atLimit = section("k", "é".repeat(4092));
            ObjectNode overLimit = section("k", "é".repeat(4092) + "x");

            assertThatCode(() -> validator.checkSize(atLimit, 8192, TAGS)).doesNotThrowAnyException();
            TwinException refused = catchThrowableOfType(TwinException.class,
                    () -> validator.checkSize(overLimit, 8192, TAGS));
            assertThat(refused).isNotNull();
            assertThat(refused.error().code()).isEqualTo("sectionTooLarge");
        }

        @Test
        void measuresCompactJsonWithoutWhitespace() throws JsonProcessingException {
            ObjectNode section = (ObjectNode) MAPPER.readTree("{ \"a\" : 1 ,\n  \"b\" : [ 1 , 2 ] }");
            int compact = "{\"a\":1,\"b\":[1,2]}".length();

            assertThatCode(() -> validator.checkSize(section, compact, TAGS)).doesNotThrowAnyException();
            assertThat(catchThrowableOfType(TwinException.class,
                    () -> validator.checkSize(section, compact - 1, TAGS))).isNotNull();
        }
    }

    // ---- helpers

    private void assertAccepted(JsonNode section, String path) {
        assertThatCode(() -> validator.checkContent(section, path)).doesNotThrowAnyException();
    }

    private TwinError refusal(ObjectNode section, String path) {
        return refusalOf(section, path);
    }

    private TwinError refusalOf(JsonNode section, String path) {
        TwinException thrown = catchThrowableOfType(TwinException.class, () -> validator.checkContent(section, path));
        assertThat(thrown).as("expected checkContent to refuse %s", section).isNotNull();
        return thrown.error();
    }

    /** {"l1":{"l2":...{"l<levels>":{"leaf":1}}}}: the value of l<n> is an object at level n. */
    private static ObjectNode nestedObjects(int levels) {
        ObjectNode root = NODES.objectNode();
        ObjectNode current = root;
        for (int i = 1; i <= levels; i++) {
            current = current.putObject("l" + i);
        }
        current.put("leaf", 1);
        return root;
    }

    /** [[...[1]...]] with {@code levels} arrays. */
    private static ArrayNode nestedArrays(int levels) {
        ArrayNode outer = NODES.arrayNode();
        ArrayNode current = outer;
        for (int i = 2; i <= levels; i++) {
            current = current.addArray();
        }
        current.add(1);
        return outer;
    }

    private static ObjectNode section(String key, String value) {
        return NODES.objectNode().put(key, value);
    }

    private static ObjectNode section(String key, long value) {
        return NODES.objectNode().put(key, value);
    }

    private static int compactBytes(ObjectNode section) {
        try {
            return MAPPER.writeValueAsBytes(section).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad test JSON: " + text, e);
        }
    }
}
