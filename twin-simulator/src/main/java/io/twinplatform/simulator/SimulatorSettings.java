package io.twinplatform.simulator;

import io.twinplatform.api.device.DeviceKeys;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a {@link DeviceSimulator} runs: one immutable record, made from command-line options by {@link #parse}, in
 * process as on the command line ({@code parse("--devices", "10000", ...)}), so that tests and benchmarks start the
 * same simulator the command line does. Each component is the value of the {@link SimulatorCommand} option of the
 * same name, where its meaning, default and checks are written once. The constructor checks nothing: {@code parse}
 * does.
 *
 * @param devices           {@code --devices}
 * @param firstIndex        {@code --first}
 * @param idPrefix          {@code --id-prefix}
 * @param host              {@code --host}
 * @param port              {@code --port}; 0 reads the port file ({@link #resolvePort})
 * @param plain             {@code --plain}
 * @param caFile            {@code --ca-file}, or null ({@link #resolveCaFile})
 * @param deviceSecret      {@code --device-secret}, or null ({@link #resolveSecret})
 * @param dataDir           {@code --data-dir}
 * @param platformUrl       {@code --platform-url}, without a trailing slash
 * @param createTwins       false with {@code --no-create}
 * @param telemetryInterval {@code --telemetry-interval}
 * @param reportInterval    {@code --report-interval}
 * @param stateInterval     {@code --state-interval}
 * @param firmwareStep      {@code --firmware-step}
 * @param firmwareVersion   {@code --firmware-version}
 * @param errorRate         {@code --error-rate}
 * @param disconnectRate    {@code --disconnect-rate}
 * @param duplicateRate     {@code --duplicate-rate}
 * @param reconnectDelay    {@code --reconnect-delay}
 * @param connectRate       {@code --connect-rate}
 * @param summaryInterval   {@code --summary-interval}
 * @param duration          {@code --duration}; in-process, {@link DeviceSimulator#close()} stops the simulator
 * @param seed              {@code --seed}, or the random seed chosen without it
 * @param nettyThreads      {@code --netty-threads}
 * @param protocol          {@code --protocol}
 * @param apiKey            {@code --api-key}, or null ({@link #resolveApiKey})
 * @param learnFrom         {@code --learn-from}, empty without it
 * @param learnDays         {@code --days}
 * @param degradations      {@code --inject-degradation}, each given
 * @param spikes            {@code --inject-spikes}, each given
 * @param groundTruth       {@code --ground-truth}, or null
 * @param timeScale         {@code --time-scale}
 * @param simulatedStart    {@code --simulated-start}, or null (the fleet's start)
 * @param replay            {@code --replay} and its options, or null
 */
public record SimulatorSettings(int devices, int firstIndex, String idPrefix, String host, int port,
                                boolean plain, Path caFile, String deviceSecret, Path dataDir, URI platformUrl,
                                boolean createTwins,
                                Duration telemetryInterval, Duration reportInterval, Duration stateInterval,
                                Duration firmwareStep, String firmwareVersion, double errorRate,
                                double disconnectRate, double duplicateRate, Duration reconnectDelay,
                                int connectRate, Duration summaryInterval, Duration duration, long seed,
                                int nettyThreads, Protocol protocol, String apiKey,
                                List<String> learnFrom, int learnDays, List<Injection.Degradation> degradations,
                                List<Injection.Spikes> spikes, Path groundTruth, double timeScale,
                                Instant simulatedStart, Replay replay) {

    /**
     * {@code --replay source --from --to --into [--speed] [--keep-time]}: the recorded device's reported patches and
     * telemetry in {@code [from, to)}, published again as device {@code into}.
     *
     * @param speed    recorded gaps are divided by it; 0 publishes as fast as the platform answers
     * @param keepTime telemetry keeps its recorded {@code ts}; otherwise they are shifted so the first is now
     */
    public record Replay(String source, Instant from, Instant to, String into, double speed, boolean keepTime) {
    }

    /** The TLS port of a broker when neither {@code --port} nor the platform's port file names one. */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** The plain TCP port of a broker ({@code --plain}) when neither {@code --port} nor a port file names one. */
    public static final int DEFAULT_PLAIN_PORT = 1883;

    /**
     * The {@code simulate} options {@code args} (none: every default) as settings. As on the command line, a later
     * option wins over an earlier one; {@code --help} is not looked at.
     *
     * @throws CommandLine.ParameterException naming the option, when an option is unknown, lacks its value or has a
     *                                        bad one
     */
    public static SimulatorSettings parse(String... args) {
        CommandLine commandLine = SimulatorCommand.commandLine();
        commandLine.parseArgs(args);
        return commandLine.<SimulatorCommand>getCommand().settings();
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
     * The key twins are created with: {@link #apiKey()}, else the bootstrap admin key the platform wrote to
     * {@code <data-dir>/admin-key}, trimmed; empty when neither is there (creating then fails with 401, which the
     * simulator logs).
     *
     * @throws UncheckedIOException when the file is there but cannot be read
     */
    public Optional<String> resolveApiKey() {
        if (apiKey != null) {
            return Optional.of(apiKey);
        }
        Path file = dataDir.resolve("admin-key");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API key from " + file, e);
        }
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
}
