package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON literals for the model tests. */
final class TestJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private TestJson() {
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad test JSON: " + text, e);
        }
    }

    static ObjectNode object(String text) {
        return (ObjectNode) json(text);
    }

    /** The node as JSON text would give it back, so that 1 (int) and 1L (long) compare equal. */
    static JsonNode normalized(JsonNode node) {
        return json(node.toString());
    }
}
