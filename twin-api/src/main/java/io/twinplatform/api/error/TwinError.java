package io.twinplatform.api.error;

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
}
