package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonPath;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a configuration sets on the twins it targets, in Azure's automatic device management shape: an object whose
 * keys are paths under {@code properties.desired} ({@code "properties.desired.telemetryConfig"}) and whose values are
 * the JSON to put there. A configuration sets desired properties only, never tags or reported properties.
 */
public final class ConfigurationContent {

    static final String PREFIX = "properties.desired.";
    private static final Pattern SEGMENT = Pattern.compile("[^.$\\s\\p{Cntrl}]+");

    private ConfigurationContent() {
    }

    /**
     * The desired values {@code content} sets, as one object rooted at {@code properties.desired}. Refused (422, at
     * {@code jsonPath} and the key): a key not under {@code properties.desired.}, an empty or invalid segment, a
     * {@code null} value, or two keys of which one lies inside the other.
     */
    public static ObjectNode desired(ObjectNode content, String jsonPath) {
        ObjectNode desired = JsonNodeFactory.instance.objectNode();
        if (content == null) {
            return desired;
        }
        List<String> keys = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = content.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            String at = JsonPath.child(jsonPath, key);
            if (!key.startsWith(PREFIX)) {
                throw refused("notDesiredPath", at, "a configuration sets desired properties only: each key is a"
                        + " path such as properties.desired.telemetryConfig, not '" + key + "'");
            }
            String[] segments = segments(key);
            for (String segment : segments) {
                if (!SEGMENT.matcher(segment).matches()) {
                    throw refused("invalidContentPath", at, "'" + key + "' has an empty segment or one with '$',"
                            + " white space or a control character");
                }
            }
            if (entry.getValue().isNull()) {
                throw refused("nullContent", at, "a configuration cannot set null; leave the path out instead");
            }
            for (String other : keys) {
                if (key.startsWith(other + ".") || other.startsWith(key + ".")) {
                    throw overlapping(key, at);
                }
            }
            keys.add(key);
            put(desired, segments, entry.getValue());
        }
        return desired;
    }

    /** Sets {@code value} (a copy) at the path of {@code segments} in {@code root}, replacing what was there whole. */
    static void put(ObjectNode root, String[] segments, JsonNode value) {
        ObjectNode node = root;
        for (int i = 0; i < segments.length - 1; i++) {
            JsonNode child = node.get(segments[i]);
            node = child instanceof ObjectNode object ? object : node.putObject(segments[i]);
        }
        node.set(segments[segments.length - 1], value.deepCopy());
    }

    /** The segments under {@code properties.desired} of a content key. */
    static String[] segments(String key) {
        return key.substring(PREFIX.length()).split("\\.", -1);
    }

    private static TwinException overlapping(String key, String at) {
        return refused("overlappingContentPaths", at, "'" + key + "' lies inside or around another key of the same"
                + " content; set the value once, at one path");
    }

    private static TwinException refused(String code, String at, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, at, detail));
    }
}
