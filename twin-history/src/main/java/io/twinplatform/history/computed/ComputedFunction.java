package io.twinplatform.history.computed;

import java.util.Arrays;
import java.util.Optional;

/** What a computed attribute computes over its window, by the name an operator writes. */
public enum ComputedFunction {
    MEAN("mean"),
    MIN("min"),
    MAX("max"),
    /** Needs {@code percentile}. */
    PERCENTILE("percentile"),
    /** Units per hour, the least-squares slope. */
    RATE_OF_CHANGE("rateOfChange"),
    COUNT("count"),
    /** Needs {@code baselineDays}: the window's latest value against an hourly baseline of that many days. */
    ANOMALY_SCORE("anomalyScore"),
    /** Needs {@code threshold} and {@code direction}. */
    REMAINING_USEFUL_LIFE("remainingUsefulLife"),
    /** Input {@code connection}: the share of the window, 0 to 1, the twin was Connected. */
    UPTIME("uptime"),
    /** Input {@code reported.<path>} and {@code state}: the share of the window, 0 to 1, the value was state. */
    TIME_IN_STATE("timeInState"),
    /** Input {@code reported.<path>} and {@code state}: how many times in the window the value became {@code state}. */
    ERROR_COUNT("errorCount");

    private final String wireName;

    ComputedFunction(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /**
     * Whether it reads {@code source}: the functions over a window of samples read a telemetry series or a reported
     * number (each report a sample at its event's time); {@code uptime} the connection; the state functions a
     * reported property.
     */
    public boolean reads(ComputedSource source) {
        return source() == source || source() == ComputedSource.TELEMETRY && source == ComputedSource.REPORTED;
    }

    /** The input it is made for. */
    public ComputedSource source() {
        return switch (this) {
            case UPTIME -> ComputedSource.CONNECTION;
            case TIME_IN_STATE, ERROR_COUNT -> ComputedSource.REPORTED;
            default -> ComputedSource.TELEMETRY;
        };
    }

    /** The function an operator named, or empty for a name that is none (names are case-sensitive). */
    public static Optional<ComputedFunction> named(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }
}
