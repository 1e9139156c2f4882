package io.twinplatform.api.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON text for the platform's own tables (read models written and read by the same code): a failure here is a bug
 * or a damaged row, never a client's mistake, so it is an {@link IllegalStateException}.
 */
public final class JsonText {

    private JsonText() {
    }

    public static String write(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public static <T> T read(ObjectMapper mapper, String json, JavaType type) {
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored row holds JSON that is not a " + type, e);
        }
    }

    public static <T> T read(ObjectMapper mapper, String json, Class<T> type) {
        return read(mapper, json, mapper.getTypeFactory().constructType(type));
    }
}
