package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Parses request bodies into JSON trees for any channel (HTTP, MQTT). Duplicate keys are refused (which one would
 * win is not defined by JSON); integers too large for a long keep their exact value, so a range check sees what the client sent.
 * A syntax error names its byte offset in {@link TwinError#path()} as {@code @<offset>}. Every body keeps
 * {@link TextRule}: bytes that are not UTF-8 are refused before parsing (never replaced), and every key and string
 * holding U+0000 or an unpaired surrogate (which JSON escapes can spell) is refused at its path.
 */
public final class JsonBodies {

    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonBodies() {
    }

    /** Any JSON value; an empty body is refused. */
    public static JsonNode parse(byte[] body) {
        return parse(body, "$");
    }

    /**
     * Any JSON value, whose text-rule faults are named below {@code root}: a body that is itself a section (a
     * reported patch) names its faults where the other checks of that section do ({@code $.properties.reported}).
     */
    public static JsonNode parse(byte[] body, String root) {
        if (body == null || body.length == 0) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "emptyBody", "$", "the request body is empty"));
        }
        TextRule.checkUtf8(body);
        try {
            JsonNode node = READER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "emptyBody", "$", "the request body is empty"));
            }
            TextRule.check(node, root);
            return node;
        } catch (JsonProcessingException e) {
            // The body is parsed as bytes, so the parser knows the byte offset (the char offset stays -1).
            long offset = e.getLocation() == null ? -1
                    : e.getLocation().getByteOffset() >= 0 ? e.getLocation().getByteOffset()
                    : e.getLocation().getCharOffset();
            String message = e.getOriginalMessage();
            throw new TwinException(new TwinError(ErrorKind.MALFORMED, "malformedJson",
                    "malformed JSON at offset " + offset + ": " + message, "@" + offset));
        } catch (IOException e) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "malformedJson", "$", "unreadable body"));
        }
    }

    /** The longest {@code clientToken} a device or client may send (AWS shadows' limit). */
    public static final int MAX_CLIENT_TOKEN_BYTES = 64;

    /**
     * The optional top-level {@code clientToken} of a body (AWS shadow and MQTT device messages): null when absent
     * or JSON null, else a string of at most {@value #MAX_CLIENT_TOKEN_BYTES} bytes, or a {@link ErrorKind#MALFORMED}
     * error at {@code $.clientToken}.
     */
    public static String clientToken(ObjectNode body) {
        JsonNode token = body.get("clientToken");
        if (token == null || token.isNull()) {
            return null;
        }
        if (!token.isTextual() || token.asText().isEmpty()
                || token.asText().getBytes(StandardCharsets.UTF_8).length > MAX_CLIENT_TOKEN_BYTES) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidClientToken", "$.clientToken",
                    "clientToken must be a string of 1 to " + MAX_CLIENT_TOKEN_BYTES + " bytes"));
        }
        return token.asText();
    }

    /** A JSON object body. */
    public static ObjectNode parseObject(byte[] body) {
        return object(parse(body), "$");
    }

    /** A JSON object body that is the section at {@code root}; see {@link #parse(byte[], String)}. */
    public static ObjectNode parseObject(byte[] body, String root) {
        return object(parse(body, root), "$");
    }

    /**
     * {@code node} as an object; Java {@code null} (absent) stays {@code null}; anything else is a
     * {@link ErrorKind#MALFORMED} error at {@code path}.
     */
    public static ObjectNode object(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "notAnObject", path,
                    "expected a JSON object at " + path + " but found " + node.getNodeType().name().toLowerCase()));
        }
        return (ObjectNode) node;
    }

}
