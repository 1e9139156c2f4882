package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
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

    /**
     * A request parameter that names an instant ({@code asOf}, {@code from}, …): {@code null} when absent, and
     * {@code 400 invalidParameter} at {@code name} when it is not ISO-8601.
     */
    public static Instant parameter(String name, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", name,
                    name + " is an ISO-8601 instant such as 2026-11-24T03:12:00Z; got " + value));
        }
    }
}
