package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/**
 * The AWS Device Shadow view of a twin: {@code state} (desired, reported, delta), {@code metadata} with epoch
 * seconds per leaf, {@code version} (the twin's), {@code timestamp} and the caller's {@code clientToken}.
 */
public final class ShadowDocument {

    private ShadowDocument() {
    }

    public static ObjectNode render(TwinState twin, String clientToken, Instant now) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        ObjectNode state = doc.putObject("state");
        ObjectNode metadata = doc.putObject("metadata");
        if (!twin.desired().values().isEmpty()) {
            state.set("desired", twin.desired().values().deepCopy());
            metadata.set("desired", leafTimes(twin.desired().values(), twin.desired().metadata()));
        }
        if (!twin.reported().values().isEmpty()) {
            state.set("reported", twin.reported().values().deepCopy());
            metadata.set("reported", leafTimes(twin.reported().values(), twin.reported().metadata()));
        }
        ObjectNode delta = Delta.of(twin.desired().values(), twin.reported().values());
        if (!delta.isEmpty()) {
            state.set("delta", delta);
        }
        doc.put("version", twin.version());
        doc.put("timestamp", now.getEpochSecond());
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    private static ObjectNode leafTimes(ObjectNode values, JsonNode meta) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode childMeta = meta == null ? null : meta.get(field.getKey());
            if (field.getValue().isObject()) {
                out.set(field.getKey(), leafTimes((ObjectNode) field.getValue(), childMeta));
            } else {
                JsonNode at = childMeta == null ? null : childMeta.get(TwinSection.LAST_UPDATED);
                ObjectNode leaf = out.putObject(field.getKey());
                leaf.put("timestamp", at == null ? 0 : Timestamps.parse(at.asText()).getEpochSecond());
            }
        }
        return out;
    }
}
