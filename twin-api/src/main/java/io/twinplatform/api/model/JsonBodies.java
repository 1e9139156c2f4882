package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses request bodies into JSON trees for any channel (HTTP, MQTT). Duplicate keys are refused (which one would
 * win is not defined by JSON); integers too large for a long keep their exact value, so a range check sees what the client sent.
 * A syntax error names its byte offset in {@link TwinError#path()} as {@code @<offset>}, and says what is wrong in
 * the platform's own words, never the parser's. Every body keeps {@link TextRule}: bytes that are not UTF-8 are
 * refused before parsing (never replaced), and every key and string holding U+0000 or an unpaired surrogate (which
 * JSON escapes can spell) is refused at its path.
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
        JsonNode node = parseSyntax(body);
        TextRule.check(node, root);
        return node;
    }

    /**
     * Any JSON value, with every check of {@link #parse(byte[])} but the {@link TextRule} check of its keys and
     * strings, for a body whose parts are refused one by one: a batch, where a NUL in one item refuses that item
     * alone. The caller checks each part with {@link TextRule#check} before using it. Bytes that are not UTF-8 are
     * still refused here: they cannot be placed in one part.
     */
    public static JsonNode parseSyntax(byte[] body) {
        if (body == null || body.length == 0) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "emptyBody", "$", "the request body is empty"));
        }
        TextRule.checkUtf8(body);
        try {
            JsonNode node = READER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "emptyBody", "$", "the request body is empty"));
            }
            return node;
        } catch (JsonProcessingException e) {
            // The body is parsed as bytes, so the parser knows the byte offset (the char offset stays -1).
            long offset = e.getLocation() == null ? -1
                    : e.getLocation().getByteOffset() >= 0 ? e.getLocation().getByteOffset()
                    : e.getLocation().getCharOffset();
            throw new TwinException(new TwinError(ErrorKind.MALFORMED, "malformedJson",
                    "malformed JSON at offset " + offset + ": " + fault(e, body, offset), "@" + offset));
        } catch (IOException e) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "malformedJson", "$", "unreadable body"));
        }
    }

    /**
     * What is wrong, in the platform's words: the parser's own message names its classes and switches
     * ({@code JsonReadFeature}, {@code StreamReadConstraints}), which mean nothing to a client. The parser's kind of
     * failure and the text of its message pick one of a few sentences; anything not recognised is "not valid JSON".
     */
    private static String fault(JsonProcessingException e, byte[] body, long offset) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (e instanceof StreamConstraintsException) {
            StreamReadConstraints limits = READER.getFactory().streamReadConstraints();
            if (message.contains("depth")) {
                return "nested deeper than " + limits.getMaxNestingDepth() + " levels";
            }
            if (message.startsWith("Number")) {
                return "a number longer than " + limits.getMaxNumberLength() + " characters";
            }
            if (message.startsWith("Name")) {
                return "a member name longer than " + limits.getMaxNameLength() + " characters";
            }
            if (message.startsWith("String")) {
                return "a string longer than " + limits.getMaxStringLength() + " characters";
            }
            return "a value beyond the size the platform reads";
        }
        if (e instanceof JsonEOFException || offset >= body.length) {
            return "the body ends before the JSON value does";
        }
        if (message.startsWith("Trailing token")) {
            return "more follows the JSON value; a body holds one value";
        }
        Matcher duplicate = DUPLICATE.matcher(message);
        if (duplicate.find()) {
            return "member '" + duplicate.group(1) + "' appears twice in one object";
        }
        if (message.contains("UTF-8") || message.contains("UTF8")) {
            return "the body is not valid UTF-8";
        }
        if (message.contains("Non-standard token") || message.contains("NaN") || message.contains("Infinity")) {
            return "NaN and Infinity are not JSON numbers";
        }
        if (message.contains("comment")) {
            return "JSON has no comments";
        }
        if (message.contains("unquoted character") || message.contains("CTRL-CHAR")) {
            return "a control character inside a string must be escaped";
        }
        if (message.contains("escape")) {
            return "an invalid escape sequence in a string";
        }
        if (message.contains("numeric value") || message.contains("number")) {
            return "not a valid JSON number";
        }
        String name = message.contains("double-quote to start field name")
                ? " where a member name in double quotes belongs" : "";
        if (message.startsWith("Unexpected character") && offset >= 0 && offset < body.length
                && body[(int) offset] > 0x20 && body[(int) offset] < 0x7F) {
            return "unexpected character '" + (char) body[(int) offset] + "'" + name;
        }
        return name.isEmpty() ? "not valid JSON" : "a member name in double quotes was expected";
    }

    private static final Pattern DUPLICATE = Pattern.compile("^Duplicate field '(.*)'", Pattern.DOTALL);

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
