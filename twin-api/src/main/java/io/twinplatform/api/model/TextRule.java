package io.twinplatform.api.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * The one rule for every string the platform takes from outside (JSON keys and values from any channel, path
 * segments, query parameters, headers): it is valid Unicode without U+0000. PostgreSQL's {@code text} and
 * {@code jsonb} cannot hold U+0000, and a string with an unpaired surrogate has no UTF-8 form, so either would be
 * accepted, stored as an event and then fail every projection (or be written as {@code "?"}). Noncharacters such
 * as U+FFFF are valid Unicode and are kept.
 *
 * <p>Bytes are read as strict UTF-8: an invalid, overlong or truncated sequence, an encoded surrogate or a code
 * point above U+10FFFF is refused ({@value #INVALID_UTF8}), never replaced by U+FFFD or {@code ?}. A string fault
 * is {@value #INVALID_TEXT}. Both are {@link ErrorKind#MALFORMED} (400).
 */
public final class TextRule {

    /** The code of a string holding U+0000 or an unpaired surrogate. */
    public static final String INVALID_TEXT = "invalidText";
    /** The code of bytes that are not UTF-8. */
    public static final String INVALID_UTF8 = "invalidUtf8";

    private TextRule() {
    }

    /**
     * What is wrong with {@code text}: null when it keeps the rule, else a sentence naming the first fault and its
     * character index (without quoting the text, which may not be printable).
     */
    public static String fault(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return "U+0000 at character " + i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "an unpaired surrogate " + codePoint(c) + " at character " + i;
            }
            if (Character.isLowSurrogate(c)) {
                return "an unpaired surrogate " + codePoint(c) + " at character " + i;
            }
        }
        return null;
    }

    /**
     * Refuses the first key or string value below {@code node} that breaks the rule, as {@value #INVALID_TEXT} at
     * its JSON path ({@code path} names {@code node}). A faulty key is named in bracket form with its faulty
     * characters escaped as {@code \\uXXXX} (as RFC 9535 writes them), so the path itself can be sent back.
     */
    public static void check(JsonNode node, String path) {
        if (node.isTextual()) {
            String fault = fault(node.textValue());
            if (fault != null) {
                throw invalidText(path, "the string at " + path + " holds " + fault
                        + "; strings are Unicode text without U+0000");
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String fault = fault(field.getKey());
                if (fault != null) {
                    String at = visible(JsonPath.child(path, field.getKey()));
                    throw invalidText(at, "the key " + at + " holds " + fault
                            + "; keys are Unicode text without U+0000");
                }
                check(field.getValue(), JsonPath.child(path, field.getKey()));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), JsonPath.index(path, i));
            }
        }
    }

    /**
     * Refuses bytes that are not UTF-8 ({@value #INVALID_UTF8}) or that hold a zero byte ({@value #INVALID_TEXT}:
     * U+0000 has no place in a JSON text, and a body with zero bytes would otherwise be read as UTF-16 or UTF-32).
     * The error's path is {@code @offset}, the byte offset of the first faulty byte.
     */
    public static void checkUtf8(byte[] bytes) {
        boolean ascii = true;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new TwinException(new TwinError(ErrorKind.MALFORMED, INVALID_TEXT,
                        "U+0000 at byte offset " + i + "; text is Unicode without U+0000", "@" + i));
            }
            ascii &= bytes[i] > 0;
        }
        if (!ascii) {
            decode(bytes);
        }
    }

    /**
     * {@code bytes} as strict UTF-8 text, or {@value #INVALID_UTF8} at {@code @offset} of the first byte that is not
     * part of a valid sequence. The text may still hold U+0000: check it with {@link #fault(String)}.
     */
    public static String decode(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // UTF-8 never needs more chars than bytes.
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            throw new TwinException(new TwinError(ErrorKind.MALFORMED, INVALID_UTF8,
                    "the bytes at offset " + offset + " are not UTF-8; send text as UTF-8", "@" + offset));
        }
        return out.flip().toString();
    }

    /**
     * The header {@code name}'s value as servlet containers give it (each byte one ISO-8859-1 character), read as the
     * strict UTF-8 text a client means by it ({@code jos\u00c3\u00a9} is {@code jos\u00e9}). Bytes that are not UTF-8
     * are {@value #INVALID_UTF8} and U+0000 is {@value #INVALID_TEXT}, with the header's name as the path; ASCII
     * comes back as it is.
     */
    public static String header(String name, String value) {
        byte[] bytes = new byte[value.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = value.charAt(i);
            if (c == '\u0000') {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, INVALID_TEXT, name,
                        "header " + name + " holds U+0000 at byte " + i + "; text is Unicode without U+0000"));
            }
            if (c > 0xFF) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, INVALID_UTF8, name,
                        "header " + name + " holds a character that is not a byte at " + i));
            }
            bytes[i] = (byte) c;
        }
        try {
            return decode(bytes);
        } catch (TwinException e) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, INVALID_UTF8, name, "header " + name
                    + " is not UTF-8 at byte " + e.error().path().substring(1) + "; send text as UTF-8"));
        }
    }

    /** {@code text} with U+0000 and unpaired surrogates written as {@code \\uXXXX}, so it can be shown and sent. */
    public static String visible(String text) {
        StringBuilder shown = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                shown.append(c).append(text.charAt(++i));
            } else if (c == '\u0000' || Character.isSurrogate(c)) {
                shown.append(String.format("\\u%04x", (int) c));
            } else {
                shown.append(c);
            }
        }
        return shown.toString();
    }

    /**
     * {@code text} cut to at most {@code maxChars} characters without splitting a surrogate pair (a cut pair
     * would leave an unpaired surrogate that no UTF-8 column can hold).
     */
    public static String truncate(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end);
    }

    private static TwinException invalidText(String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, INVALID_TEXT, path, detail));
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }
}
