package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

/** A twin's etag is its version in quotes ({@code "12"}); weak etags ({@code W/"12"}) are read the same. */
public final class Etags {

    private Etags() {
    }

    /** The version an {@code If-Match} value names; {@code null} for absent or {@code *} (any version). */
    public static Long expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.trim().equals("*")) {
            return null;
        }
        String value = ifMatch.trim();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            // An etag this platform never issued matches no version.
            return -1L;
        }
    }

    /** Whether an {@code If-None-Match} value is {@code *} (create only). */
    public static boolean isAny(String ifNoneMatch) {
        return ifNoneMatch != null && ifNoneMatch.trim().equals("*");
    }

    /** Refuses an If-None-Match other than {@code *}, which a write cannot honour. */
    public static void requireAnyOrAbsent(String ifNoneMatch) {
        if (ifNoneMatch != null && !isAny(ifNoneMatch)) {
            throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "unsupportedPrecondition",
                    "only If-None-Match: * is supported on writes"));
        }
    }
}
