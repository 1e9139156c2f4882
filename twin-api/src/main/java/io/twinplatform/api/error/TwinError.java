package io.twinplatform.api.error;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Objects;

/**
 * A typed refusal: what kind, a stable machine-readable code, a sentence for people, and where it applies
 * the JSON path at fault (for example {@code $.properties.desired.a.b}).
 */
public record TwinError(ErrorKind kind, String code, String detail, String path) {

    public TwinError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(detail, "detail");
    }

    public static TwinError of(ErrorKind kind, String code, String detail) {
        return new TwinError(kind, code, detail, null);
    }

    public static TwinError at(ErrorKind kind, String code, String path, String detail) {
        return new TwinError(kind, code, detail, path);
    }

    /** Problem types are URNs: stable names that no one mistakes for a page to fetch. */
    public static final String TYPE_BASE = "urn:twin-platform:problem:";

    /**
     * This refusal as an RFC 9457 problem document, the same members HTTP answers with: {@code type}, {@code title},
     * {@code status}, {@code detail}, {@code code}, and {@code path} or {@code position} (a {@code path} of the form
     * {@code @n} is the offset of a JSON syntax error). Channels without HTTP (MQTT) send exactly this.
     */
    /**
     * The platform failed to handle a request for a reason of its own (code {@code internal}, 500), so whether a
     * write was applied is unknown unless it was a read. {@code retryHint} names how the caller can find out or
     * repeat safely on its channel (the If-Match or Idempotency-Key of HTTP, an MQTT clientToken, a batch item's
     * ifMatch or idempotencyKey); {@code null} for a read, which wrote nothing.
     */
    public static TwinError failed(String what, String retryHint) {
        return of(ErrorKind.INTERNAL, "internal", "the platform failed to handle this " + what + "; "
                + (retryHint == null ? "nothing was written (a read)"
                : "whether it was applied is unknown: " + retryHint));
    }

    public ObjectNode toProblem() {
        ObjectNode problem = JsonNodeFactory.instance.objectNode();
        problem.put("type", TYPE_BASE + code);
        problem.put("title", kind.title());
        problem.put("status", kind.status());
        problem.put("detail", detail);
        problem.put("code", code);
        if (path != null) {
            if (path.startsWith("@")) {
                problem.put("position", Long.parseLong(path.substring(1)));
            } else {
                problem.put("path", path);
            }
        }
        return problem;
    }
}
