package io.twinplatform.api.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class QueryEvaluatorTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A device twin whose tags hold one value of every JSON type. */
    private static final JsonNode DEVICE = json("""
            {
              "deviceId": "thermostat-1",
              "status": "enabled",
              "tags": {
                "text": "hello",
                "ten": "10",
                "number": 1,
                "decimal": 1.0,
                "tenth": 0.1,
                "big": 12345678901234567890,
                "yes": true,
                "nothing": null,
                "object": {"a": 1},
                "emptyObject": {},
                "array": [1, 2],
                "upper": "B",
                "lower": "a",
                "order": 7,
                "a.b": "dotted"
              },
              "properties": {
                "desired": {"temp": 21, "$version": 3},
                "reported": {"temp": 20.5, "mode": "eco", "$version": 5}
              }
            }
            """);

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** The three-valued result of {@code condition} over {@code document}: TRUE, FALSE or null for undefined. */
    private static Boolean eval(String condition, JsonNode document) {
        return QueryEvaluator.evaluate(TwinQuery.parseTargetCondition(condition).where(), document);
    }

    private static Boolean eval(String condition) {
        return eval(condition, DEVICE);
    }

    private static boolean matches(String condition, JsonNode document) {
        return TwinQuery.parseTargetCondition(condition).matches(document);
    }

    @Nested
    class Equality {

        @ParameterizedTest
        @ValueSource(strings = {"tags.text = 'hello'", "tags.number = 1", "tags.yes = true", "tags.yes = TRUE",
                "status = \"enabled\"", "tags.number != 2", "tags.text <> 'Hello'", "tags.yes != false"})
        void holdsForPrimitivesOfTheSameTypeAndValue(String condition) {
            assertThat(eval(condition)).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"tags.number = 1.0", "tags.decimal = 1", "tags.decimal = 1.00", "tags.number = 1e0",
                "tags.number = 0.1e1", "tags.tenth = 0.1", "tags.big = 12345678901234567890"})
        void comparesNumbersByValue(String condition) {
            assertThat(eval(condition)).isTrue();
            assertThat(eval(condition.replace(" = ", " != "))).isFalse();
        }

        @Test
        void doesNotRoundLargeNumbersToDoubles() {
            assertThat(eval("tags.big = 12345678901234567891")).isFalse();
            assertThat(eval("tags.big < 12345678901234567891")).isTrue();
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "tags.ten = 10       | false",
                "tags.ten != 10      | true",
                "tags.number = '1'   | false",
                "tags.number <> '1'  | true",
                "tags.yes = 'true'   | false",
                "tags.yes = 1        | false",
                "tags.text = null    | false",
                "tags.text != null   | true",
                "tags.nothing = 0    | false",
                "tags.nothing != ''  | true",
                "tags.nothing = false| false"
        })
        void tellsPrimitivesOfDifferentTypesApartWithoutBeingUndefined(String condition, boolean expected) {
            assertThat(eval(condition)).isEqualTo(expected);
        }

        @Test
        void comparesStringsCaseSensitively() {
            assertThat(eval("tags.text = 'HELLO'")).isFalse();
            assertThat(eval("tags.text = 'hello'")).isTrue();
        }

        @Test
        void findsAFieldWhoseNameIsAKeywordOrHasADot() {
            assertThat(eval("tags.[[order]] = 7")).isTrue();
            assertThat(eval("tags.order = 7")).isTrue();
            assertThat(eval("tags.[[a.b]] = 'dotted'")).isTrue();
            assertThat(eval("IS_DEFINED(tags.a.b)")).isFalse();
        }

        @Test
        void readsDollarPropertiesOfTheTwin() {
            assertThat(eval("properties.desired.$version = 3 AND properties.reported.[[$version]] = 5")).isTrue();
        }
    }

    @Nested
    class NullAndMissing {

        @Test
        void aFieldHoldingNullIsDefinedAndNull() {
            assertThat(eval("IS_DEFINED(tags.nothing)")).isTrue();
            assertThat(eval("IS_NULL(tags.nothing)")).isTrue();
            assertThat(eval("tags.nothing = null")).isTrue();
            assertThat(eval("tags.nothing != null")).isFalse();
            assertThat(eval("tags.nothing IN [null]")).isTrue();
            assertThat(eval("IS_PRIMITIVE(tags.nothing)")).isTrue();
        }

        @Test
        void aFieldHoldingNullHasNoOrder() {
            assertThat(eval("tags.nothing < 1")).isNull();
            assertThat(eval("tags.nothing >= ''")).isNull();
        }

        @Test
        void aMissingFieldIsNeitherDefinedNorNull() {
            assertThat(eval("IS_DEFINED(tags.missing)")).isFalse();
            assertThat(eval("IS_NULL(tags.missing)")).isFalse();
            assertThat(eval("NOT IS_DEFINED(tags.missing)")).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"tags.missing = 'x'", "tags.missing != 'x'", "tags.missing <> 'x'",
                "tags.missing = null", "tags.missing != null", "tags.missing < 1", "tags.missing >= 'a'",
                "tags.missing IN ['x']", "tags.missing NIN ['x']", "tags.missing NIN []", "tags.missing IN []",
                "NOT tags.missing = 'x'", "NOT tags.missing != 'x'", "STARTS_WITH(tags.missing, '')"})
        void comparingAMissingFieldIsUndefined(String condition) {
            assertThat(eval(condition)).isNull();
        }

        @Test
        void aMissingFieldMatchesNeitherAConditionNorItsNegation() {
            assertThat(matches("tags.missing != 'x'", DEVICE)).isFalse();
            assertThat(matches("NOT tags.missing != 'x'", DEVICE)).isFalse();
            assertThat(matches("tags.missing NIN ['x']", DEVICE)).isFalse();
        }

        @Test
        void aPathThroughAPrimitiveIsMissing() {
            assertThat(eval("IS_DEFINED(tags.text.length)")).isFalse();
            assertThat(eval("tags.text.length = 5")).isNull();
            assertThat(eval("IS_DEFINED(tags.array.x)")).isFalse();
            assertThat(eval("IS_DEFINED(tags.nothing.x)")).isFalse();
        }

        @Test
        void aWholeSectionThatIsMissingLeavesItsFieldsMissing() {
            JsonNode bare = json("{\"deviceId\": \"d\"}");

            assertThat(eval("IS_DEFINED(properties.reported.temp)", bare)).isFalse();
            assertThat(eval("tags.a = 1", bare)).isNull();
        }
    }

    @Nested
    class ObjectsAndArrays {

        @ParameterizedTest
        @ValueSource(strings = {"tags.object = 1", "tags.object != 1", "tags.object = null", "tags.object != null",
                "tags.object < 1", "tags.emptyObject = 'x'", "tags.array = 1", "tags.array != 1", "tags.array > 0",
                "tags.object IN [1]", "tags.object NIN [1]", "tags.array IN [1]", "tags.array NIN [3]",
                "NOT tags.object = 1", "NOT tags.object != 1", "CONTAINS(tags.object, 'a')"})
        void comparingAnObjectOrArrayIsUndefined(String condition) {
            assertThat(eval(condition)).isNull();
        }

        @Test
        void anObjectComparedWithALiteralIsNeitherEqualNorUnequal() {
            assertThat(matches("tags.object = 1", DEVICE)).isFalse();
            assertThat(matches("tags.object != 1", DEVICE)).isFalse();
            assertThat(matches("NOT tags.object = 1", DEVICE)).isFalse();
            assertThat(matches("NOT (tags.object != 1)", DEVICE)).isFalse();
        }

        @Test
        void anArrayIsNotSearchedForItsElements() {
            assertThat(matches("tags.array IN [1, 2]", DEVICE)).isFalse();
            assertThat(matches("tags.array = 1", DEVICE)).isFalse();
        }

        @Test
        void fieldsInsideAnObjectCompareNormally() {
            assertThat(eval("tags.object.a = 1")).isTrue();
        }
    }

    @Nested
    class Ordering {

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "tags.number < 2        | true",
                "tags.number <= 1       | true",
                "tags.number < 1        | false",
                "tags.number > 0.5      | true",
                "tags.number >= 1.0     | true",
                "tags.number > 1        | false",
                "tags.number > -1e3     | true",
                "tags.decimal < 1.0001  | true",
                "properties.reported.temp < 21 | true",
                "properties.reported.temp >= 20.5 | true"
        })
        void ordersNumbersByValue(String condition, boolean expected) {
            assertThat(eval(condition)).isEqualTo(expected);
        }

        @Test
        void ordersStringsByCodePointSoUpperCaseComesBeforeLowerCase() {
            assertThat(eval("tags.upper < 'a'")).isTrue();
            assertThat(eval("tags.lower > 'B'")).isTrue();
            assertThat(eval("tags.lower < 'B'")).isFalse();
            assertThat(eval("tags.text > 'hell'")).isTrue();
            assertThat(eval("tags.text < 'help'")).isTrue();
            assertThat(eval("tags.text >= 'hello' AND tags.text <= 'hello'")).isTrue();
        }

        @Test
        void ordersNumericStringsAsText() {
            assertThat(eval("tags.ten < '9'")).isTrue();
            assertThat(eval("tags.ten > '1'")).isTrue();
        }

        @Test
        void ordersCharactersBeyondTheBasicPlaneAfterEveryOtherCharacter() {
            JsonNode document = json("{\"tags\": {\"emoji\": \"\uD83D\uDE00\", \"replacement\": \"\uFFFD\"}}");

            assertThat(eval("tags.emoji > '\uFFFD'", document)).isTrue();
            assertThat(eval("tags.replacement < '\uD83D\uDE00'", document)).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"tags.text < 5", "tags.ten > 9", "tags.number < '2'", "tags.number >= '1'",
                "tags.yes > 0", "tags.yes <= 'true'", "NOT tags.text < 5"})
        void ordersNothingButNumberWithNumberAndStringWithString(String condition) {
            assertThat(eval(condition)).isNull();
        }
    }

    @Nested
    class Membership {

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "tags.text IN ['a', 'hello']       | true",
                "tags.text IN ['a', 'b']           | false",
                "tags.text NIN ['a', 'hello']      | false",
                "tags.text NIN ['a', 'b']          | true",
                "tags.number IN [1.0]              | true",
                "tags.number IN ['1']              | false",
                "tags.ten IN [10]                  | false",
                "tags.ten NIN [10]                 | true",
                "tags.yes IN [true, null]          | true",
                "tags.nothing IN [false, 0, '']    | false",
                "tags.nothing NIN [null]           | false",
                "tags.text IN []                   | false",
                "tags.text NIN []                  | true",
                "tags.nothing NIN []               | true"
        })
        void testsPrimitivesAgainstTheListByJsonEquality(String condition, boolean expected) {
            assertThat(eval(condition)).isEqualTo(expected);
        }

        @Test
        void ninOfAMissingFieldIsUndefinedAndDoesNotMatch() {
            assertThat(eval("tags.missing NIN ['x']")).isNull();
            assertThat(matches("tags.missing NIN ['x']", DEVICE)).isFalse();
        }
    }

    @Nested
    class TypeTests {

        private final List<String> fields = List.of("tags.text", "tags.number", "tags.decimal", "tags.yes",
                "tags.nothing", "tags.object", "tags.array", "tags.missing");

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                // function   | text, number, decimal, yes, nothing, object, array, missing
                "IS_DEFINED   | true, true, true, true, true, true, true, false",
                "IS_NULL      | false, false, false, false, true, false, false, false",
                "IS_STRING    | true, false, false, false, false, false, false, false",
                "IS_NUMBER    | false, true, true, false, false, false, false, false",
                "IS_BOOL      | false, false, false, true, false, false, false, false",
                "IS_OBJECT    | false, false, false, false, false, true, false, false",
                "IS_ARRAY     | false, false, false, false, false, false, true, false",
                "IS_PRIMITIVE | true, true, true, true, true, false, false, false"
        })
        void areNeverUndefined(String function, String results) {
            List<String> expected = List.of(results.split(",\\s*"));
            for (int i = 0; i < fields.size(); i++) {
                String condition = function + "(" + fields.get(i) + ")";

                assertThat(eval(condition)).as(condition).isEqualTo(Boolean.valueOf(expected.get(i)));
                assertThat(eval("NOT " + condition)).as("NOT " + condition)
                        .isEqualTo(!Boolean.parseBoolean(expected.get(i)));
            }
        }
    }

    @Nested
    class StringTests {

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "STARTS_WITH(tags.text, 'he')   | true",
                "STARTS_WITH(tags.text, 'lo')   | false",
                "STARTS_WITH(tags.text, 'He')   | false",
                "STARTS_WITH(tags.text, '')     | true",
                "ENDS_WITH(tags.text, 'llo')    | true",
                "ENDS_WITH(tags.text, 'hel')    | false",
                "CONTAINS(tags.text, 'ell')     | true",
                "CONTAINS(tags.text, 'ELL')     | false",
                "CONTAINS(tags.text, 'hello!')  | false",
                "CONTAINS(deviceId, '-')        | true",
                "starts_with(deviceId, 'thermo') | true"
        })
        void testStringsCaseSensitively(String condition, boolean expected) {
            assertThat(eval(condition)).isEqualTo(expected);
        }

        @ParameterizedTest
        @ValueSource(strings = {"STARTS_WITH(tags.number, '1')", "ENDS_WITH(tags.ten.x, '0')",
                "CONTAINS(tags.yes, 'true')", "CONTAINS(tags.nothing, '')", "STARTS_WITH(tags.array, '')",
                "ENDS_WITH(tags.missing, '')", "NOT STARTS_WITH(tags.number, '1')"})
        void areUndefinedUnlessTheFieldIsAString(String condition) {
            assertThat(eval(condition)).isNull();
        }
    }

    @Nested
    class ThreeValuedLogic {

        private static final String TRUE = "tags.number = 1";
        private static final String FALSE = "tags.number = 2";
        private static final String UNDEFINED = "tags.missing = 1";

        @Test
        void theOperandsAreTrueFalseAndUndefined() {
            assertThat(eval(TRUE)).isTrue();
            assertThat(eval(FALSE)).isFalse();
            assertThat(eval(UNDEFINED)).isNull();
        }

        @Test
        void andIsFalseWhenEitherSideIsFalseEvenIfTheOtherIsUndefined() {
            assertThat(eval(FALSE + " AND " + UNDEFINED)).isFalse();
            assertThat(eval(UNDEFINED + " AND " + FALSE)).isFalse();
            assertThat(eval(TRUE + " AND " + UNDEFINED)).isNull();
            assertThat(eval(UNDEFINED + " AND " + UNDEFINED)).isNull();
            assertThat(eval(TRUE + " AND " + TRUE)).isTrue();
            assertThat(eval(TRUE + " AND " + FALSE)).isFalse();
        }

        @Test
        void orIsTrueWhenEitherSideIsTrueEvenIfTheOtherIsUndefined() {
            assertThat(eval(TRUE + " OR " + UNDEFINED)).isTrue();
            assertThat(eval(UNDEFINED + " OR " + TRUE)).isTrue();
            assertThat(eval(FALSE + " OR " + UNDEFINED)).isNull();
            assertThat(eval(UNDEFINED + " OR " + UNDEFINED)).isNull();
            assertThat(eval(FALSE + " OR " + FALSE)).isFalse();
            assertThat(eval(FALSE + " OR " + TRUE)).isTrue();
        }

        @Test
        void notOfUndefinedIsUndefined() {
            assertThat(eval("NOT " + UNDEFINED)).isNull();
            assertThat(eval("NOT NOT " + UNDEFINED)).isNull();
            assertThat(eval("NOT (" + FALSE + " OR " + UNDEFINED + ")")).isNull();
            assertThat(eval("NOT (" + FALSE + " AND " + UNDEFINED + ")")).isTrue();
            assertThat(eval("NOT " + TRUE)).isFalse();
        }

        @Test
        void everyTwinMatchesTheStar() {
            assertThat(eval("*")).isTrue();
            assertThat(eval("*", json("{}"))).isTrue();
        }
    }

    @Nested
    class InSync {

        @Test
        void isTrueWhenTheDeltaIsAnEmptyObject() {
            JsonNode document = json("{\"deviceId\": \"d\", \"delta\": {}}");

            assertThat(eval("inSync = true", document)).isTrue();
            assertThat(matches("inSync = true", document)).isTrue();
            assertThat(matches("inSync = false", document)).isFalse();
            assertThat(matches("IS_BOOL(inSync)", document)).isTrue();
        }

        @Test
        void isFalseWhenTheDeltaHasAKey() {
            JsonNode document = json("{\"deviceId\": \"d\", \"delta\": {\"temp\": 21}}");

            assertThat(eval("inSync = false", document)).isTrue();
            assertThat(matches("inSync = true", document)).isFalse();
            assertThat(matches("inSync != true", document)).isTrue();
        }

        @Test
        void isUndefinedWithoutADelta() {
            JsonNode document = json("{\"deviceId\": \"d\"}");

            assertThat(eval("inSync = true", document)).isNull();
            assertThat(eval("inSync = false", document)).isNull();
            assertThat(eval("IS_DEFINED(inSync)", document)).isFalse();
            assertThat(matches("NOT inSync = true", document)).isFalse();
        }

        @Test
        void isReadByValueWithoutLookingForAnInSyncKey() {
            Field inSync = new Field(List.of("inSync"), 0);

            assertThat(QueryEvaluator.value(inSync, json("{\"inSync\": true, \"delta\": {\"a\": 1}}")))
                    .isEqualTo(json("false"));
            assertThat(QueryEvaluator.value(inSync, json("{\"delta\": {}}"))).isEqualTo(json("true"));
        }
    }

    @Nested
    class Matching {

        private final JsonNode device = json("{\"deviceId\": \"d1\", \"tags\": {\"role\": \"edge\"}}");
        private final JsonNode deviceWithNullModule = json("{\"deviceId\": \"d1\", \"moduleId\": null, "
                + "\"tags\": {\"role\": \"edge\"}}");
        private final JsonNode module = json("{\"deviceId\": \"d1\", \"moduleId\": \"m1\", "
                + "\"tags\": {\"role\": \"edge\"}}");

        @Test
        void aDeviceQueryMatchesDeviceTwinsOnly() {
            assertThat(matches("tags.role = 'edge'", device)).isTrue();
            assertThat(matches("tags.role = 'edge'", deviceWithNullModule)).isTrue();
            assertThat(matches("tags.role = 'edge'", module)).isFalse();
            assertThat(matches("*", module)).isFalse();
            assertThat(TwinQuery.parse("SELECT * FROM devices").matches(module)).isFalse();
        }

        @Test
        void aModuleQueryMatchesModuleTwinsOnly() {
            assertThat(matches("FROM devices.modules WHERE tags.role = 'edge'", module)).isTrue();
            assertThat(matches("FROM devices.modules", module)).isTrue();
            assertThat(matches("FROM devices.modules WHERE tags.role = 'edge'", device)).isFalse();
            assertThat(matches("FROM devices.modules", deviceWithNullModule)).isFalse();
            assertThat(TwinQuery.parse("SELECT * FROM devices.modules WHERE moduleId = 'm1'").matches(module))
                    .isTrue();
        }

        @Test
        void matchesOnlyWhenTheConditionIsTrue() {
            assertThat(matches("tags.role = 'core'", device)).isFalse();
            assertThat(matches("tags.missing = 'x'", device)).isFalse();
            assertThat(matches("NOT tags.missing = 'x'", device)).isFalse();
            assertThat(matches("tags.missing = 'x' OR tags.role = 'edge'", device)).isTrue();
        }
    }

    @Test
    void givesTheValueOfAFieldOrNullWhenMissing() {
        assertThat(QueryEvaluator.value(new Field(List.of("tags", "object", "a"), 0), DEVICE)).isEqualTo(json("1"));
        assertThat(QueryEvaluator.value(new Field(List.of("tags", "nothing"), 0), DEVICE).isNull()).isTrue();
        assertThat(QueryEvaluator.value(new Field(List.of("tags", "nope"), 0), DEVICE)).isNull();
    }
}
