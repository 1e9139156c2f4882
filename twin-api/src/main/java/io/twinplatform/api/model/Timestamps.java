package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Twin timestamps: ISO-8601 UTC, to the millisecond. Axon's JDBC event store keeps event timestamps to the
 * millisecond, so a twin folded live and the same twin folded again from the store render byte-equal.
 *
 * <p>Every instant a client names (a request parameter, a body member, a device's {@code ts}) lies between
 * {@link #EARLIEST} and {@link #LATEST}, the years 0001 to 9999. Outside them an instant cannot be used safely:
 * {@code java.sql.Timestamp} and PostgreSQL's {@code timestamptz} refuse years far beyond, and the event store
 * keeps its times as ISO-8601 text, which sorts in time order only with four-digit years. Such an instant is
 * refused as a bad value, never passed on to fail deeper down.
 */
public final class Timestamps {

    /** A span as a whole number and a unit: {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}. */
    private static final Pattern SPAN = Pattern.compile("([1-9][0-9]{0,6})([smhd])");

    /** The earliest instant a client may name: 0001-01-01T00:00:00Z. */
    public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    /** The latest instant a client may name: 9999-12-31T23:59:59.999999999Z. */
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private Timestamps() {
    }

    public static String format(Instant at) {
        return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS));
    }

    /** An instant the platform wrote itself (event and document times); a client's goes through {@link #bounded}. */
    public static Instant parse(String value) {
        return Instant.parse(value);
    }

    /**
     * A client's ISO-8601 instant within {@link #EARLIEST} and {@link #LATEST}, or {@code null} when {@code value}
     * is null, not ISO-8601, or outside that range. Callers refuse a null with their own error code.
     */
    public static Instant bounded(String value) {
        if (value == null) {
            return null;
        }
        try {
            Instant instant = Instant.parse(value);
            return inRange(instant) ? instant : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Whether a client's instant lies within {@link #EARLIEST} and {@link #LATEST}. */
    public static boolean inRange(Instant instant) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(LATEST);
    }

    /**
     * A request parameter that names an instant ({@code asOf}, {@code from}, …): {@code null} when absent, and
     * {@code 400 invalidParameter} at {@code name} when it is not ISO-8601 or lies outside the years 0001 to 9999.
     */
    public static Instant parameter(String name, String value) {
        if (value == null) {
            return null;
        }
        Instant instant = bounded(value);
        if (instant == null) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", name,
                    name + " is an ISO-8601 instant from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, such as"
                            + " 2026-11-24T03:12:00Z; got " + value));
        }
        return instant;
    }

    /**
     * A request parameter that names a span ({@code bucket}, {@code window}): a whole number and a unit ({@code 30s},
     * {@code 5m}, {@code 1h}, {@code 1d}) or ISO-8601 ({@code PT5M}), of whole seconds from {@code min} to
     * {@code max}; else {@code 400 invalidParameter} at {@code name}, saying so with what was sent.
     */
    public static Duration span(String name, String value, Duration min, Duration max) {
        Duration span = null;
        Matcher shorthand = SPAN.matcher(value);
        if (shorthand.matches()) {
            long amount = Long.parseLong(shorthand.group(1));
            span = switch (shorthand.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } else {
            try {
                span = Duration.parse(value);
            } catch (DateTimeParseException e) {
                // refused below
            }
        }
        if (span == null || span.getNano() != 0 || span.compareTo(min) < 0 || span.compareTo(max) > 0) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", name, name + " is a whole"
                    + " number and a unit (s, m, h or d), like 5m or 1h, or an ISO-8601 duration like PT5M, of whole"
                    + " seconds from " + min + " to " + max + "; got "
                    + (value.length() > 40 ? value.substring(0, 40) + "…" : value)));
        }
        return span;
    }
}
