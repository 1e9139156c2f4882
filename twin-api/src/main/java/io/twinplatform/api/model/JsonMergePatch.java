package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * JSON merge patch (RFC 7396): {@code null} removes a key, objects merge recursively, anything else (arrays
 * included) replaces the target whole. Inputs are never modified; results are fresh trees.
 */
public final class JsonMergePatch {

    private JsonMergePatch() {
    }

    /** RFC 7396 section 2, MergePatch(target, patch). A {@code null} target is treated as absent. */
    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null ? null : patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject()
                ? ((ObjectNode) target).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isNull()) {
                result.remove(field.getKey());
            } else {
                result.set(field.getKey(), apply(result.get(field.getKey()), field.getValue()));
            }
        }
        return result;
    }

    /** Applies a patch to an object and returns an object (a non-object patch is refused by the validator first). */
    public static ObjectNode applyToObject(ObjectNode target, ObjectNode patch) {
        return (ObjectNode) apply(target, patch);
    }

    /** A whole section as stored: merge-patch semantics onto nothing, so a {@code null} value is no key. */
    public static ObjectNode withoutNulls(ObjectNode section) {
        ObjectNode empty = JsonNodeFactory.instance.objectNode();
        return section == null ? empty : applyToObject(empty, section);
    }

    /** The part of {@code patch} that would change {@code target}: {@code diff(target, apply(target, patch))}. */
    public static ObjectNode effective(ObjectNode target, ObjectNode patch) {
        return diff(target, applyToObject(target, patch));
    }

    /**
     * The smallest merge patch that turns {@code before} into {@code after}: removed keys map to {@code null},
     * changed values are recursed into when both sides are objects, unchanged keys are left out. An empty result
     * means the two are equal. Numbers compare by value ({@code 30} equals {@code 30.0}).
     */
    public static ObjectNode diff(ObjectNode before, ObjectNode after) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        for (Iterator<String> it = before.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!after.has(key)) {
                patch.putNull(key);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = after.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode old = before.get(field.getKey());
            JsonNode now = field.getValue();
            if (old != null && old.isObject() && now.isObject()) {
                ObjectNode sub = diff((ObjectNode) old, (ObjectNode) now);
                if (!sub.isEmpty()) {
                    patch.set(field.getKey(), sub);
                }
            } else if (old == null || !JsonValues.same(old, now)) {
                patch.set(field.getKey(), now.deepCopy());
            }
        }
        return patch;
    }
}
