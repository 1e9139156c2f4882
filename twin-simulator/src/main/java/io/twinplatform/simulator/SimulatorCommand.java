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
 * Exit codes: 0 after a clean stop, 2 for a bad option or a missing device secret. Logs through SLF4J; whoever starts
 * it configures the logging backend.
 */
@Command(name = "simulate", sortOptions = false, abbreviateSynopsis = true, usageHelpWidth = 100,
        description = {"Starts a fleet of virtual thermostats that speak an MQTT device protocol (--protocol).",
                "Options take --name value or --name=value; a later one wins. Durations (SECONDS) are seconds",
                "(2, 0.5) or carry a unit (500ms, 2s, 5m, 1h)."})
public final class SimulatorCommand implements Callable<Integer> {

    /** The data directory without {@code TWIN_DATA_DIR}, relative to the working directory, as the platform has it. */
    static final String DEFAULT_DATA_DIR = "data";

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
        DeviceSimulator simulator;
        try {
            simulator = DeviceSimulator.start(settings);
        } catch (IllegalArgumentException e) {
            // No device secret, or an unreadable port file: the message says which option helps.
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
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
        String url = platformUrl.toString();
        return new SimulatorSettings(devices, firstIndex, idPrefix, host, port, plain, caFile, deviceSecret, dataDir,
                url.endsWith("/") ? URI.create(url.substring(0, url.length() - 1)) : platformUrl, !noCreate,
                telemetryInterval, reportInterval, stateInterval, firmwareStep, firmwareVersion, errorRate,
                disconnectRate, duplicateRate, reconnectDelay, connectRate, summaryInterval, duration,
                seed != null ? seed : ThreadLocalRandom.current().nextLong(), nettyThreads, protocol, apiKey);
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
