package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Injected faults with known ground truth: a degradation's line at known instants, spikes at instants drawn from the
 * seed and landing on the first sample at or after each, and the ground-truth file naming both.
 */
class InjectionTest {

    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    /** A model without noise: temperature always 20, humidity always 50. */
    private static final HourlyProfile FLAT = HourlyProfile.learn(List.of(
            new HourlyProfile.Sample(START, "temperature", 20), new HourlyProfile.Sample(START, "humidity", 50)));

    @Test
    void aDegradationRisesInALineFromItsStartValueToItsFailValueAndStaysThere() {
        Injection.Degradation degradation = Injection.Degradation.parse("temperature:20:80:10");
        InjectedTelemetry telemetry = new InjectedTelemetry(FLAT, List.of(degradation), List.of(), START);
        Random random = new Random(1);

        assertThat(telemetry.sample("temperature", START, random)).isCloseTo(20, within(1e-9));
        assertThat(telemetry.sample("temperature", START.plus(Duration.ofHours(2)), random)).isCloseTo(32, within(1e-9));
        assertThat(telemetry.sample("temperature", START.plus(Duration.ofHours(5)), random)).isCloseTo(50, within(1e-9));
        assertThat(telemetry.sample("temperature", START.plus(Duration.ofHours(10)), random)).isCloseTo(80, within(1e-9));
        assertThat(telemetry.sample("temperature", START.plus(Duration.ofHours(30)), random)).isCloseTo(80, within(1e-9));
        assertThat(telemetry.sample("humidity", START.plus(Duration.ofHours(5)), random)).isEqualTo(50);
        assertThat(telemetry.failures()).containsExactly(new InjectedTelemetry.Failure("temperature",
                Instant.parse("2026-12-01T10:00:00Z"), 20, 80));
    }

    @Test
    void aDegradationAddsTheModelsNoiseOnItsLine() {
        HourlyProfile noisy = HourlyProfile.learn(List.of(new HourlyProfile.Sample(START, "temperature", 19),
                new HourlyProfile.Sample(START, "temperature", 21)));
        InjectedTelemetry telemetry = new InjectedTelemetry(noisy,
                List.of(Injection.Degradation.parse("temperature:20:80:10")), List.of(), START);
        Random random = new Random(5);
        double deviation = Math.sqrt(2);

        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            values.add(telemetry.sample("temperature", START.plus(Duration.ofHours(5)), random));
        }
        assertThat(values).allSatisfy(v -> assertThat(v).isBetween(50 - 3 * deviation, 50 + 3 * deviation));
        assertThat(values.stream().distinct().count()).isGreaterThan(900);
    }

    @Test
    void spikesAreDrawnFromTheSeedWithinTheWindowAndLiftTheFirstSampleAtOrAfterEach() {
        List<InjectedTelemetry.Spike> planned = InjectedTelemetry.plan(List.of(Injection.Spikes.parse("humidity:3:6")),
                new Random(9), START, Duration.ofHours(1));
        assertThat(planned).isEqualTo(InjectedTelemetry.plan(List.of(Injection.Spikes.parse("humidity:3:6")),
                new Random(9), START, Duration.ofHours(1)));
        assertThat(planned).hasSize(3).isSortedAccordingTo((a, b) -> a.at().compareTo(b.at()))
                .allSatisfy(spike -> assertThat(spike.at()).isBetween(START, START.plus(Duration.ofHours(1))));

        // Deviation 2 at every hour: humidity 48 and 52.
        HourlyProfile profile = HourlyProfile.learn(List.of(new HourlyProfile.Sample(START, "humidity", 48),
                new HourlyProfile.Sample(START, "humidity", 52)));
        InjectedTelemetry telemetry = new InjectedTelemetry(profile, List.of(), planned, START);
        Random random = new Random(3);
        List<Instant> lifted = new ArrayList<>();
        for (Instant at = START; at.isBefore(START.plus(Duration.ofHours(1))); at = at.plusSeconds(10)) {
            double value = telemetry.sample("humidity", at, random);
            telemetry.sent(at);
            if (value > 50 + 3 * Math.sqrt(8)) {
                lifted.add(at);
            }
        }
        List<Instant> expected = planned.stream().map(spike -> Instant.ofEpochSecond(
                (spike.at().getEpochSecond() + (spike.at().getNano() > 0 ? 1 : 0) + 9) / 10 * 10)).distinct().toList();
        assertThat(lifted).isEqualTo(expected);
    }

    @Test
    void theGroundTruthNamesEachDevicesFailureAndSpikeInstants(@TempDir Path dir) throws IOException {
        List<InjectedTelemetry.Spike> spikes = InjectedTelemetry.plan(List.of(Injection.Spikes.parse("temperature:2:5")),
                new Random(4), START, Duration.ofHours(24));
        Map<String, InjectedTelemetry> devices = new LinkedHashMap<>();
        devices.put("sim-0001", new InjectedTelemetry(FLAT,
                List.of(Injection.Degradation.parse("temperature:20:80:24")), spikes, START));
        devices.put("sim-0002", new InjectedTelemetry(FLAT, List.of(), List.of(), START));
        Path file = dir.resolve("out/truth.json");

        GroundTruth.write(file, 7, new SimulatedTime(Instant.now(), START, 3600), devices);

        JsonNode truth = new ObjectMapper().readTree(file.toFile());
        assertThat(truth.get("seed").asLong()).isEqualTo(7);
        assertThat(truth.get("simulatedStart").asText()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(truth.get("timeScale").asDouble()).isEqualTo(3600);
        JsonNode first = truth.get("devices").get("sim-0001");
        assertThat(first.get("failure").asText()).isEqualTo("2026-12-02T00:00:00Z");
        assertThat(first.get("failures").get(0).get("series").asText()).isEqualTo("temperature");
        assertThat(first.get("spikes")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(first.get("spikes").get(i).get("at").asText()).isEqualTo(spikes.get(i).at().toString());
            assertThat(first.get("spikes").get(i).get("sigmas").asDouble()).isEqualTo(5);
        }
        assertThat(truth.get("devices").get("sim-0002").get("failure").isNull()).isTrue();
        assertThat(truth.get("devices").get("sim-0002").get("spikes")).isEmpty();
    }

    @Test
    void aSpikeOnASeriesTheDevicesDoNotSendIsRefused() {
        List<InjectedTelemetry.Spike> spikes = List.of(new InjectedTelemetry.Spike("pressure", START, 3));
        assertThatThrownBy(() -> new InjectedTelemetry(FLAT, List.of(), spikes, START))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--inject-spikes: the devices send no series pressure; they send humidity, temperature");
    }

    @Test
    void aSeriesNameMayHoldAColonTheNumbersAreTheLastFields() {
        assertThat(Injection.Degradation.parse("env:temp:1.5:-2e1:0.5"))
                .isEqualTo(new Injection.Degradation("env:temp", 1.5, -20, 0.5));
        assertThat(Injection.Spikes.parse("a:b:10:2.5")).isEqualTo(new Injection.Spikes("a:b", 10, 2.5));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "temperature:20:80   | expects <series>:<startValue>:<failValue>:<hoursToFailure>",
            ":20:80:10           | the series is a measurement name",
            "temperature:x:80:10 | startValue must be a finite number",
            "temperature:20:NaN:10 | failValue must be a finite number",
            "temperature:20:80:0 | hoursToFailure must be more than 0",
            "temperature:20:80:-1 | hoursToFailure must be more than 0",
    })
    void aBadDegradationIsRefusedSayingWhy(String text, String message) {
        assertThatThrownBy(() -> Injection.Degradation.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "temperature:3       | expects <series>:<count>:<magnitudeInSigmas>",
            "temperature:0:3     | count must be a whole number from 1 to 100000",
            "temperature:1.5:3   | count must be a whole number",
            "temperature:3:0     | magnitudeInSigmas must be more than 0",
            "temperature:3:Infinity | magnitudeInSigmas must be a finite number",
    })
    void badSpikesAreRefusedSayingWhy(String text, String message) {
        assertThatThrownBy(() -> Injection.Spikes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
