package io.twinplatform.simulator;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Random;

/**
 * A room's climate over a day: the temperature follows a cosine with its minimum at 04:00 local time (shifted by the
 * device's {@code phaseHours}) and its maximum twelve hours later, around the device's {@code mean}; humidity moves
 * against it. Samples add Gaussian noise, cut at three standard deviations so that a sample is never further than
 * {@code 3 * noise} from {@link #expectedTemperature}.
 *
 * @param mean       the day's mean temperature, °C
 * @param amplitude  half the day's swing, °C: the minimum is {@code mean - amplitude}
 * @param phaseHours how much later than 04:00 this room is coldest
 * @param noise      the standard deviation of a sample's noise, °C (humidity: three times as much, in %)
 * @param zone       the zone whose local time the cycle follows
 */
record TemperatureModel(double mean, double amplitude, double phaseHours, double noise, ZoneId zone) {

    /** The hour of the day (local time) at which a room with no phase shift is coldest. */
    static final double COLDEST_HOUR = 4.0;
    static final double MEAN_HUMIDITY = 45.0;
    /** Humidity points lost per degree above the mean. */
    static final double HUMIDITY_PER_DEGREE = 2.5;
    private static final double CUT_OFF = 3.0;

    /** A room of its own: 20 ± 1.5 °C mean, a swing of ±4 °C, coldest between 03:00 and 05:00, noise 0.3 °C. */
    static TemperatureModel forDevice(Random random, ZoneId zone) {
        return new TemperatureModel(20 + (random.nextDouble() * 3 - 1.5), 4, random.nextDouble() * 2 - 1, 0.3, zone);
    }

    /** The temperature without noise. */
    double expectedTemperature(Instant at) {
        LocalTime time = at.atZone(zone).toLocalTime();
        double hour = time.toSecondOfDay() / 3600.0 + time.getNano() / 3.6e12;
        return mean - amplitude * Math.cos(2 * Math.PI * (hour - COLDEST_HOUR - phaseHours) / 24);
    }

    /** A sample: the expected temperature with noise, rounded to hundredths. */
    double temperature(Instant at, Random random) {
        return round(expectedTemperature(at) + noise * gaussian(random));
    }

    /** Relative humidity, %, falling as the room warms, with noise; always within 0..100. */
    double humidity(Instant at, Random random) {
        double humidity = MEAN_HUMIDITY - HUMIDITY_PER_DEGREE * (expectedTemperature(at) - mean)
                + 3 * noise * gaussian(random);
        return round(Math.max(0, Math.min(100, humidity)));
    }

    private static double gaussian(Random random) {
        return Math.max(-CUT_OFF, Math.min(CUT_OFF, random.nextGaussian()));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
