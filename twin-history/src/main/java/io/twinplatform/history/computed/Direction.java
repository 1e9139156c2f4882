package io.twinplatform.history.computed;

import java.util.Locale;

/** Which way a series degrades towards its failure threshold. */
public enum Direction {
    /** Fails when the value reaches the threshold from below: {@code value >= threshold} (wear, temperature). */
    RISING,
    /** Fails when the value reaches the threshold from above: {@code value <= threshold} (pressure, charge). */
    FALLING;

    /** The name an operator writes: {@code rising} or {@code falling}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether {@code value} is at or past {@code threshold} in this direction. */
    boolean crossed(double value, double threshold) {
        return this == RISING ? value >= threshold : value <= threshold;
    }

    /** Whether a trend of {@code slope} (per hour) moves towards failure in this direction. */
    boolean degrading(double slope) {
        return this == RISING ? slope > 0 : slope < 0;
    }
}
