package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The options of learning, replaying and injecting faults: their defaults, their forms, and their bad values. */
class LearnReplayOptionsTest {

    @Test
    void withoutThemTheFleetIsTheSyntheticOneInRealTime() {
        SimulatorSettings settings = SimulatorSettings.parse();

        assertThat(settings.learnFrom()).isEmpty();
        assertThat(settings.learnDays()).isEqualTo(7);
        assertThat(settings.degradations()).isEmpty();
        assertThat(settings.spikes()).isEmpty();
        assertThat(settings.groundTruth()).isNull();
        assertThat(settings.timeScale()).isEqualTo(1);
        assertThat(settings.simulatedStart()).isNull();
        assertThat(settings.replay()).isNull();
    }

    @Test
    void readsLearningInjectionsAndTime() {
        SimulatorSettings settings = SimulatorSettings.parse("--learn-from", "d1, d2", "--learn-from=d3",
                "--days", "3", "--inject-degradation", "temperature:20:80:48", "--inject-spikes", "humidity:5:6",
                "--inject-spikes", "temperature:1:4", "--ground-truth", "truth.json", "--time-scale", "3600",
                "--simulated-start", "2026-12-01T00:00:00Z");

        assertThat(settings.learnFrom()).containsExactly("d1", "d2", "d3");
        assertThat(settings.learnDays()).isEqualTo(3);
        assertThat(settings.degradations()).containsExactly(new Injection.Degradation("temperature", 20, 80, 48));
        assertThat(settings.spikes()).containsExactly(new Injection.Spikes("humidity", 5, 6),
                new Injection.Spikes("temperature", 1, 4));
        assertThat(settings.groundTruth()).isEqualTo(Path.of("truth.json"));
        assertThat(settings.timeScale()).isEqualTo(3600);
        assertThat(settings.simulatedStart()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(DeviceSimulator.spikeWindow(settings)).isEqualTo(Duration.ofHours(48));
        assertThat(DeviceSimulator.spikeWindow(SimulatorSettings.parse("--duration", "60", "--time-scale", "60")))
                .isEqualTo(Duration.ofHours(1));
        assertThat(DeviceSimulator.spikeWindow(SimulatorSettings.parse())).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void readsAReplay() {
        SimulatorSettings settings = SimulatorSettings.parse("--replay", "d1", "--from", "2026-12-01T00:00:00Z",
                "--to", "2026-12-01T06:00:00Z", "--into", "d1-copy", "--speed", "0", "--keep-time");

        assertThat(settings.replay()).isEqualTo(new SimulatorSettings.Replay("d1",
                Instant.parse("2026-12-01T00:00:00Z"), Instant.parse("2026-12-01T06:00:00Z"), "d1-copy", 0, true));
        assertThat(SimulatorSettings.parse("--replay", "d1", "--from", "2026-12-01T00:00:00Z",
                "--to", "2026-12-01T06:00:00Z", "--into", "d2").replay().speed()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--learn-from a/b                     | --learn-from 'a/b' is not a valid twin id",
            "--learn-from d1 --days 0             | --days must be between 1 and 366, got 0",
            "--learn-from d1 --days 400           | --days must be between 1 and 366, got 400",
            "--days 3                             | --days goes with --learn-from",
            "--days week                          | Invalid value for option '--days': 'week' is not an int",
            "--time-scale 0                       | --time-scale must be more than 0 and at most 1000000, got 0.0",
            "--time-scale NaN                     | --time-scale must be more than 0",
            "--simulated-start today              | Invalid value for option '--simulated-start': expects an ISO-8601 instant",
            "--inject-degradation temperature:1:2 | Invalid value for option '--inject-degradation' (SERIES:START:FAIL:HOURS): expects <series>:<startValue>:<failValue>:<hoursToFailure>, got 'temperature:1:2'",
            "--inject-spikes temperature:0:3      | Invalid value for option '--inject-spikes' (SERIES:COUNT:SIGMAS): count must be a whole number from 1 to 100000",
            "--from 2026-12-01T00:00:00Z          | --from, --to, --into, --speed and --keep-time go with --replay",
            "--replay d1                          | --replay needs --from",
            "--replay d1 --from 2026-12-01T00:00:00Z | --replay needs --to",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-01T00:00:00Z | --from must be before --to",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z | --replay needs --into",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --into d1 | --into must be another twin than --replay",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --into d2 --speed -1 | --speed must be 0 (as fast as possible) or more, got -1.0",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --into d2 --learn-from d3 | --replay publishes a recording",
            "--replay d1 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --into d2 --time-scale 60 | --replay publishes a recording",
    })
    void aBadValueIsRefusedWithTheOptionInTheMessage(String args, String message) {
        assertThatThrownBy(() -> SimulatorSettings.parse(args.split(" ")))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void aBadValueExitsWithTwoAndOneLineSayingWhy() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = SimulatorCommand.commandLine().setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute("--inject-spikes", "temperature:3:-1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines().findFirst()).contains("Invalid value for option '--inject-spikes' "
                + "(SERIES:COUNT:SIGMAS): magnitudeInSigmas must be more than 0, got 'temperature:3:-1'");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aPlatformThatCannotBeReadToLearnOrReplayExitsWithOneAndSaysWhere() {
        for (String[] args : List.of(
                new String[]{"--learn-from", "d1", "--no-create"},
                new String[]{"--replay", "d1", "--from", "2026-12-01T00:00:00Z", "--to", "2026-12-02T00:00:00Z",
                        "--into", "d2"})) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            List<String> all = new java.util.ArrayList<>(List.of("--platform-url", "http://127.0.0.1:1",
                    "--device-secret", "0123456789abcdef-secret", "--api-key", "twk_000000000001_secret-key"));
            all.addAll(List.of(args));

            int code = SimulatorCommand.commandLine().setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true)).execute(all.toArray(String[]::new));

            assertThat(code).as("%s", err).isEqualTo(1);
            assertThat(err.toString()).startsWith("simulate: GET http://127.0.0.1:1/twins/d1")
                    .contains("--platform-url").doesNotContain("twk_000000000001_secret-key");
            assertThat(err.toString().lines().count()).isEqualTo(1);
        }
    }

    @Test
    void theUsageListsTheNewOptions() {
        String usage = SimulatorCommand.commandLine().getUsageMessage();

        assertThat(usage).contains("--learn-from", "--days=N", "--inject-degradation", "--inject-spikes",
                "--ground-truth", "--time-scale", "--simulated-start", "--replay", "--into", "--speed", "--keep-time");
        assertThat(List.of(usage.split("\n"))).noneMatch(line -> line.length() > 100);
    }
}
