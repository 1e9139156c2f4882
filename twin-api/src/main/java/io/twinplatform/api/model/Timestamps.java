package io.twinplatform.api.model;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Twin timestamps: ISO-8601 UTC, to the millisecond. Axon's JDBC event store keeps event timestamps to the
 * millisecond, so a twin folded live and the same twin folded again from the store render byte-equal.
 */
public final class Timestamps {

    private Timestamps() {
    }

    public static String format(Instant at) {
        return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS));
    }

    public static Instant parse(String value) {
        return Instant.parse(value);
    }
}
