package io.twinplatform.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * The differences between two twin documents, leaf by leaf, over what people change: tags, desired and reported
 * properties (without {@code $metadata} and {@code $version}), status and connection state. Paths are written as
 * a query names them ({@code properties.desired.fan}); a side where the leaf is missing is left out.
 */
final class TwinDiff {

    private static final String[] SECTIONS = {"tags", "properties.desired", "properties.reported"};
    private static final String[] FIELDS = {"status", "statusReason", "connectionState"};

    private TwinDiff() {
    }

    static void changes(JsonNode before, JsonNode after, ArrayNode into) {
        for (String field : FIELDS) {
            leaf(field, value(before, field), value(after, field), into);
        }
        for (String section : SECTIONS) {
            walk(section, value(before, section), value(after, section), into);
        }
    }

    /** The value at a dotted path; {@code null} when missing or JSON null (a twin holds no nulls). */
    private static JsonNode value(JsonNode document, String path) {
        JsonNode node = document;
        for (String segment : path.split("\\.")) {
            node = node == null || !node.isObject() ? null : node.get(segment);
        }
        return node == null || node.isNull() ? null : node;
    }

    private static void walk(String path, JsonNode before, JsonNode after, ArrayNode into) {
        if (before != null && before.isObject() && after != null && after.isObject()
                || before == null && after != null && after.isObject()
                || after == null && before != null && before.isObject()) {
            Set<String> keys = new TreeSet<>();
            addKeys(before, keys);
            addKeys(after, keys);
            for (String key : keys) {
                if (key.startsWith("$")) {
                    continue;
                }
                walk(path + "." + key, before == null ? null : before.get(key), after == null ? null : after.get(key),
                        into);
            }
            return;
        }
        leaf(path, before, after, into);
    }

    private static void addKeys(JsonNode node, Set<String> keys) {
        if (node != null && node.isObject()) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                keys.add(names.next());
            }
        }
    }

    private static void leaf(String path, JsonNode before, JsonNode after, ArrayNode into) {
        if (before == null ? after == null : before.equals(after)) {
            return;
        }
        ObjectNode change = into.addObject();
        change.put("path", path);
        if (before != null) {
            change.set("from", before);
        }
        if (after != null) {
            change.set("to", after);
        }
    }
}
