package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.twin.TwinId;

/**
 * The rule for a scoped caller's write to one twin: the twin must lie inside the scope before the write (when it
 * exists) and after it. "After" is the twin as the write would leave it, judged from the request body: a scoped
 * caller cannot move a twin out of its scope, nor create one outside it. The write side and the HTTP edge use
 * this one rule.
 */
public final class ScopedWrites {

    /** What a write does to the twin document. */
    public enum Kind {
        /** {@code PUT /twins/{id}}: tags and desired properties replaced. */
        REPLACE,
        /** {@code PATCH /twins/{id}}: tags and desired properties merged. */
        PATCH,
        /** {@code PATCH …/properties/reported}: reported properties merged. */
        REPORTED,
        /** {@code PUT …/status}. */
        STATUS,
        /** {@code POST …/shadow}: AWS's {@code state.desired} and {@code state.reported} merged. */
        SHADOW,
        /** Anything that leaves the document's fields as they are (delete, a device key). */
        UNCHANGED
    }

    private ScopedWrites() {
    }

    /**
     * Why a scoped caller may not make this write, or {@code null} when it may. {@code current} is the twin
     * document now ({@code null} when there is none); {@code body} the request body ({@code null} when it has none
     * or is not JSON, which the endpoint then refuses itself).
     */
    public static TwinError refusal(Scope scope, TwinId id, JsonNode current, Kind kind, JsonNode body) {
        if (scope == null) {
            return null;
        }
        if (current != null && !scope.admits(current)) {
            return TwinError.of(ErrorKind.FORBIDDEN, Scope.OUTSIDE_SCOPE, "twin " + id + " is outside your scope ("
                    + scope.text() + ")");
        }
        if (kind == Kind.UNCHANGED || (current == null && kind != Kind.REPLACE && kind != Kind.PATCH)) {
            // Nothing to judge: the write either leaves the fields alone or finds no twin (the endpoint says 404).
            return null;
        }
        JsonNode after = after(id, current, kind, body);
        if (after != null && !scope.admits(after)) {
            return TwinError.of(ErrorKind.FORBIDDEN, Scope.OUTSIDE_SCOPE, "this write would leave twin " + id
                    + " outside your scope (" + scope.text() + ")");
        }
        return null;
    }

    /** The twin document as the write would leave it, or {@code null} when the body cannot say. */
    static JsonNode after(TwinId id, JsonNode current, Kind kind, JsonNode body) {
        if (body == null || !body.isObject()) {
            return null;
        }
        ObjectNode base;
        if (current != null && current.isObject()) {
            base = ((ObjectNode) current).deepCopy();
        } else {
            base = JsonNodeFactory.instance.objectNode();
            base.put("deviceId", id.deviceId());
            if (id.isModule()) {
                base.put("moduleId", id.moduleId());
            }
            base.put("status", "enabled");
        }
        ObjectNode properties = base.has("properties") && base.get("properties").isObject()
                ? (ObjectNode) base.get("properties") : base.putObject("properties");
        switch (kind) {
            case REPLACE -> {
                base.set("tags", JsonMergePatch.withoutNulls(section(body.get("tags"))));
                properties.set("desired", JsonMergePatch.withoutNulls(section(body.path("properties").get("desired"))));
            }
            case PATCH -> {
                merge(base, "tags", body.get("tags"));
                merge(properties, "desired", body.path("properties").get("desired"));
            }
            case REPORTED -> merge(properties, "reported", body);
            case STATUS -> {
                if (body.has("status")) {
                    base.set("status", body.get("status"));
                }
            }
            case SHADOW -> {
                JsonNode state = body.path("state");
                if (state.isNull()) {
                    // AWS's "state": null deletes the shadow's desired and reported sections
                    properties.remove("desired");
                    properties.remove("reported");
                }
                merge(properties, "desired", state.get("desired"));
                merge(properties, "reported", state.get("reported"));
            }
            default -> {
            }
        }
        return base;
    }

    private static ObjectNode section(JsonNode node) {
        return node instanceof ObjectNode object ? object : null;
    }

    private static void merge(ObjectNode parent, String name, JsonNode patch) {
        if (patch != null && patch.isObject()) {
            parent.set(name, JsonMergePatch.apply(parent.get(name), patch));
        } else if (patch != null && patch.isNull()) {
            parent.remove(name);
        }
    }
}
