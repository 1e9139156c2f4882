package io.twinplatform.simulator;

import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.twin.TwinId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

import static io.twinplatform.simulator.SimulatorSettings.DEFAULT_PLAIN_PORT;
import static io.twinplatform.simulator.SimulatorSettings.DEFAULT_TLS_PORT;

/**
 * {@code simulate [options]}: runs a {@link DeviceSimulator} without Spring until Ctrl-C or {@code --duration}. The
 * options here are the simulator's whole configuration, each with its default written once, in its annotation;
 * picocli parses them, refuses bad ones with a message naming the option, and prints them all with {@code --help}.
 * Exit codes: 0 after a clean stop (or a finished replay), 1 when the platform cannot be read or written to learn
 * or replay, 2 for a bad option or a missing device secret. Logs through SLF4J; whoever starts
 * it configures the logging backend.
 */
@Command(name = "simulate", sortOptions = false, abbreviateSynopsis = true, usageHelpWidth = 100,
        description = {"Starts a fleet of virtual thermostats that speak an MQTT device protocol (--protocol), or",
                "with --replay publishes a recorded device's reports and telemetry again as a new twin.",
                "Options take --name value or --name=value; a later one wins. Durations (SECONDS) are seconds",
                "(2, 0.5) or carry a unit (500ms, 2s, 5m, 1h)."})
public final class SimulatorCommand implements Callable<Integer> {

    /** The data directory without {@code TWIN_DATA_DIR}, relative to the working directory, as the platform has it. */
    static final String DEFAULT_DATA_DIR = "data";
    /** {@code --days} at most: a year, beyond any telemetry retention worth learning from. */
    static final int MAX_DAYS = 366;
    static final double MAX_TIME_SCALE = 1_000_000;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "prints this")
    private boolean help;

    @Option(names = "--devices", paramLabel = "N", defaultValue = "50",
            description = "how many devices (default ${DEFAULT-VALUE})")
    private int devices;

    @Option(names = "--first", paramLabel = "N", defaultValue = "1",
            description = "the number of the first device, so that simulators can split a fleet (default "
                    + "${DEFAULT-VALUE})")
    private int firstIndex;

    @Option(names = "--id-prefix", paramLabel = "TEXT", defaultValue = "sim-",
            description = "twin ids are this and a number of at least four digits (default ${DEFAULT-VALUE}: "
                    + "${DEFAULT-VALUE}0001)")
    private String idPrefix;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "the MQTT broker (default ${DEFAULT-VALUE})")
    private String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "0",
            description = "its port (default ${DEFAULT-VALUE}: the one in <data-dir>/mqtt/tls-port, else "
                    + DEFAULT_TLS_PORT + "; with --plain mqtt/port, else " + DEFAULT_PLAIN_PORT + ")")
    private int port;

    @Option(names = "--protocol", paramLabel = "native|azure|aws", defaultValue = "native",
            description = "the device protocol: the platform's own twins/{id}/... topics, Azure IoT Hub's "
                    + "(SAS token, $iothub/...) or AWS IoT Device Shadow's ($aws/things/{id}/shadow/...) (default "
                    + "${DEFAULT-VALUE})")
    private Protocol protocol;

    @Option(names = "--plain",
            description = "connect over plain TCP, not TLS (the broker must offer it: twin.mqtt.plain-enabled)")
    private boolean plain;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "the CA certificate (PEM) to check the broker by (default <data-dir>/mqtt/tls/ca.crt, which "
                    + "the platform makes; without it the JVM's trusted CAs)")
    private Path caFile;

    @Option(names = "--device-secret", paramLabel = "SECRET",
            description = "the fleet secret device passwords derive from (default: read "
                    + "<data-dir>/mqtt/device-secret, which the platform writes)")
    private String deviceSecret;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:TWIN_DATA_DIR:-" + DEFAULT_DATA_DIR + "}",
            description = "the platform's data directory (default ${DEFAULT-VALUE}: $TWIN_DATA_DIR, else "
                    + DEFAULT_DATA_DIR + ")")
    private Path dataDir;

    @Option(names = "--platform-url", paramLabel = "URL", defaultValue = "http://localhost:8080",
            description = "where missing twins are created over HTTP (default ${DEFAULT-VALUE})")
    private URI platformUrl;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "the API key (operator or admin) missing twins are created with (default: read "
                    + "<data-dir>/admin-key, which the platform writes)")
    private String apiKey;

    @Option(names = "--no-create",
            description = "do not create missing twins: their devices get get/rejected until someone does")
    private boolean noCreate;

    @Option(names = "--telemetry-interval", paramLabel = "SECONDS", defaultValue = "60", converter = Seconds.class,
            description = "telemetry period until a desired telemetryInterval sets one (default ${DEFAULT-VALUE}; "
                    + "0: none until then)")
    private Duration telemetryInterval;

    @Option(names = "--report-interval", paramLabel = "SECONDS", defaultValue = "0", converter = Seconds.class,
            description = "period of reported temperature and humidity patches (default ${DEFAULT-VALUE}: never)")
    private Duration reportInterval;

    @Option(names = "--state-interval", paramLabel = "SECONDS", defaultValue = "300", converter = Seconds.class,
            description = "period of random allowed state transitions (default ${DEFAULT-VALUE}; 0: never)")
    private Duration stateInterval;

    @Option(names = "--firmware-step", paramLabel = "SECONDS", defaultValue = "2", converter = Seconds.class,
            description = "time between the steps of a firmware update (default ${DEFAULT-VALUE})")
    private Duration firmwareStep;

    @Option(names = "--firmware-version", paramLabel = "VERSION", defaultValue = "1.0.0",
            description = "the firmware devices run until an update; a twin that reports one keeps it (default "
                    + "${DEFAULT-VALUE})")
    private String firmwareVersion;

    @Option(names = "--error-rate", paramLabel = "0..1", defaultValue = "0", converter = Rate.class,
            description = "share of firmware updates that fail, and chance that a running device's state step is a "
                    + "fault to error (default ${DEFAULT-VALUE})")
    private double errorRate;

    @Option(names = "--disconnect-rate", paramLabel = "0..1", defaultValue = "0", converter = Rate.class,
            description = "chance per minute that a device drops its connection without a clean disconnect, so its "
                    + "last will fires (default ${DEFAULT-VALUE})")
    private double disconnectRate;

    @Option(names = "--duplicate-rate", paramLabel = "0..1", defaultValue = "0", converter = Rate.class,
            description = "chance that a reported patch is sent twice with the same clientToken (default "
                    + "${DEFAULT-VALUE})")
    private double duplicateRate;

    @Option(names = "--reconnect-delay", paramLabel = "SECONDS", defaultValue = "5", converter = Seconds.class,
            description = "mean pause before reconnecting after a dropped connection (default ${DEFAULT-VALUE})")
    private Duration reconnectDelay;

    @Option(names = "--connect-rate", paramLabel = "N", defaultValue = "500",
            description = "new connections per second while the fleet starts, so that a large fleet does not hit "
                    + "the broker at once (default ${DEFAULT-VALUE})")
    private int connectRate;

    @Option(names = "--summary-interval", paramLabel = "SECONDS", defaultValue = "10", converter = Seconds.class,
            description = "period of the one-line summary in the log (default ${DEFAULT-VALUE}; 0: never)")
    private Duration summaryInterval;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0", converter = Seconds.class,
            description = "stop after this long (default ${DEFAULT-VALUE}: run until Ctrl-C)")
    private Duration duration;

    @Option(names = "--seed", paramLabel = "N",
            description = "the seed of every random choice, for a repeatable run (default: a random one, logged)")
    private Long seed;

    @Option(names = "--netty-threads", paramLabel = "N", defaultValue = "0",
            description = "threads of the one MQTT event loop all devices share (default ${DEFAULT-VALUE}: the "
                    + "client's default, one per core)")
    private int nettyThreads;

    @Option(names = "--learn-from", paramLabel = "TWIN", split = ",",
            description = "learn the devices' telemetry from these recorded twins before starting: per series and UTC "
                    + "hour of day, the mean and standard deviation of their samples over --days, read with "
                    + "--api-key; their reported properties become the devices' starting reported state (default: "
                    + "none, the synthetic thermostat)")
    private List<String> learnFrom;

    @Option(names = "--days", paramLabel = "N", defaultValue = "7",
            description = "how many days up to now --learn-from reads (default ${DEFAULT-VALUE})")
    private int learnDays;

    @Option(names = "--inject-degradation", paramLabel = "SERIES:START:FAIL:HOURS", converter = DegradationOption.class,
            description = "every device's SERIES rises in a line from START to FAIL over HOURS of simulated time, "
                    + "then stays, with the model's noise on top; repeatable (default: none)")
    private List<Injection.Degradation> degradations;

    @Option(names = "--inject-spikes", paramLabel = "SERIES:COUNT:SIGMAS", converter = SpikesOption.class,
            description = "COUNT spikes of SIGMAS standard deviations on every device's SERIES, at simulated "
                    + "instants drawn from the seed over the run (--duration, else the longest degradation, else a "
                    + "day); repeatable (default: none)")
    private List<Injection.Spikes> spikes;

    @Option(names = "--ground-truth", paramLabel = "JSON-FILE",
            description = "write the injected failure and spike instants per device to this JSON file at start "
                    + "(default: none)")
    private Path groundTruth;

    @Option(names = "--time-scale", paramLabel = "N", defaultValue = "1",
            description = "simulated seconds per real second for telemetry: its ts, its period (--telemetry-interval "
                    + "is simulated seconds) and the injections (default ${DEFAULT-VALUE})")
    private double timeScale;

    @Option(names = "--simulated-start", paramLabel = "INSTANT", converter = InstantOption.class,
            description = "the simulated time at start, ISO-8601; the platform refuses a ts over an hour ahead, so an "
                    + "accelerated run starts in the past (default: now)")
    private Instant simulatedStart;

    @Option(names = "--replay", paramLabel = "TWIN",
            description = "instead of a fleet: publish this twin's recorded reported patches and telemetry between "
                    + "--from and --to again as device --into (default: none)")
    private String replay;

    @Option(names = "--from", paramLabel = "INSTANT", converter = InstantOption.class,
            description = "--replay: the start of the recording, ISO-8601 (default: none, required)")
    private Instant replayFrom;

    @Option(names = "--to", paramLabel = "INSTANT", converter = InstantOption.class,
            description = "--replay: its end, exclusive (default: none, required)")
    private Instant replayTo;

    @Option(names = "--into", paramLabel = "TWIN",
            description = "--replay: the new twin it is published as, created with the source's tags and desired "
                    + "properties as of --from (default: none, required)")
    private String replayInto;

    @Option(names = "--speed", paramLabel = "N", defaultValue = "1",
            description = "--replay: recorded gaps are divided by N; 0 is as fast as possible (default "
                    + "${DEFAULT-VALUE})")
    private double speed;

    @Option(names = "--keep-time",
            description = "--replay: telemetry keeps its recorded ts instead of being shifted so the first is now")
    private boolean keepTime;

    /**
     * The command line of these options. A later option wins over an earlier one, so a caller can pass its own
     * defaults first and the user's options after them.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new SimulatorCommand()).setOverwrittenOptionsAllowed(true)
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** Runs the simulator until Ctrl-C or {@code --duration}; returns 0 once it stopped cleanly. */
    @Override
    public Integer call() {
        SimulatorSettings settings = settings();
        if (settings.replay() != null) {
            try {
                TwinReplay.Outcome outcome = new TwinReplay(settings).run();
                spec.commandLine().getOut().println(outcome);
                return 0;
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("simulate: " + e.getMessage());
                return 1;
            }
        }
        DeviceSimulator simulator;
        try {
            simulator = DeviceSimulator.start(settings);
        } catch (IllegalArgumentException e) {
            // No device secret, or an unreadable port file: the message says which option helps.
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (IllegalStateException e) {
            // The platform could not be read to learn from.
            spec.commandLine().getErr().println("simulate: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }, "twin-simulator-stop"));
        try {
            if (settings.duration().isZero()) {
                stopped.await();
            } else {
                Thread.sleep(settings.duration().toMillis());
                simulator.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            simulator.close();
        }
        return 0;
    }

    /**
     * The parsed options as settings, after the checks no single value's type can make (ranges, twin ids, the
     * secret's length, the URL's scheme); a seed is chosen here when {@code --seed} is not given.
     *
     * @throws ParameterException naming the option and the value
     */
    SimulatorSettings settings() {
        require(devices >= 1, "--devices must be at least 1, got " + devices);
        require(firstIndex >= 0, "--first must not be negative, got " + firstIndex);
        try {
            TwinId.device(idPrefix + "0001");
        } catch (RuntimeException e) {
            throw invalid("--id-prefix '" + idPrefix + "' does not make valid twin ids: " + e.getMessage());
        }
        require(!host.isBlank(), "--host must not be empty");
        require(port >= 0 && port <= 65535,
                "--port must be between 0 (read the port <data-dir>/mqtt has) and 65535, got " + port);
        if (deviceSecret != null) {
            try {
                new DeviceKeys(deviceSecret);
            } catch (IllegalArgumentException e) {
                throw invalid("--device-secret: " + e.getMessage());
            }
        }
        require(platformUrl.getScheme() != null && platformUrl.getScheme().matches("https?")
                        && platformUrl.getHost() != null,
                "--platform-url must be an http or https URL, got '" + platformUrl + "'");
        require(!firmwareStep.isZero(), "--firmware-step must be more than 0");
        require(!firmwareVersion.isBlank(), "--firmware-version must not be empty");
        require(connectRate >= 1, "--connect-rate must be at least 1, got " + connectRate);
        require(nettyThreads >= 0, "--netty-threads must not be negative, got " + nettyThreads);
        List<String> learned = learnFrom == null ? List.of() : learnFrom.stream().map(String::trim).toList();
        for (String twinId : learned) {
            validTwin("--learn-from", twinId);
        }
        require(!learned.isEmpty() || !spec.commandLine().getParseResult().hasMatchedOption("--days"),
                "--days goes with --learn-from");
        require(learnDays >= 1 && learnDays <= MAX_DAYS, "--days must be between 1 and " + MAX_DAYS + ", got "
                + learnDays);
        require(Double.isFinite(timeScale) && timeScale > 0 && timeScale <= MAX_TIME_SCALE,
                "--time-scale must be more than 0 and at most " + (long) MAX_TIME_SCALE + ", got " + timeScale);
        SimulatorSettings.Replay replaying = replay();
        require(replaying == null || learned.isEmpty() && degradations == null && spikes == null
                        && groundTruth == null && timeScale == 1 && simulatedStart == null,
                "--replay publishes a recording: --learn-from, --inject-degradation, --inject-spikes, "
                        + "--ground-truth, --time-scale and --simulated-start are for a fleet");
        String url = platformUrl.toString();
        return new SimulatorSettings(devices, firstIndex, idPrefix, host, port, plain, caFile, deviceSecret, dataDir,
                url.endsWith("/") ? URI.create(url.substring(0, url.length() - 1)) : platformUrl, !noCreate,
                telemetryInterval, reportInterval, stateInterval, firmwareStep, firmwareVersion, errorRate,
                disconnectRate, duplicateRate, reconnectDelay, connectRate, summaryInterval, duration,
                seed != null ? seed : ThreadLocalRandom.current().nextLong(), nettyThreads, protocol, apiKey,
                learned, learnDays, degradations == null ? List.of() : List.copyOf(degradations),
                spikes == null ? List.of() : List.copyOf(spikes), groundTruth, timeScale, simulatedStart, replaying);
    }

    /** The replay options, checked together, or null without {@code --replay}. */
    private SimulatorSettings.Replay replay() {
        if (replay == null) {
            require(replayFrom == null && replayTo == null && replayInto == null && speed == 1 && !keepTime,
                    "--from, --to, --into, --speed and --keep-time go with --replay");
            return null;
        }
        validTwin("--replay", replay);
        require(replayFrom != null, "--replay needs --from");
        require(replayTo != null, "--replay needs --to");
        require(replayFrom.isBefore(replayTo), "--from must be before --to, got " + replayFrom + " and " + replayTo);
        require(replayInto != null, "--replay needs --into, the new twin to publish as");
        validTwin("--into", replayInto);
        require(!replayInto.equals(replay), "--into must be another twin than --replay");
        require(Double.isFinite(speed) && speed >= 0, "--speed must be 0 (as fast as possible) or more, got " + speed);
        return new SimulatorSettings.Replay(replay, replayFrom, replayTo, replayInto, speed, keepTime);
    }

    private void validTwin(String option, String twinId) {
        try {
            TwinId.device(twinId);
        } catch (RuntimeException e) {
            throw invalid(option + " '" + twinId + "' is not a valid twin id: " + e.getMessage());
        }
    }

    private void require(boolean condition, String message) {
        if (!condition) {
            throw invalid(message);
        }
    }

    private ParameterException invalid(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Seconds ({@code 2}, {@code 0.5}) or a number with a unit ({@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}). */
    static final class Seconds implements ITypeConverter<Duration> {

        @Override
        public Duration convert(String value) {
            String text = value.trim().toLowerCase(Locale.ROOT);
            long nanosPerUnit = 1_000_000_000L;
            String number = text;
            if (text.endsWith("ms")) {
                nanosPerUnit = 1_000_000L;
                number = text.substring(0, text.length() - 2);
            } else if (text.endsWith("s")) {
                number = text.substring(0, text.length() - 1);
            } else if (text.endsWith("m")) {
                nanosPerUnit = 60_000_000_000L;
                number = text.substring(0, text.length() - 1);
            } else if (text.endsWith("h")) {
                nanosPerUnit = 3_600_000_000_000L;
                number = text.substring(0, text.length() - 1);
            }
            try {
                BigDecimal amount = new BigDecimal(number);
                if (amount.signum() < 0) {
                    throw new NumberFormatException();
                }
                return Duration.ofNanos(amount.multiply(BigDecimal.valueOf(nanosPerUnit)).longValueExact());
            } catch (NumberFormatException | ArithmeticException e) {
                throw new TypeConversionException("expects seconds that are not negative (2, 0.5, 500ms, 5m), got '"
                        + value + "'");
            }
        }
    }

    /** {@code --inject-degradation}'s {@code SERIES:START:FAIL:HOURS}. */
    static final class DegradationOption implements ITypeConverter<Injection.Degradation> {

        @Override
        public Injection.Degradation convert(String value) {
            try {
                return Injection.Degradation.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --inject-spikes}' {@code SERIES:COUNT:SIGMAS}. */
    static final class SpikesOption implements ITypeConverter<Injection.Spikes> {

        @Override
        public Injection.Spikes convert(String value) {
            try {
                return Injection.Spikes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** An ISO-8601 instant such as {@code 2026-12-01T00:00:00Z}. */
    static final class InstantOption implements ITypeConverter<Instant> {

        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value.trim());
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("expects an ISO-8601 instant such as 2026-12-01T00:00:00Z, got '"
                        + value + "'");
            }
        }
    }

    /** A probability: a number from 0 to 1. */
    static final class Rate implements ITypeConverter<Double> {

        @Override
        public Double convert(String value) {
            double rate;
            try {
                rate = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                rate = Double.NaN;
            }
            if (!(rate >= 0 && rate <= 1)) {
                throw new TypeConversionException("expects a number between 0 and 1, got '" + value + "'");
            }
            return rate;
        }
    }
}
