package io.twinplatform.api.model;

import static io.twinplatform.api.model.TestJson.json;
import static io.twinplatform.api.model.TestJson.object;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DeltaTest {


    @Test
    void containsDesiredKeysWhoseValueDiffersFromReported() {
        ObjectNode desired = object("{\"t\":30,\"mode\":\"eco\",\"fan\":true}");
        ObjectNode reported = object("{\"t\":60,\"mode\":\"eco\",\"fan\":false}");

        ObjectNode delta = Delta.of(desired, reported);

        assertThat(delta).isEqualTo(json("{\"t\":30,\"fan\":true}"));
    }

    @Test
    void containsDesiredKeysMissingFromReported() {
        ObjectNode delta = Delta.of(object("{\"t\":30,\"mode\":\"eco\"}"), object("{\"t\":30}"));

        assertThat(delta).isEqualTo(json("{\"mode\":\"eco\"}"));
    }

    @Test
    void nestsDifferencesAsInDesired() {
        ObjectNode desired = object("{\"light\":{\"color\":\"red\",\"level\":{\"min\":1,\"max\":9}},\"t\":30}");
        ObjectNode reported = object("{\"light\":{\"color\":\"blue\",\"level\":{\"min\":1,\"max\":5}},\"t\":30}");

        ObjectNode delta = Delta.of(desired, reported);

        assertThat(delta).isEqualTo(json("{\"light\":{\"color\":\"red\",\"level\":{\"max\":9}}}"));
    }

    @Test
    void leavesOutNestedObjectsThatMatch() {
        ObjectNode desired = object("{\"light\":{\"color\":\"red\"},\"t\":30}");
        ObjectNode reported = object("{\"light\":{\"color\":\"red\",\"extra\":1},\"t\":20}");

        ObjectNode delta = Delta.of(desired, reported);

        assertThat(delta).isEqualTo(json("{\"t\":30}"));
    }

    @Test
    void comparesArraysWholeSoOrderMatters() {
        ObjectNode delta = Delta.of(object("{\"list\":[1,2]}"), object("{\"list\":[2,1]}"));

        assertThat(delta).isEqualTo(json("{\"list\":[1,2]}"));
    }

    @Test
    void reportsTheWholeDesiredArrayWhenOneElementDiffers() {
        ObjectNode delta = Delta.of(object("{\"list\":[{\"a\":1},{\"b\":2}]}"), object("{\"list\":[{\"a\":1},{\"b\":3}]}"));

        assertThat(delta).isEqualTo(json("{\"list\":[{\"a\":1},{\"b\":2}]}"));
    }

    @Test
    void isEmptyForEqualArrays() {
        ObjectNode delta = Delta.of(object("{\"list\":[1,\"x\",{\"a\":[true]}]}"),
                object("{\"list\":[1,\"x\",{\"a\":[true]}]}"));

        assertThat(delta.isEmpty()).isTrue();
    }

    @Test
    void leavesOutKeysThatAreOnlyInReported() {
        ObjectNode delta = Delta.of(object("{\"t\":30}"), object("{\"t\":30,\"battery\":80,\"nested\":{\"x\":1}}"));

        assertThat(delta.isEmpty()).isTrue();
    }

    @Test
    void isEmptyWhenDesiredIsEmpty() {
        ObjectNode delta = Delta.of(object("{}"), object("{\"t\":30,\"nested\":{\"x\":1}}"));

        assertThat(delta.isEmpty()).isTrue();
    }

    @Test
    void isTheWholeDesiredWhenReportedIsEmpty() {
        ObjectNode delta = Delta.of(object("{\"t\":30,\"light\":{\"on\":true}}"), object("{}"));

        assertThat(delta).isEqualTo(json("{\"t\":30,\"light\":{\"on\":true}}"));
    }

    @Test
    void considersNumbersEqualByValue() {
        ObjectNode delta = Delta.of(object("{\"t\":30,\"x\":{\"y\":2.50},\"list\":[1,2]}"),
                object("{\"t\":30.0,\"x\":{\"y\":2.5},\"list\":[1.0,2.00]}"));

        assertThat(delta.isEmpty()).isTrue();
    }

    @Test
    void considersAStringAndANumberDifferent() {
        ObjectNode delta = Delta.of(object("{\"t\":30}"), object("{\"t\":\"30\"}"));

        assertThat(delta).isEqualTo(json("{\"t\":30}"));
    }

    @Test
    void containsTheWholeDesiredObjectWhenReportedHasAScalar() {
        ObjectNode delta = Delta.of(object("{\"light\":{\"on\":true,\"level\":{\"max\":9}}}"),
                object("{\"light\":\"off\"}"));

        assertThat(delta).isEqualTo(json("{\"light\":{\"on\":true,\"level\":{\"max\":9}}}"));
    }

    @Test
    void containsTheDesiredScalarWhenReportedHasAnObject() {
        ObjectNode delta = Delta.of(object("{\"light\":\"off\"}"), object("{\"light\":{\"on\":true}}"));

        assertThat(delta).isEqualTo(json("{\"light\":\"off\"}"));
    }

    @Test
    void doesNotShareNodesWithDesired() {
        ObjectNode desired = object("{\"light\":{\"level\":{\"max\":9}},\"list\":[1]}");

        ObjectNode delta = Delta.of(desired, object("{}"));
        ((ObjectNode) delta.get("light").get("level")).put("max", 1);

        assertThat(desired).isEqualTo(json("{\"light\":{\"level\":{\"max\":9}},\"list\":[1]}"));
    }
}
