package io.twinplatform.api.model;

import static io.twinplatform.api.model.TestJson.json;
import static io.twinplatform.api.model.TestJson.object;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class JsonMergePatchTest {


    @Nested
    class Apply {

        /** RFC 7396, Appendix A "Example Test Cases", all 15 rows: ORIGINAL | PATCH | RESULT. */
        @ParameterizedTest(name = "[{index}] {0} + {1} -> {2}")
        @CsvSource(delimiter = '|', textBlock = """
                {"a":"b"}             | {"a":"c"}                   | {"a":"c"}
                {"a":"b"}             | {"b":"c"}                   | {"a":"b","b":"c"}
                {"a":"b"}             | {"a":null}                  | {}
                {"a":"b","b":"c"}     | {"a":null}                  | {"b":"c"}
                {"a":["b"]}           | {"a":"c"}                   | {"a":"c"}
                {"a":"c"}             | {"a":["b"]}                 | {"a":["b"]}
                {"a":{"b":"c"}}       | {"a":{"b":"d","c":null}}    | {"a":{"b":"d"}}
                {"a":[{"b":"c"}]}     | {"a":[1]}                   | {"a":[1]}
                ["a","b"]             | ["c","d"]                   | ["c","d"]
                {"a":"b"}             | ["c"]                       | ["c"]
                {"a":"foo"}           | null                        | null
                {"a":"foo"}           | "bar"                       | "bar"
                {"e":null}            | {"a":1}                     | {"e":null,"a":1}
                [1,2]                 | {"a":"b","c":null}          | {"a":"b"}
                {}                    | {"a":{"bb":{"ccc":null}}}   | {"a":{"bb":{}}}
                """)
        void producesTheResultOfEveryRfc7396ExampleTestCase(String original, String patch, String expected) {
            JsonNode target = json(original);
            JsonNode mergePatch = json(patch);

            JsonNode result = JsonMergePatch.apply(target, mergePatch);

            assertThat(result).isNotNull();
            assertThat(result).isEqualTo(json(expected));
            assertThat(target).as("target left as it was").isEqualTo(json(original));
            assertThat(mergePatch).as("patch left as it was").isEqualTo(json(patch));
        }

        @Test
        void returnsJsonNullWhenThePatchIsJsonNull() {
            JsonNode target = json("{\"a\":\"foo\"}");

            JsonNode result = JsonMergePatch.apply(target, NullNode.getInstance());

            assertThat(result).isNotNull();
            assertThat(result.isNull()).isTrue();
        }

        @Test
        void replacesKeyValueWhenPatchValueIsScalar() {
            JsonNode result = JsonMergePatch.apply(json("{\"t\":20,\"mode\":\"eco\"}"), json("{\"t\":30}"));

            assertThat(result).isEqualTo(json("{\"t\":30,\"mode\":\"eco\"}"));
        }

        @Test
        void removesKeyWhenPatchValueIsNull() {
            JsonNode result = JsonMergePatch.apply(json("{\"t\":20,\"mode\":\"eco\"}"), json("{\"mode\":null}"));

            assertThat(result).isEqualTo(json("{\"t\":20}"));
        }

        @Test
        void ignoresNullForAKeyThatDoesNotExist() {
            JsonNode result = JsonMergePatch.apply(json("{\"t\":20}"), json("{\"missing\":null}"));

            assertThat(result).isEqualTo(json("{\"t\":20}"));
        }

        @Test
        void treatsAnAbsentTargetAsAnEmptyObject() {
            JsonNode result = JsonMergePatch.apply(null, json("{\"a\":{\"b\":1,\"c\":null}}"));

            assertThat(result).isEqualTo(json("{\"a\":{\"b\":1}}"));
        }

        @Test
        void doesNotModifyTargetOrPatch() {
            JsonNode target = json("{\"a\":{\"b\":\"c\",\"keep\":[1,2]},\"gone\":true}");
            JsonNode patch = json("{\"a\":{\"b\":\"d\",\"new\":{\"x\":1}},\"gone\":null}");
            JsonNode targetBefore = target.deepCopy();
            JsonNode patchBefore = patch.deepCopy();

            JsonMergePatch.apply(target, patch);

            assertThat(target).isEqualTo(targetBefore);
            assertThat(patch).isEqualTo(patchBefore);
        }

        @Test
        void returnsAFreshTreeThatSharesNoNodesWithItsInputs() {
            ObjectNode target = (ObjectNode) json("{\"a\":{\"b\":1}}");
            ObjectNode patch = (ObjectNode) json("{\"c\":{\"d\":2}}");

            ObjectNode result = JsonMergePatch.applyToObject(target, patch);
            ((ObjectNode) result.get("a")).put("b", 99);
            ((ObjectNode) result.get("c")).put("d", 99);

            assertThat(target).isEqualTo(json("{\"a\":{\"b\":1}}"));
            assertThat(patch).isEqualTo(json("{\"c\":{\"d\":2}}"));
        }
    }

    @Nested
    class Diff {

        @ParameterizedTest(name = "[{index}] {0} -> {1}")
        @CsvSource(delimiter = '|', textBlock = """
                {"t":20,"mode":"eco"}                  | {"t":30,"mode":"eco"}
                {"t":20}                               | {"t":20,"fan":true}
                {"t":20,"mode":"eco"}                  | {"t":20}
                {"a":{"b":{"c":1,"d":2},"e":3}}        | {"a":{"b":{"c":1},"e":3}}
                {"a":{"b":{"c":1}}}                    | {"a":{}}
                {"a":{"b":1}}                          | {"a":5}
                {"a":5}                                | {"a":{"b":1}}
                {"a":[1,2,3]}                          | {"a":[1,2]}
                {"a":[{"x":1},{"y":2}]}                | {"a":[{"x":1},{"y":3}]}
                {"a":"1"}                              | {"a":1}
                {"a":{"b":1},"c":[1],"d":"x"}          | {}
                {}                                     | {"a":{"b":{"c":[true,false]}}}
                """)
        void producesAPatchThatTurnsBeforeIntoAfter(String beforeJson, String afterJson) {
            ObjectNode before = object(beforeJson);
            ObjectNode after = object(afterJson);

            ObjectNode patch = JsonMergePatch.diff(before, after);

            assertThat(JsonMergePatch.apply(before, patch)).isEqualTo(after);
        }

        @Test
        void mapsRemovedKeysToNull() {
            ObjectNode patch = JsonMergePatch.diff(object("{\"t\":20,\"mode\":\"eco\"}"), object("{\"t\":20}"));

            assertThat(patch).isEqualTo(json("{\"mode\":null}"));
        }

        @Test
        void recursesIntoObjectsAndLeavesUnchangedKeysOut() {
            ObjectNode patch = JsonMergePatch.diff(
                    object("{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3},\"f\":4}"),
                    object("{\"a\":{\"b\":{\"c\":1},\"e\":3},\"f\":4}"));

            assertThat(patch).isEqualTo(json("{\"a\":{\"b\":{\"d\":null}}}"));
        }

        @Test
        void replacesAnObjectWithAScalarWhole() {
            ObjectNode patch = JsonMergePatch.diff(object("{\"a\":{\"b\":1}}"), object("{\"a\":\"off\"}"));

            assertThat(patch).isEqualTo(json("{\"a\":\"off\"}"));
        }

        @Test
        void replacesAChangedArrayWhole() {
            ObjectNode patch = JsonMergePatch.diff(object("{\"a\":[1,2,3]}"), object("{\"a\":[1,2,4]}"));

            assertThat(patch).isEqualTo(json("{\"a\":[1,2,4]}"));
        }

        @Test
        void treatsArraysInAnotherOrderAsChanged() {
            ObjectNode patch = JsonMergePatch.diff(object("{\"a\":[1,2]}"), object("{\"a\":[2,1]}"));

            assertThat(patch).isEqualTo(json("{\"a\":[2,1]}"));
        }

        @Test
        void considersNumbersEqualByValue() {
            ObjectNode patch = JsonMergePatch.diff(
                    object("{\"t\":30,\"n\":{\"x\":1.50},\"list\":[1,2.0]}"),
                    object("{\"t\":30.0,\"n\":{\"x\":1.5},\"list\":[1.0,2]}"));

            assertThat(patch.isEmpty()).isTrue();
        }

        @Test
        void considersAStringAndANumberDifferent() {
            ObjectNode patch = JsonMergePatch.diff(object("{\"t\":\"30\"}"), object("{\"t\":30}"));

            assertThat(patch).isEqualTo(json("{\"t\":30}"));
        }

        @Test
        void isEmptyForEqualDocuments() {
            String doc = "{\"a\":{\"b\":[1,{\"c\":true}],\"d\":null},\"e\":\"x\"}";

            ObjectNode patch = JsonMergePatch.diff(object(doc), object(doc));

            assertThat(patch.isEmpty()).isTrue();
        }

        @Test
        void doesNotModifyItsInputs() {
            ObjectNode before = object("{\"a\":{\"b\":1},\"c\":2}");
            ObjectNode after = object("{\"a\":{\"b\":2},\"d\":3}");

            ObjectNode patch = JsonMergePatch.diff(before, after);
            ((ObjectNode) patch.get("a")).put("b", 99);

            assertThat(before).isEqualTo(json("{\"a\":{\"b\":1},\"c\":2}"));
            assertThat(after).isEqualTo(json("{\"a\":{\"b\":2},\"d\":3}"));
        }
    }

    @Nested
    class Helpers {

        @Test
        void effectiveKeepsOnlyWhatAPatchChanges() {
            ObjectNode patch = JsonMergePatch.effective(object("{\"a\":1,\"b\":{\"c\":2}}"),
                    object("{\"a\":1,\"b\":{\"c\":3},\"gone\":null,\"new\":true}"));

            assertThat(patch).isEqualTo(json("{\"b\":{\"c\":3},\"new\":true}"));
        }

        @Test
        void withoutNullsDropsNullMembersAndTurnsAbsentIntoEmpty() {
            assertThat(JsonMergePatch.withoutNulls(object("{\"a\":null,\"b\":{\"c\":null,\"d\":1}}")))
                    .isEqualTo(json("{\"b\":{\"d\":1}}"));
            assertThat(JsonMergePatch.withoutNulls(null)).isEqualTo(json("{}"));
        }
    }
}
