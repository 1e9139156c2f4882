package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks a section patch or a whole section against {@link TwinLimits}. Key and depth faults are
 * {@link ErrorKind#MALFORMED} (400); values a twin cannot hold are {@link ErrorKind#UNPROCESSABLE} (422); a section
 * over its size is {@link ErrorKind#TOO_LARGE} (413). The first fault found is thrown, naming its JSON path.
 */
public final class TwinValidator {

    private final TwinLimits limits;

    public TwinValidator(TwinLimits limits) {
        this.limits = limits;
    }

    public TwinLimits limits() {
        return limits;
    }

    /**
     * Validates the content of a section (a patch or a whole replacement). {@code null} values in objects are
     * allowed (they remove keys); {@code null} inside arrays is not.
     */
    public void checkContent(JsonNode section, String path) {
        if (section == null) {
            return;
        }
        checkObject(JsonBodies.object(section, path), path, 1);
    }

    /**
     * Validates any JSON value that an event will carry apart from the twin's sections (a direct method's payload or
     * answer) by the rules of section content: keys, depth, strings and numbers a twin could hold, and at most
     * {@code maxBytes} as compact JSON. JSON null is allowed where a section allows it.
     */
    public void checkValue(JsonNode value, int maxBytes, String path) {
        if (value == null || value.isNull()) {
            return;
        }
        if (value.isObject()) {
            checkObject((ObjectNode) value, path, 1);
        } else {
            checkValue(value, path, 1);
        }
        int size = value.toString().getBytes(StandardCharsets.UTF_8).length;
        if (size > maxBytes) {
            throw new TwinException(TwinError.at(ErrorKind.TOO_LARGE, "valueTooLarge", path,
                    path + " is " + size + " bytes; the limit is " + maxBytes));
        }
    }

    /** Refuses a section whose compact JSON form is larger than {@code maxBytes}. */
    public void checkSize(ObjectNode section, int maxBytes, String path) {
        int size = section.toString().getBytes(StandardCharsets.UTF_8).length;
        if (size > maxBytes) {
            throw new TwinException(TwinError.at(ErrorKind.TOO_LARGE, "sectionTooLarge", path,
                    path + " would be " + size + " bytes; the limit is " + maxBytes));
        }
    }

    private void checkObject(ObjectNode object, String path, int level) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            String childPath = JsonPath.child(path, key);
            checkKey(key, childPath);
            if (!field.getValue().isNull()) {
                checkValue(field.getValue(), childPath, level);
            }
        }
    }

    private void checkValue(JsonNode value, String path, int level) {
        if (value.isContainerNode() && level > limits.maxDepth()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "tooDeep", path,
                    "nesting at " + path + " is deeper than " + limits.maxDepth() + " levels"));
        }
        if (value.isObject()) {
            checkObject((ObjectNode) value, path, level + 1);
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                JsonNode element = value.get(i);
                String elementPath = JsonPath.index(path, i);
                if (element.isNull()) {
                    throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "nullInArray", elementPath,
                            "arrays in a twin may not contain null (" + elementPath + ")"));
                }
                checkValue(element, elementPath, level + 1);
            }
        } else if (value.isTextual()) {
            int bytes = value.textValue().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limits.maxStringBytes()) {
                throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "stringTooLong", path,
                        "string at " + path + " is " + bytes + " bytes; the limit is " + limits.maxStringBytes()));
            }
        } else if (value.isFloatingPointNumber() && !Double.isFinite(value.doubleValue())) {
            throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "numberOutOfRange", path,
                    "number at " + path + " is too large for a double"));
        } else if (value.isIntegralNumber()) {
            BigInteger n = value.bigIntegerValue();
            if (n.abs().compareTo(BigInteger.valueOf(limits.maxSafeInteger())) > 0) {
                throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "integerOutOfRange", path,
                        "integer at " + path + " is outside +-" + limits.maxSafeInteger()));
            }
        }
    }

    private void checkKey(String key, String path) {
        if (key.isEmpty()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidKey", path, "empty key at " + path));
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > limits.maxKeyBytes()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidKey", path,
                    "key at " + path + " is longer than " + limits.maxKeyBytes() + " bytes"));
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '.' || c == '$' || c == ' ' || Character.isISOControl(c)) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidKey", path,
                        "key at " + path + " contains a forbidden character (U+" + String.format("%04X", (int) c)
                                + "); keys may not contain '.', '$', space or control characters"));
            }
        }
    }
}
