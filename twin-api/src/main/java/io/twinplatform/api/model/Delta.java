package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * AWS Device Shadow's delta: the desired keys whose values differ from reported, nested as in desired. Arrays
 * are compared whole; keys only in reported are left out; an empty desired gives an empty delta.
 */
public final class Delta {

    private Delta() {
    }

    public static ObjectNode of(ObjectNode desired, ObjectNode reported) {
        ObjectNode delta = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode want = field.getValue();
            JsonNode have = reported.get(field.getKey());
            if (want.isObject() && have != null && have.isObject()) {
                ObjectNode sub = of((ObjectNode) want, (ObjectNode) have);
                if (!sub.isEmpty()) {
                    delta.set(field.getKey(), sub);
                }
            } else if (have == null || !JsonValues.same(want, have)) {
                delta.set(field.getKey(), want.deepCopy());
            }
        }
        return delta;
    }
}
