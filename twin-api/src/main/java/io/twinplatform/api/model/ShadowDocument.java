package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AWS Device Shadow view of a twin: {@code state} (desired, reported, delta), {@code metadata} with epoch
 * seconds per leaf, {@code version} (the twin's), {@code timestamp} and the caller's {@code clientToken}; and the
 * other documents of AWS's shadow protocol, which HTTP and MQTT share: an update's answer, a delete's answer, the
 * delta and documents notifications, and the error document.
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

    /**
     * One side of AWS's {@code update/documents}: {@code state} with the desired and reported sections (each only
     * when it holds a key), {@code metadata} with epoch seconds per leaf, and {@code version}.
     */
    public static ObjectNode snapshot(TwinState twin) {
        ObjectNode doc = render(twin, null, Instant.EPOCH);
        ((ObjectNode) doc.get("state")).remove("delta");
        doc.remove("timestamp");
        return doc;
    }

    /**
     * AWS's {@code update/accepted}: the sections as the request sent them ({@code null} for a section it cleared),
     * {@code metadata} stamping each leaf it named with {@code at}, the twin's {@code version} after the update, and
     * the request's {@code clientToken}.
     */
    public static ObjectNode accepted(JsonNode desired, JsonNode reported, long version, String clientToken,
                                      Instant at) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        ObjectNode state = doc.putObject("state");
        ObjectNode metadata = doc.putObject("metadata");
        long seconds = at.getEpochSecond();
        if (desired != null) {
            state.set("desired", desired.deepCopy());
            metadata.set("desired", stamps(desired, seconds));
        }
        if (reported != null) {
            state.set("reported", reported.deepCopy());
            metadata.set("reported", stamps(reported, seconds));
        }
        doc.put("version", version);
        doc.put("timestamp", seconds);
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    /** AWS's {@code delete/accepted}: the {@code version} the shadow had when deleted, and the request's token. */
    public static ObjectNode deleted(long version, String clientToken, Instant at) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("version", version);
        doc.put("timestamp", at.getEpochSecond());
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    /**
     * AWS's {@code update/delta}: the whole delta as {@code state}, the desired metadata of its leaves, the twin's
     * {@code version}; null when desired and reported agree (nothing to send).
     */
    public static ObjectNode delta(TwinState twin, String clientToken, Instant at) {
        ObjectNode delta = Delta.of(twin.desired().values(), twin.reported().values());
        if (delta.isEmpty()) {
            return null;
        }
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.set("state", delta);
        doc.set("metadata", leafTimes(delta, twin.desired().metadata()));
        doc.put("version", twin.version());
        doc.put("timestamp", at.getEpochSecond());
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    /**
     * AWS's {@code update/documents}: the shadow before and after a change, each a {@link #snapshot}. Without a
     * {@code previous} (the shadow was just created) only {@code current} is sent.
     */
    public static ObjectNode documents(ObjectNode previous, ObjectNode current, String clientToken, Instant at) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        if (previous != null) {
            doc.set("previous", previous);
        }
        doc.set("current", current);
        doc.put("timestamp", at.getEpochSecond());
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    private static final Pattern DEPTH = Pattern.compile("deeper than (\\d+) levels");

    /**
     * AWS's error document, {@code {"code", "message", "timestamp", "clientToken"}}, for a refusal: {@code code} is
     * AWS's HTTP status and {@code message} AWS's sentence for it ("Invalid JSON", "Missing required node: state",
     * "Version conflict", "No shadow exists with name: 'name'", …). Refusals AWS has no word for keep their status
     * class: a value the twin cannot hold (422 here) is AWS's 400 "State contains an invalid node", and a fault of
     * the platform (500, 503) AWS's 500 "Internal service failure".
     *
     * @param shadowName the thing's name for its classic shadow, else the named shadow's name (for a 404)
     */
    public static ObjectNode error(TwinError error, String shadowName, String clientToken, Instant at) {
        int code;
        String message;
        String path = error.path() == null ? "" : error.path();
        switch (error.kind()) {
            case MALFORMED -> {
                code = 400;
                message = switch (error.code()) {
                    case "malformedJson", "emptyBody", TextRule.INVALID_TEXT -> "Invalid JSON";
                    case "missingState" -> "Missing required node: state";
                    case "notAnObject" -> switch (path) {
                        case "$.state" -> "State node must be an object";
                        case "$.state.desired" -> "Desired node must be an object";
                        case "$.state.reported" -> "Reported node must be an object";
                        default -> "Invalid JSON";
                    };
                    case "invalidVersion" -> "Invalid version";
                    case "invalidClientToken" -> "Invalid clientToken";
                    case "tooDeep" -> {
                        Matcher depth = DEPTH.matcher(error.detail());
                        yield "JSON contains too many levels of nesting"
                                + (depth.find() ? "; maximum is " + depth.group(1) : "");
                    }
                    case TextRule.INVALID_UTF8 -> {
                        code = 415;
                        yield "Unsupported documented encoding; supported encoding is UTF-8";
                    }
                    default -> "State contains an invalid node";
                };
            }
            case UNPROCESSABLE -> {
                code = 400;
                message = "State contains an invalid node";
            }
            case UNAUTHORIZED -> {
                code = 401;
                message = "Unauthorized";
            }
            case FORBIDDEN -> {
                code = 403;
                message = "Forbidden";
            }
            case NOT_FOUND -> {
                code = 404;
                message = "No shadow exists with name: '" + shadowName + "'";
            }
            case CONFLICT, PRECONDITION_FAILED -> {
                code = 409;
                message = "Version conflict";
            }
            case TOO_LARGE -> {
                code = 413;
                message = "The payload exceeds the maximum size allowed";
            }
            case UNSUPPORTED_MEDIA_TYPE -> {
                code = 415;
                message = "Unsupported documented encoding; supported encoding is UTF-8";
            }
            case TOO_MANY_REQUESTS -> {
                code = 429;
                message = "Too many requests";
            }
            default -> {
                code = 500;
                message = "Internal service failure";
            }
        }
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("code", code);
        doc.put("message", message);
        doc.put("timestamp", at.getEpochSecond());
        if (clientToken != null) {
            doc.put("clientToken", clientToken);
        }
        return doc;
    }

    /** Metadata for every leaf of a request's section: {@code {"timestamp": seconds}}, nested as the section. */
    private static JsonNode stamps(JsonNode section, long seconds) {
        if (section.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            section.fields().forEachRemaining(field -> out.set(field.getKey(), stamps(field.getValue(), seconds)));
            return out;
        }
        ObjectNode leaf = JsonNodeFactory.instance.objectNode();
        leaf.put("timestamp", seconds);
        return leaf;
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
