package io.twinplatform.api.model;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/**
 * Desired or reported properties: their values, the {@code $metadata} tree that mirrors them ({@code $lastUpdated}
 * on every object and leaf, and {@code $lastUpdatedVersion} in desired), and the section's {@code $version}.
 * Mutable, owned by one {@link TwinState}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TwinSection {

    static final String METADATA = "$metadata";
    static final String VERSION = "$version";
    static final String LAST_UPDATED = "$lastUpdated";
    static final String LAST_UPDATED_VERSION = "$lastUpdatedVersion";

    private final boolean versioned;
    private ObjectNode values;
    private ObjectNode metadata;
    private long version;

    @JsonCreator
    TwinSection(@JsonProperty("versioned") boolean versioned,
                @JsonProperty("values") ObjectNode values,
                @JsonProperty("metadata") ObjectNode metadata,
                @JsonProperty("version") long version) {
        this.versioned = versioned;
        this.values = values;
        this.metadata = metadata;
        this.version = version;
    }

    /** An empty section at {@code $version} 1; {@code versioned} adds {@code $lastUpdatedVersion} to metadata. */
    static TwinSection empty(boolean versioned, Instant at) {
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.put(LAST_UPDATED, Timestamps.format(at));
        if (versioned) {
            metadata.put(LAST_UPDATED_VERSION, 1L);
        }
        return new TwinSection(versioned, JsonNodeFactory.instance.objectNode(), metadata, 1);
    }

    public ObjectNode values() {
        return values;
    }

    public ObjectNode metadata() {
        return metadata;
    }

    public long version() {
        return version;
    }

    /** The effective patch that {@code patch} would make, without changing anything. Empty: no change. */
    public ObjectNode effectivePatch(ObjectNode patch) {
        return JsonMergePatch.effective(values, patch);
    }

    /** The effective patch that replacing the values whole with {@code replacement} would make. */
    public ObjectNode effectiveReplacement(ObjectNode replacement) {
        return JsonMergePatch.diff(values, JsonMergePatch.withoutNulls(replacement));
    }

    /** The values {@code patch} would lead to, for size checks before deciding. */
    public ObjectNode preview(ObjectNode patch) {
        return JsonMergePatch.applyToObject(values, patch);
    }

    /** Applies an effective patch at {@code at}, moving to {@code newVersion} and updating metadata. */
    void apply(ObjectNode effectivePatch, long newVersion, Instant at) {
        values = JsonMergePatch.applyToObject(values, effectivePatch);
        version = newVersion;
        touch(metadata, effectivePatch, values, Timestamps.format(at));
    }

    private void touch(ObjectNode meta, ObjectNode patch, ObjectNode after, String at) {
        stamp(meta, at);
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode now = after.get(key);
            if (now == null) {
                meta.remove(key);
            } else if (field.getValue().isObject() && now.isObject()) {
                JsonNode existing = meta.get(key);
                ObjectNode child = existing != null && existing.isObject()
                        ? (ObjectNode) existing : meta.putObject(key);
                touch(child, (ObjectNode) field.getValue(), (ObjectNode) now, at);
            } else {
                stamp(meta.putObject(key), at);
            }
        }
    }

    private void stamp(ObjectNode meta, String at) {
        meta.put(LAST_UPDATED, at);
        if (versioned) {
            meta.put(LAST_UPDATED_VERSION, version);
        }
    }

    /** The section as a twin document shows it: values, then {@code $metadata} and {@code $version}. */
    ObjectNode render() {
        return render(true);
    }

    /** With {@code copy} false the result shares this section's nodes: only for writing it out at once. */
    ObjectNode render(boolean copy) {
        ObjectNode out;
        if (copy) {
            out = values.deepCopy();
        } else {
            out = JsonNodeFactory.instance.objectNode();
            out.setAll(values);
        }
        out.set(METADATA, copy ? metadata.deepCopy() : metadata);
        out.put(VERSION, version);
        return out;
    }

    static TwinSection parse(ObjectNode rendered, boolean versioned) {
        ObjectNode values = rendered.deepCopy();
        JsonNode metadata = values.remove(METADATA);
        JsonNode version = values.remove(VERSION);
        return new TwinSection(versioned, values,
                metadata instanceof ObjectNode m ? m : JsonNodeFactory.instance.objectNode(),
                version == null ? 1 : version.asLong());
    }
}
