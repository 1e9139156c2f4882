package io.twinplatform.simulator;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in buckets of 0.1 ms up to 1 s, then of 10 ms up to 60 s; anything longer counts as 60 s. Recording is
 * lock-free and costs one atomic increment, so thousands of devices can record from the client's threads; a
 * percentile is exact to the bucket's width.
 */
final class LatencyHistogram {

    private static final long FINE_NANOS = 100_000;
    private static final int FINE_BUCKETS = 10_000;
    private static final long COARSE_NANOS = 10_000_000;
    private static final int COARSE_BUCKETS = 5_900;

    private final AtomicLongArray counts = new AtomicLongArray(FINE_BUCKETS + COARSE_BUCKETS);

    void record(long nanos) {
        long value = Math.max(0, nanos);
        int bucket = value < FINE_NANOS * FINE_BUCKETS ? (int) (value / FINE_NANOS)
                : (int) Math.min(FINE_BUCKETS + COARSE_BUCKETS - 1,
                        FINE_BUCKETS + (value - FINE_NANOS * FINE_BUCKETS) / COARSE_NANOS);
        counts.incrementAndGet(bucket);
    }

    /** Forgets every recorded value; one recorded meanwhile may or may not survive. */
    void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
    }

    /** The smallest bucket's upper bound under which {@code quantile} of the recorded values lie; null when empty. */
    Duration percentile(double quantile) {
        long total = 0;
        for (int i = 0; i < counts.length(); i++) {
            total += counts.get(i);
        }
        if (total == 0) {
            return null;
        }
        long wanted = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= wanted) {
                return Duration.ofNanos(upperBound(i));
            }
        }
        return Duration.ofNanos(upperBound(counts.length() - 1));
    }

    private static long upperBound(int bucket) {
        return bucket < FINE_BUCKETS ? (bucket + 1) * FINE_NANOS
                : FINE_NANOS * FINE_BUCKETS + (bucket - FINE_BUCKETS + 1) * COARSE_NANOS;
    }
}
