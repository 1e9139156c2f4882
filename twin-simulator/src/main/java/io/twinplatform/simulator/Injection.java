package io.twinplatform.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The faults {@code --inject-degradation} and {@code --inject-spikes} ask for, as parsed from the command line. The
 * series name comes first and may itself hold a {@code :}; the numbers are the last fields.
 */
final class Injection {

    private static final Pattern NUMBER = Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    private Injection() {
    }

    /**
     * {@code <series>:<startValue>:<failValue>:<hoursToFailure>}: the series goes in a straight line from
     * {@code startValue} at the simulated start to {@code failValue} {@code hoursToFailure} simulated hours later
     * (the failure instant), and stays there; noise of the model's deviation is added on top.
     */
    record Degradation(String series, double startValue, double failValue, double hoursToFailure) {

        static Degradation parse(String text) {
            String[] fields = fields(text, 4, "<series>:<startValue>:<failValue>:<hoursToFailure>");
            double start = number(fields[1], "startValue", text);
            double fail = number(fields[2], "failValue", text);
            double hours = number(fields[3], "hoursToFailure", text);
            if (!(hours > 0) || hours > 24 * 366 * 10) {
                throw new IllegalArgumentException("hoursToFailure must be more than 0 and at most ten years, got '"
                        + text + "'");
            }
            return new Degradation(fields[0], start, fail, hours);
        }

        Duration toFailure() {
            return Duration.ofNanos(Math.round(hoursToFailure * 3.6e12));
        }

        /** The value without noise {@code elapsed} simulated time after the start. */
        double value(Duration elapsed) {
            double share = Math.min(1, Math.max(0, elapsed.toNanos() / (hoursToFailure * 3.6e12)));
            return startValue + (failValue - startValue) * share;
        }

        Instant failureAt(Instant start) {
            return start.plus(toFailure());
        }
    }

    /**
     * {@code <series>:<count>:<magnitudeInSigmas>}: {@code count} spikes of {@code magnitude} standard deviations of
     * the series (above the value it would have had), at instants drawn from the seed.
     */
    record Spikes(String series, int count, double sigmas) {

        static final int MAX_COUNT = 100_000;

        static Spikes parse(String text) {
            String[] fields = fields(text, 3, "<series>:<count>:<magnitudeInSigmas>");
            int count;
            try {
                count = Integer.parseInt(fields[1].trim());
            } catch (NumberFormatException e) {
                count = -1;
            }
            if (count < 1 || count > MAX_COUNT) {
                throw new IllegalArgumentException("count must be a whole number from 1 to " + MAX_COUNT + ", got '"
                        + text + "'");
            }
            double sigmas = number(fields[2], "magnitudeInSigmas", text);
            if (!(sigmas > 0)) {
                throw new IllegalArgumentException("magnitudeInSigmas must be more than 0, got '" + text + "'");
            }
            return new Spikes(fields[0], count, sigmas);
        }
    }

    /** The series name (everything before the numbers), then the {@code fields - 1} numbers, still as text. */
    private static String[] fields(String text, int fields, String form) {
        String[] parts = text.split(":", -1);
        if (parts.length < fields) {
            throw new IllegalArgumentException("expects " + form + ", got '" + text + "'");
        }
        int numbers = fields - 1;
        String series = String.join(":", Arrays.copyOf(parts, parts.length - numbers));
        if (series.isBlank() || series.length() > 128 || series.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("the series is a measurement name of 1 to 128 characters, got '"
                    + text + "'");
        }
        String[] result = new String[fields];
        result[0] = series;
        System.arraycopy(parts, parts.length - numbers, result, 1, numbers);
        return result;
    }

    private static double number(String field, String name, String text) {
        String trimmed = field.trim();
        if (NUMBER.matcher(trimmed).matches()) {
            double value = Double.parseDouble(trimmed);
            if (Double.isFinite(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException(name + " must be a finite number, got '" + text + "'");
    }
}
