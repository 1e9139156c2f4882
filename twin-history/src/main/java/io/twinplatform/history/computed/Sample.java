package io.twinplatform.history.computed;

import java.time.Instant;
import java.util.Objects;

/**
 * One measurement of one series: what the statistics of this package read. The twin and series name are left out
 * because every sample given to one computation belongs to the same twin's same series.
 *
 * @param ts    when it was measured
 * @param value the number; never NaN or infinite (telemetry keeps finite numbers only)
 */
public record Sample(Instant ts, double value) {

    public Sample {
        Objects.requireNonNull(ts, "ts");
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("a sample's value is finite, not " + value);
        }
    }
}
