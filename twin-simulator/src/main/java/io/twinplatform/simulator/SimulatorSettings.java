package io.twinplatform.simulator;

import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.twin.TwinId;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;

/**
 * What a {@link DeviceSimulator} runs: one immutable record, read from command-line options ({@link #parse}) or built
 * in-process ({@code defaults().with("--devices", "10000", ...)}), so that tests and benchmarks start the same
 * simulator the command line does. Every component names its option and default; durations are seconds and may be
 * fractional ({@code 0.5}) or carry a unit ({@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}).
 *
 * @param devices           {@code --devices}: how many devices (default 50)
 * @param firstIndex        {@code --first}: the number of the first device (default 1), so that several simulators
 *                          can split a fleet
 * @param idPrefix          {@code --id-prefix}: twin ids are the prefix and a number of at least four digits (default
 *                          {@code sim-}: {@code sim-0001})
 * @param host              {@code --host}: the MQTT broker (default {@code 127.0.0.1})
 * @param port              {@code --port}: the broker's port; 0 (the default) reads the port the platform's embedded
 *                          broker wrote to {@code <data-dir>/mqtt/tls-port}, and uses 8883 when there is no such
 *                          file (with {@code --plain}: {@code <data-dir>/mqtt/port}, else 1883)
 * @param plain             true with {@code --plain}: devices connect over plain TCP, which the embedded broker
 *                          offers only with {@code twin.mqtt.plain-enabled=true}; by default they connect over TLS
 *                          (1.3 or 1.2) and check the broker's certificate
 * @param caFile            {@code --ca-file}: the CA certificate (PEM) devices check the broker's certificate by;
 *                          null (the default) takes {@code <data-dir>/mqtt/tls/ca.crt}, which the platform makes on
 *                          first start, and the JVM's trusted CAs when there is no such file
 * @param deviceSecret      {@code --device-secret}: the fleet secret device passwords derive from; null (the
 *                          default) reads {@code <data-dir>/mqtt/device-secret}, which the platform writes on first
 *                          start
 * @param dataDir           {@code --data-dir}: the platform's data directory (default {@code $TWIN_DATA_DIR}, else
 *                          {@code ./data})
 * @param platformUrl       {@code --platform-url}: where missing twins are created (default
 *                          {@code http://localhost:8080})
 * @param createTwins       false with {@code --no-create}: devices whose twin does not exist then get
 *                          {@code get/rejected} until someone creates it
 * @param telemetryInterval {@code --telemetry-interval}: how often telemetry goes out until a desired
 *                          {@code telemetryInterval} says otherwise (default 60 s; 0: none until then)
 * @param reportInterval    {@code --report-interval}: how often a device reports its temperature and humidity as
 *                          reported properties (default 0: never)
 * @param stateInterval     {@code --state-interval}: how often a device takes a random allowed state transition
 *                          (default 300 s; 0: never)
 * @param firmwareStep      {@code --firmware-step}: the time between the steps of a firmware update (default 2 s)
 * @param firmwareVersion   {@code --firmware-version}: the version a device runs until an update (default
 *                          {@code 1.0.0}); a twin that already reports one keeps it
 * @param errorRate         {@code --error-rate}: the share of firmware updates that fail, and the chance that a
 *                          running device's state step is a fault to {@code error} (default 0)
 * @param disconnectRate    {@code --disconnect-rate}: the chance per minute that a device drops its connection
 *                          without a clean disconnect, so that its last will fires (default 0)
 * @param duplicateRate     {@code --duplicate-rate}: the chance that a reported patch is published twice with the
 *                          same client token (default 0)
 * @param reconnectDelay    {@code --reconnect-delay}: the mean pause after a dropped connection (default 5 s)
 * @param connectRate       {@code --connect-rate}: new connections per second while the fleet starts, so that a
 *                          large fleet does not hit the broker at once (default 500)
 * @param summaryInterval   {@code --summary-interval}: how often a one-line summary is logged (default 10 s; 0:
 *                          never)
 * @param duration          {@code --duration}: how long the command runs before it stops (default 0: until Ctrl-C);
 *                          in-process, {@link DeviceSimulator#close()} stops it
 * @param seed              {@code --seed}: the seed of every random choice, for a repeatable run (default: a random
 *                          seed, logged at start)
 * @param nettyThreads      {@code --netty-threads}: the threads of the one event loop all devices share (default 0:
 *                          the MQTT client's default, one per core)
 */
public record SimulatorSettings(int devices, int firstIndex, String idPrefix, String host, int port,
                                boolean plain, Path caFile, String deviceSecret, Path dataDir, URI platformUrl,
                                boolean createTwins,
                                Duration telemetryInterval, Duration reportInterval, Duration stateInterval,
                                Duration firmwareStep, String firmwareVersion, double errorRate,
                                double disconnectRate, double duplicateRate, Duration reconnectDelay,
                                int connectRate, Duration summaryInterval, Duration duration, long seed,
                                int nettyThreads) {

    /** The TLS port of a broker when neither {@code --port} nor the platform's port file names one. */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** The plain TCP port of a broker ({@code --plain}) when neither {@code --port} nor a port file names one. */
    public static final int DEFAULT_PLAIN_PORT = 1883;

    public SimulatorSettings {
        require(devices >= 1, "--devices must be at least 1, got " + devices);
        require(firstIndex >= 0, "--first must not be negative, got " + firstIndex);
        require(idPrefix != null, "--id-prefix must be given");
        try {
            TwinId.device(idPrefix + "0001");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--id-prefix '" + idPrefix + "' does not make valid twin ids: "
                    + e.getMessage());
        }
        require(host != null && !host.isBlank(), "--host must not be empty");
        require(port >= 0 && port <= 65535,
                "--port must be between 0 (read the port <data-dir>/mqtt has) and 65535, got " + port);
        if (deviceSecret != null) {
            try {
                new DeviceKeys(deviceSecret);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--device-secret: " + e.getMessage());
            }
        }
        require(dataDir != null, "--data-dir must be given");
        require(platformUrl != null && platformUrl.getScheme() != null
                        && platformUrl.getScheme().matches("https?") && platformUrl.getHost() != null,
                "--platform-url must be an http or https URL, got '" + platformUrl + "'");
        nonNegative(telemetryInterval, "--telemetry-interval");
        nonNegative(reportInterval, "--report-interval");
        nonNegative(stateInterval, "--state-interval");
        nonNegative(firmwareStep, "--firmware-step");
        require(!firmwareStep.isZero(), "--firmware-step must be more than 0");
        require(firmwareVersion != null && !firmwareVersion.isBlank(), "--firmware-version must not be empty");
        rate(errorRate, "--error-rate");
        rate(disconnectRate, "--disconnect-rate");
        rate(duplicateRate, "--duplicate-rate");
        nonNegative(reconnectDelay, "--reconnect-delay");
        require(connectRate >= 1, "--connect-rate must be at least 1, got " + connectRate);
        nonNegative(summaryInterval, "--summary-interval");
        nonNegative(duration, "--duration");
        require(nettyThreads >= 0, "--netty-threads must not be negative, got " + nettyThreads);
    }

    /** Every default, with a fresh random seed. */
    public static SimulatorSettings defaults() {
        String dataDir = System.getenv("TWIN_DATA_DIR");
        return new SimulatorSettings(50, 1, "sim-", "127.0.0.1", 0, false, null, null,
                Path.of(dataDir == null || dataDir.isBlank() ? "data" : dataDir), URI.create("http://localhost:8080"),
                true, Duration.ofSeconds(60), Duration.ZERO, Duration.ofSeconds(300), Duration.ofSeconds(2), "1.0.0",
                0, 0, 0, Duration.ofSeconds(5), 500, Duration.ofSeconds(10), Duration.ZERO,
                ThreadLocalRandom.current().nextLong(), 0);
    }

    /**
     * The defaults with command-line options applied ({@code --name value} or {@code --name=value}).
     *
     * @throws IllegalArgumentException naming the option, when an option is unknown, lacks its value or has a bad
     *                                  one; {@code --help} is not an option here (see {@link #isHelp})
     */
    public static SimulatorSettings parse(String... args) {
        return defaults().with(args);
    }

    /** These settings with options applied, as {@link #parse} applies them to the defaults. */
    public SimulatorSettings with(String... args) {
        Builder builder = new Builder(this);
        List<String> list = Arrays.asList(args);
        for (int i = 0; i < list.size(); i++) {
            String arg = list.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "': options are --name value");
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
            Option option = Option.named(name);
            if (option.flag) {
                if (equals >= 0) {
                    throw new IllegalArgumentException("--" + name + " takes no value");
                }
                option.apply.accept(builder, null);
                continue;
            }
            String value;
            if (equals >= 0) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < list.size() && !list.get(i + 1).startsWith("--")) {
                value = list.get(++i);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value (" + option.help + ")");
            }
            option.apply.accept(builder, value);
        }
        return builder.build();
    }

    /** Whether the command line asks for {@link #usage()}. */
    public static boolean isHelp(String... args) {
        return Arrays.stream(args).anyMatch(arg -> arg.equals("--help") || arg.equals("-h"));
    }

    /** The options, one a line, each with its default. */
    public static String usage() {
        StringBuilder text = new StringBuilder("""
                Usage: java -jar twin-platform.jar simulate [options]

                Starts a fleet of virtual thermostats that speak the platform's MQTT device protocol.
                Options take --name value or --name=value; durations are seconds (0.5, 2, 500ms, 5m, 1h).

                """);
        for (Option option : Option.values()) {
            String name = "--" + option.name + (option.flag ? "" : " " + option.argument);
            text.append(String.format(Locale.ROOT, "  %-28s %s%n", name, option.help));
        }
        text.append(String.format(Locale.ROOT, "  %-28s %s%n", "--help", "prints this"));
        return text.toString();
    }

    /** The twin id of the {@code n}th device (0-based): {@code sim-0001} for the first by default. */
    public String twinId(int n) {
        return idPrefix + String.format(Locale.ROOT, "%04d", firstIndex + n);
    }

    /**
     * The broker's port: {@link #port()}, else the one the platform's embedded broker wrote to
     * {@code <data-dir>/mqtt/tls-port}, else {@value #DEFAULT_TLS_PORT}; with {@link #plain()},
     * {@code <data-dir>/mqtt/port}, else {@value #DEFAULT_PLAIN_PORT}.
     */
    public int resolvePort() {
        if (port > 0) {
            return port;
        }
        Path file = dataDir.resolve("mqtt").resolve(plain ? "port" : "tls-port");
        if (!Files.isRegularFile(file)) {
            return plain ? DEFAULT_PLAIN_PORT : DEFAULT_TLS_PORT;
        }
        try {
            return Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalArgumentException("cannot read the broker port from " + file + ": " + e.getMessage()
                    + " (pass --port)");
        }
    }

    /**
     * The CA certificate devices check the broker by: {@link #caFile()}, else {@code <data-dir>/mqtt/tls/ca.crt} when
     * it exists; empty (the JVM's trusted CAs) otherwise, and with {@link #plain()}.
     *
     * @throws IllegalArgumentException when {@code --ca-file} names no file
     */
    public Optional<Path> resolveCaFile() {
        if (plain) {
            return Optional.empty();
        }
        if (caFile != null) {
            if (!Files.isRegularFile(caFile)) {
                throw new IllegalArgumentException("--ca-file: " + caFile.toAbsolutePath() + " is not a file");
            }
            return Optional.of(caFile);
        }
        Path file = dataDir.resolve("mqtt").resolve("tls").resolve("ca.crt");
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * The fleet secret: {@link #deviceSecret()}, else the content of {@code <data-dir>/mqtt/device-secret}, trimmed.
     *
     * @throws IllegalArgumentException when neither is there: the platform writes the file on its first start
     */
    public String resolveSecret() {
        if (deviceSecret != null) {
            return deviceSecret;
        }
        Path file = dataDir.resolve("mqtt").resolve("device-secret");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no device secret: " + file.toAbsolutePath() + " does not exist; "
                    + "start the platform once (it writes the file), set TWIN_DATA_DIR or --data-dir to its data "
                    + "directory, or pass --device-secret");
        }
        try {
            String secret = Files.readString(file, StandardCharsets.UTF_8).trim();
            new DeviceKeys(secret);
            return secret;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the device secret from " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void nonNegative(Duration duration, String option) {
        require(duration != null && !duration.isNegative(), option + " must not be negative, got " + duration);
    }

    private static void rate(double rate, String option) {
        require(rate >= 0 && rate <= 1, option + " must be between 0 and 1, got " + rate);
    }

    /** The command-line options, in the order {@link #usage()} lists them. */
    private enum Option {
        DEVICES("devices", "N", "how many devices (default 50)", (b, v) -> b.devices = integer("devices", v)),
        FIRST("first", "N", "the number of the first device (default 1)",
                (b, v) -> b.firstIndex = integer("first", v)),
        ID_PREFIX("id-prefix", "TEXT", "twin ids are this and a number: sim-0001 (default sim-)",
                (b, v) -> b.idPrefix = v),
        HOST("host", "HOST", "the MQTT broker (default 127.0.0.1)", (b, v) -> b.host = v),
        PORT("port", "PORT", "its port (default: <data-dir>/mqtt/tls-port, else 8883; --plain: mqtt/port, else 1883)",
                (b, v) -> b.port = integer("port", v)),
        PLAIN("plain", null, "connect over plain TCP, not TLS (the broker must offer it)", (b, v) -> b.plain = true),
        CA_FILE("ca-file", "FILE", "CA certificate to check the broker by (default <data-dir>/mqtt/tls/ca.crt)",
                (b, v) -> b.caFile = Path.of(v)),
        DEVICE_SECRET("device-secret", "SECRET", "the fleet secret (default: <data-dir>/mqtt/device-secret)",
                (b, v) -> b.deviceSecret = v),
        DATA_DIR("data-dir", "DIR", "the platform's data directory (default $TWIN_DATA_DIR, else ./data)",
                (b, v) -> b.dataDir = Path.of(v)),
        PLATFORM_URL("platform-url", "URL", "where missing twins are created (default http://localhost:8080)",
                (b, v) -> b.platformUrl = uri(v)),
        NO_CREATE("no-create", null, "do not create missing twins over HTTP", (b, v) -> b.createTwins = false),
        TELEMETRY_INTERVAL("telemetry-interval", "SECONDS",
                "telemetry period until desired telemetryInterval sets one (default 60; 0: none)",
                (b, v) -> b.telemetryInterval = duration("telemetry-interval", v)),
        REPORT_INTERVAL("report-interval", "SECONDS", "period of reported temperature patches (default 0: off)",
                (b, v) -> b.reportInterval = duration("report-interval", v)),
        STATE_INTERVAL("state-interval", "SECONDS", "period of random state transitions (default 300; 0: off)",
                (b, v) -> b.stateInterval = duration("state-interval", v)),
        FIRMWARE_STEP("firmware-step", "SECONDS", "time between firmware update steps (default 2)",
                (b, v) -> b.firmwareStep = duration("firmware-step", v)),
        FIRMWARE_VERSION("firmware-version", "VERSION", "the firmware devices start with (default 1.0.0)",
                (b, v) -> b.firmwareVersion = v),
        ERROR_RATE("error-rate", "0..1", "share of failing firmware updates and running->error faults (default 0)",
                (b, v) -> b.errorRate = rate("error-rate", v)),
        DISCONNECT_RATE("disconnect-rate", "0..1", "chance per minute of an abrupt disconnect (default 0)",
                (b, v) -> b.disconnectRate = rate("disconnect-rate", v)),
        DUPLICATE_RATE("duplicate-rate", "0..1", "chance a reported patch is sent twice, same clientToken (default 0)",
                (b, v) -> b.duplicateRate = rate("duplicate-rate", v)),
        RECONNECT_DELAY("reconnect-delay", "SECONDS", "mean pause before reconnecting after a drop (default 5)",
                (b, v) -> b.reconnectDelay = duration("reconnect-delay", v)),
        CONNECT_RATE("connect-rate", "N", "new connections per second at start (default 500)",
                (b, v) -> b.connectRate = integer("connect-rate", v)),
        SUMMARY_INTERVAL("summary-interval", "SECONDS", "period of the summary log line (default 10; 0: off)",
                (b, v) -> b.summaryInterval = duration("summary-interval", v)),
        DURATION("duration", "SECONDS", "stop after this long (default 0: run until Ctrl-C)",
                (b, v) -> b.duration = duration("duration", v)),
        SEED("seed", "N", "seed of every random choice (default: random, logged)",
                (b, v) -> b.seed = longValue("seed", v)),
        NETTY_THREADS("netty-threads", "N", "threads of the shared MQTT event loop (default: one per core)",
                (b, v) -> b.nettyThreads = integer("netty-threads", v));

        final String name;
        final String argument;
        final String help;
        final boolean flag;
        final BiConsumer<Builder, String> apply;

        Option(String name, String argument, String help, BiConsumer<Builder, String> apply) {
            this.name = name;
            this.argument = argument;
            this.help = help;
            this.flag = argument == null;
            this.apply = apply;
        }

        static Option named(String name) {
            for (Option option : values()) {
                if (option.name.equals(name)) {
                    return option;
                }
            }
            throw new IllegalArgumentException("unknown option --" + name + " (--help lists the options)");
        }
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + option + " expects a whole number, got '" + value + "'");
        }
    }

    private static long longValue(String option, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + option + " expects a whole number, got '" + value + "'");
        }
    }

    private static double rate(String option, String value) {
        double rate;
        try {
            rate = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            rate = Double.NaN;
        }
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("--" + option + " expects a number between 0 and 1, got '" + value
                    + "'");
        }
        return rate;
    }

    /** Seconds ({@code 2}, {@code 0.5}) or a number with a unit ({@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}). */
    static Duration duration(String option, String value) {
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
            throw new IllegalArgumentException("--" + option + " expects seconds that are not negative (2, 0.5, "
                    + "500ms, 5m), got '" + value + "'");
        }
    }

    private static URI uri(String value) {
        try {
            return URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--platform-url expects a URL, got '" + value + "'");
        }
    }

    /** The one mutable step of parsing: options land here, then the record's checks run once, in {@link #build}. */
    private static final class Builder {
        int devices;
        int firstIndex;
        String idPrefix;
        String host;
        int port;
        boolean plain;
        Path caFile;
        String deviceSecret;
        Path dataDir;
        URI platformUrl;
        boolean createTwins;
        Duration telemetryInterval;
        Duration reportInterval;
        Duration stateInterval;
        Duration firmwareStep;
        String firmwareVersion;
        double errorRate;
        double disconnectRate;
        double duplicateRate;
        Duration reconnectDelay;
        int connectRate;
        Duration summaryInterval;
        Duration duration;
        long seed;
        int nettyThreads;

        Builder(SimulatorSettings from) {
            devices = from.devices;
            firstIndex = from.firstIndex;
            idPrefix = from.idPrefix;
            host = from.host;
            port = from.port;
            plain = from.plain;
            caFile = from.caFile;
            deviceSecret = from.deviceSecret;
            dataDir = from.dataDir;
            platformUrl = from.platformUrl;
            createTwins = from.createTwins;
            telemetryInterval = from.telemetryInterval;
            reportInterval = from.reportInterval;
            stateInterval = from.stateInterval;
            firmwareStep = from.firmwareStep;
            firmwareVersion = from.firmwareVersion;
            errorRate = from.errorRate;
            disconnectRate = from.disconnectRate;
            duplicateRate = from.duplicateRate;
            reconnectDelay = from.reconnectDelay;
            connectRate = from.connectRate;
            summaryInterval = from.summaryInterval;
            duration = from.duration;
            seed = from.seed;
            nettyThreads = from.nettyThreads;
        }

        SimulatorSettings build() {
            return new SimulatorSettings(devices, firstIndex, idPrefix, host, port, plain, caFile, deviceSecret,
                    dataDir, platformUrl, createTwins, telemetryInterval, reportInterval, stateInterval, firmwareStep,
                    firmwareVersion, errorRate, disconnectRate, duplicateRate, reconnectDelay, connectRate,
                    summaryInterval, duration, seed, nettyThreads);
        }
    }
}
