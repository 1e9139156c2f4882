package io.twinplatform.simulator;

import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * What a simulated device measures: named series, each with an expected value and a standard deviation at an
 * instant, and a sample drawn from them. The synthetic thermostat ({@link #climate}) is the default;
 * {@link HourlyProfile} is learned from recorded twins; {@link InjectedTelemetry} adds degradation and spikes to
 * either. A model may keep state (the spikes it still has to send): one per device, used under the device's lock.
 */
interface TelemetryModel {

    /** Noise is cut at this many standard deviations, so no sample lies further from its expected value. */
    double CUT_OFF = 3.0;

    /** The series' names, in the order a telemetry message lists them. */
    List<String> series();

    double expected(String series, Instant at);

    double deviation(String series, Instant at);

    /** A sample: the expected value plus Gaussian noise of the deviation, cut at {@link #CUT_OFF}. */
    default double sample(String series, Instant at, Random random) {
        return expected(series, at) + deviation(series, at) * gaussian(random);
    }

    /** The samples of one message at {@code at} were drawn; a model that keeps state moves on. */
    default void sent(Instant at) {
    }

    static double gaussian(Random random) {
        return Math.max(-CUT_OFF, Math.min(CUT_OFF, random.nextGaussian()));
    }

    /** The thermostat's {@code temperature} and {@code humidity} of {@link TemperatureModel}, as they always were. */
    static TelemetryModel climate(TemperatureModel climate) {
        return new TelemetryModel() {
            @Override
            public List<String> series() {
                return List.of("temperature", "humidity");
            }

            @Override
            public double expected(String series, Instant at) {
                double temperature = climate.expectedTemperature(at);
                return series.equals("temperature") ? temperature : TemperatureModel.MEAN_HUMIDITY
                        - TemperatureModel.HUMIDITY_PER_DEGREE * (temperature - climate.mean());
            }

            @Override
            public double deviation(String series, Instant at) {
                return series.equals("temperature") ? climate.noise() : 3 * climate.noise();
            }

            @Override
            public double sample(String series, Instant at, Random random) {
                return series.equals("temperature") ? climate.temperature(at, random) : climate.humidity(at, random);
            }
        };
    }
}
