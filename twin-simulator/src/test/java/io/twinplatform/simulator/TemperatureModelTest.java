package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TemperatureModelTest {

    private static final Instant MIDNIGHT = Instant.parse("2026-01-05T00:00:00Z");

    @Test
    void aRoomIsColdestAtFourInTheMorningAndWarmestAtFourInTheAfternoon() {
        TemperatureModel model = new TemperatureModel(20, 4, 0, 0.3, ZoneOffset.UTC);

        assertThat(minuteOfExtreme(model, true)).isEqualTo(4 * 60);
        assertThat(minuteOfExtreme(model, false)).isEqualTo(16 * 60);
        assertThat(model.expectedTemperature(MIDNIGHT.plus(Duration.ofHours(4)))).isCloseTo(16, within(1e-9));
        assertThat(model.expectedTemperature(MIDNIGHT.plus(Duration.ofHours(16)))).isCloseTo(24, within(1e-9));
        assertThat(model.expectedTemperature(MIDNIGHT.plus(Duration.ofHours(10)))).isCloseTo(20, within(1e-9));
    }

    @Test
    void theCycleRepeatsEveryDay() {
        TemperatureModel model = new TemperatureModel(20, 4, 0.3, 0.3, ZoneOffset.UTC);

        for (int hour = 0; hour < 24; hour++) {
            Instant at = MIDNIGHT.plus(Duration.ofHours(hour));
            assertThat(model.expectedTemperature(at.plus(Duration.ofDays(1))))
                    .isCloseTo(model.expectedTemperature(at), within(1e-9));
        }
    }

    @Test
    void aRoomsPhaseShiftsItsColdestHour() {
        TemperatureModel model = new TemperatureModel(20, 4, 1, 0.3, ZoneOffset.UTC);

        assertThat(minuteOfExtreme(model, true)).isEqualTo(5 * 60);
    }

    @Test
    void theCycleFollowsLocalTime() {
        TemperatureModel model = new TemperatureModel(20, 4, 0, 0.3, ZoneId.of("Europe/Berlin"));

        // 04:00 in Berlin in January is 03:00 UTC.
        assertThat(minuteOfExtreme(model, true)).isEqualTo(3 * 60);
    }

    @Test
    void noiseIsGaussianAndNeverFurtherThanThreeStandardDeviations() {
        TemperatureModel model = new TemperatureModel(20, 4, 0, 0.3, ZoneOffset.UTC);
        Random random = new Random(42);
        Instant at = MIDNIGHT.plus(Duration.ofHours(9));
        double expected = model.expectedTemperature(at);

        double sum = 0;
        double squares = 0;
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            double deviation = model.temperature(at, random) - expected;
            assertThat(Math.abs(deviation)).isLessThanOrEqualTo(3 * 0.3 + 0.005);
            sum += deviation;
            squares += deviation * deviation;
        }
        double mean = sum / n;
        double deviation = Math.sqrt(squares / n - mean * mean);
        assertThat(mean).isCloseTo(0, within(0.01));
        assertThat(deviation).isCloseTo(0.3, within(0.02));
    }

    @Test
    void humidityFallsAsTheRoomWarmsAndStaysAPercentage() {
        TemperatureModel model = new TemperatureModel(20, 4, 0, 0.3, ZoneOffset.UTC);
        Random random = new Random(1);

        double coldest = average(() -> model.humidity(MIDNIGHT.plus(Duration.ofHours(4)), random));
        double warmest = average(() -> model.humidity(MIDNIGHT.plus(Duration.ofHours(16)), random));

        assertThat(coldest).isCloseTo(55, within(0.5));
        assertThat(warmest).isCloseTo(35, within(0.5));
        TemperatureModel extreme = new TemperatureModel(20, 40, 0, 3, ZoneOffset.UTC);
        for (int hour = 0; hour < 24; hour++) {
            assertThat(extreme.humidity(MIDNIGHT.plus(Duration.ofHours(hour)), random)).isBetween(0.0, 100.0);
        }
    }

    @Test
    void everyDeviceGetsARoomOfItsOwnWithinTheDocumentedBounds() {
        Random random = new Random(3);

        for (int i = 0; i < 1_000; i++) {
            TemperatureModel model = TemperatureModel.forDevice(random, ZoneOffset.UTC);
            assertThat(model.mean()).isBetween(18.5, 21.5);
            assertThat(model.phaseHours()).isBetween(-1.0, 1.0);
            assertThat(model.amplitude()).isEqualTo(4);
        }
        assertThat(TemperatureModel.forDevice(new Random(1), ZoneOffset.UTC))
                .isNotEqualTo(TemperatureModel.forDevice(new Random(2), ZoneOffset.UTC));
    }

    private static int minuteOfExtreme(TemperatureModel model, boolean coldest) {
        int best = 0;
        double bestValue = model.expectedTemperature(MIDNIGHT);
        for (int minute = 1; minute < 24 * 60; minute++) {
            double value = model.expectedTemperature(MIDNIGHT.plus(Duration.ofMinutes(minute)));
            if (coldest ? value < bestValue : value > bestValue) {
                best = minute;
                bestValue = value;
            }
        }
        return best;
    }

    private static double average(DoubleSupplier samples) {
        double sum = 0;
        for (int i = 0; i < 10_000; i++) {
            sum += samples.getAsDouble();
        }
        return sum / 10_000;
    }
}
