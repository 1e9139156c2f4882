package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyHistogramTest {

    @Test
    void percentilesAreExactToTheBucketWidth() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int ms = 1; ms <= 100; ms++) {
            histogram.record(Duration.ofMillis(ms).toNanos() - 1);
        }

        assertThat(histogram.percentile(0.50)).isEqualTo(Duration.ofMillis(50));
        assertThat(histogram.percentile(0.99)).isEqualTo(Duration.ofMillis(99));
    }

    @Test
    void longLatenciesLandInCoarseBucketsAndTheLongestCountsAsAMinute() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(Duration.ofMillis(2_345).toNanos());
        histogram.record(Duration.ofHours(1).toNanos());

        assertThat(histogram.percentile(0.5)).isEqualTo(Duration.ofMillis(2_350));
        assertThat(histogram.percentile(1.0)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aResetForgetsWhatWasRecorded() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(Duration.ofSeconds(5).toNanos());

        histogram.reset();
        histogram.record(Duration.ofMillis(1).toNanos() - 1);

        assertThat(histogram.percentile(1.0)).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void anEmptyHistogramHasNoPercentile() {
        assertThat(new LatencyHistogram().percentile(0.5)).isNull();
    }
}
