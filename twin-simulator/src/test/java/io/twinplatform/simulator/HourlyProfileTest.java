package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.simulator.DeviceAction.Publish;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The hourly profile {@code --learn-from} learns, from samples whose means and deviations are worked out by hand, and
 * devices that follow it: within three deviations of the hour's mean, the same values for the same seed, stamped in
 * simulated time.
 */
class HourlyProfileTest {

    private static final Instant DAY = Instant.parse("2026-11-30T00:00:00Z");

    /**
     * temperature at 03h: 10, 12, 14 (mean 12, deviation sqrt(8 / 2) = 2); at 04h: 5, 5 (mean 5, deviation 0);
     * all hours: mean 46 / 5 = 9.2, deviation sqrt(66.8 / 4) = sqrt(16.7). humidity at 03h: 40 alone.
     */
    private static List<HourlyProfile.Sample> recorded() {
        return List.of(
                new HourlyProfile.Sample(at(3, 0), "temperature", 10),
                new HourlyProfile.Sample(at(3, 20), "temperature", 12),
                new HourlyProfile.Sample(at(3, 59).plus(Duration.ofDays(1)), "temperature", 14),
                new HourlyProfile.Sample(at(4, 0), "temperature", 5),
                new HourlyProfile.Sample(at(4, 30).minus(Duration.ofDays(2)), "temperature", 5),
                new HourlyProfile.Sample(at(3, 10), "humidity", 40));
    }

    @Test
    void learnsTheMeanAndDeviationOfEachSeriesPerUtcHourOfDay() {
        HourlyProfile profile = HourlyProfile.learn(recorded());

        assertThat(profile.series()).containsExactly("humidity", "temperature");
        assertThat(profile.expected("temperature", at(3, 45))).isCloseTo(12, within(1e-12));
        assertThat(profile.deviation("temperature", at(3, 45))).isCloseTo(2, within(1e-12));
        assertThat(profile.expected("temperature", at(4, 15))).isCloseTo(5, within(1e-12));
        assertThat(profile.deviation("temperature", at(4, 15))).isZero();
        assertThat(profile.expected("humidity", at(3, 0))).isEqualTo(40);
        assertThat(profile.deviation("humidity", at(3, 0))).isZero();
        assertThat(profile.count("temperature")).isEqualTo(5);
    }

    @Test
    void anHourWithoutSamplesFallsBackToAllHoursOfTheSeries() {
        HourlyProfile profile = HourlyProfile.learn(recorded());

        assertThat(profile.expected("temperature", at(10, 0))).isCloseTo(9.2, within(1e-12));
        assertThat(profile.deviation("temperature", at(10, 0))).isCloseTo(Math.sqrt(16.7), within(1e-12));
        assertThatThrownBy(() -> profile.expected("pressure", at(3, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pressure");
    }

    @Test
    void samplesLieWithinThreeDeviationsOfTheHoursMean() {
        HourlyProfile profile = HourlyProfile.learn(recorded());
        Random random = new Random(11);

        for (int i = 0; i < 10_000; i++) {
            double sample = profile.sample("temperature", at(3, 30), random);
            assertThat(sample).isBetween(12 - 3 * 2.0, 12 + 3 * 2.0);
        }
        assertThat(profile.sample("temperature", at(4, 30), random)).isEqualTo(5);
    }

    @Test
    void devicesWithTheSameSeedSendTheSameLearnedTelemetryStampedInSimulatedTime() {
        HourlyProfile profile = HourlyProfile.learn(recorded());

        List<ObjectNode> first = telemetry(profile, 42);
        List<ObjectNode> again = telemetry(profile, 42);
        List<ObjectNode> other = telemetry(profile, 43);

        assertThat(first).hasSize(10).isEqualTo(again).isNotEqualTo(other);
        // One message a simulated minute at 60x: a real second apart, ts a minute apart, from the simulated start.
        for (int i = 1; i < first.size(); i++) {
            assertThat(first.get(i).get("ts").asLong() - first.get(i - 1).get("ts").asLong()).isEqualTo(60_000);
        }
        assertThat(Instant.ofEpochMilli(first.get(0).get("ts").asLong())).isBetween(at(3, 0), at(3, 1));
        assertThat(first).allSatisfy(message -> {
            assertThat(message.get("temperature").asDouble()).isBetween(6.0, 18.0);
            assertThat(message.get("humidity").asDouble()).isEqualTo(40);
        });
    }

    @Test
    void aDeviceStartsFromTheLearnedReportedStateWhereItHasNoneOfItsOwn() {
        ObjectNode learned = JsonNodeFactory.instance.objectNode().put("location", "hall").put("state", "running")
                .put("fanSpeed", 3);
        SimulatedDevice device = device(HourlyProfile.learn(recorded()), 1, learned);
        device.connected(at(3, 0));

        List<DeviceAction> actions = device.received("get/accepted", SimulatedDeviceTest.json(
                "{'properties':{'desired':{'$version':1},'reported':{'fanSpeed':1}}}"), at(3, 0));

        ObjectNode patch = ((Publish) actions.get(0)).payload();
        assertThat(patch.get("location").asText()).isEqualTo("hall");
        assertThat(patch.get("state").asText()).as("the device's own state machine").isEqualTo("idle");
        assertThat(patch.has("fanSpeed")).as("the twin reports one already").isFalse();
    }

    private static List<ObjectNode> telemetry(HourlyProfile profile, long seed) {
        SimulatedDevice device = device(profile, seed, JsonNodeFactory.instance.objectNode());
        Instant real = Instant.parse("2026-12-07T12:00:00Z");
        device.connected(real);
        List<ObjectNode> messages = new ArrayList<>();
        while (messages.size() < 10) {
            Instant next = device.nextWakeUp();
            for (DeviceAction action : device.tick(next)) {
                if (action instanceof Publish publish && publish.kind().equals("telemetry")) {
                    messages.add(publish.payload());
                }
            }
        }
        return messages;
    }

    private static SimulatedDevice device(HourlyProfile profile, long seed, ObjectNode learned) {
        SimulatorSettings settings = SimulatorSettings.parse("--telemetry-interval", "60", "--state-interval", "0",
                "--seed", Long.toString(seed), "--time-scale", "60", "--simulated-start", at(3, 0).toString());
        Instant real = Instant.parse("2026-12-07T12:00:00Z");
        Random random = new Random(seed);
        return new SimulatedDevice("sim-0001", settings, random, TemperatureModel.forDevice(random, ZoneOffset.UTC),
                profile, new SimulatedTime(real, settings.simulatedStart(), settings.timeScale()), learned, "run1",
                new SimulatorCounters(), real);
    }

    private static Instant at(int hour, int minute) {
        return DAY.plus(Duration.ofHours(hour).plusMinutes(minute));
    }
}
