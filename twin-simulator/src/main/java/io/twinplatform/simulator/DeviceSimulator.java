package io.twinplatform.simulator;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import com.hivemq.client.mqtt.MqttClientExecutorConfigBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.DeviceTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running fleet of virtual devices ({@link SimulatedDevice}), each its own MQTT 5 connection speaking the device
 * protocol of {@code --protocol} (docs/devices.md): the platform's own, Azure IoT Hub's or AWS IoT Device Shadow's,
 * over TLS unless {@code --plain}. All connections share one netty event loop and
 * one scheduler, so ten thousand devices fit in one JVM. For a benchmark:
 * <pre>{@code
 * try (DeviceSimulator fleet = DeviceSimulator.start(SimulatorSettings.parse("--devices", "10000",
 *         "--port", "8883", "--ca-file", "data/mqtt/tls/ca.crt", "--device-secret", secret, "--no-create",
 *         "--report-interval", "2", "--telemetry-interval", "0", "--state-interval", "0", "--connect-rate", "2000"))) {
 *     fleet.awaitConnected(Duration.ofMinutes(2));
 *     ... fleet.stats().reportedAccepted() ...
 * }
 * }</pre>
 * 10,000 devices reporting every 2 s are 5,000 reported patches per second, spread evenly over each period.
 */
public final class DeviceSimulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeviceSimulator.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);

    private final SimulatorSettings settings;
    private final List<DeviceConnection> connections;
    private final ScheduledThreadPoolExecutor scheduler;
    private final SimulatorCounters counters;
    private final AtomicBoolean closed = new AtomicBoolean();
    private SimulatorStats lastSummary;
    private long lastSummaryNanos;

    private DeviceSimulator(SimulatorSettings settings, List<DeviceConnection> connections,
                            ScheduledThreadPoolExecutor scheduler, SimulatorCounters counters) {
        this.settings = settings;
        this.connections = connections;
        this.scheduler = scheduler;
        this.counters = counters;
    }

    /**
     * Creates missing twins (unless {@code --no-create}), then connects the devices at {@code --connect-rate} per
     * second and returns at once; {@link #awaitConnected} waits for them.
     *
     * @throws IllegalArgumentException when there is no device secret or the port file cannot be read
     */
    public static DeviceSimulator start(SimulatorSettings settings) {
        String secret = settings.resolveSecret();
        int port = settings.resolvePort();
        MqttClientSslConfig tls = settings.plain() ? null : tls(settings.resolveCaFile());
        List<String> twinIds = new ArrayList<>(settings.devices());
        for (int i = 0; i < settings.devices(); i++) {
            twinIds.add(settings.twinId(i));
        }
        log.info("simulating {} {} devices ({} … {}) at {}:{} {}, seed {}", twinIds.size(),
                settings.protocol().name().toLowerCase(Locale.ROOT), twinIds.get(0), twinIds.get(twinIds.size() - 1),
                settings.host(), port, settings.plain() ? "over plain TCP"
                        : "over TLS, trusting " + settings.resolveCaFile().map(Path::toString).orElse("the JVM's CAs"),
                settings.seed());
        if (settings.createTwins()) {
            TwinProvisioner.Outcome outcome = new TwinProvisioner(settings.platformUrl(),
                    settings.resolveApiKey().orElse(null)).createMissing(twinIds);
            log.info("twins at {}: {} created, {} existed already", settings.platformUrl(), outcome.created(),
                    outcome.existed());
        }

        Learned learned = settings.learnFrom().isEmpty() ? null : learn(settings);

        AtomicInteger threadNumber = new AtomicInteger();
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(
                Math.max(2, Runtime.getRuntime().availableProcessors()), runnable -> {
            Thread thread = new Thread(runnable, "twin-simulator-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        MqttClientExecutorConfigBuilder executorConfig = MqttClientExecutorConfig.builder();
        if (settings.nettyThreads() > 0) {
            executorConfig.nettyThreads(settings.nettyThreads());
        }
        MqttClientExecutorConfig executors = executorConfig.build();

        SimulatorCounters counters = new SimulatorCounters();
        DeviceKeys keys = new DeviceKeys(secret);
        Random seeds = new Random(settings.seed());
        String runId = Long.toString(System.currentTimeMillis(), 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
        Clock clock = Clock.systemUTC();
        ZoneId zone = ZoneId.systemDefault();
        AtomicBoolean warnedOnce = new AtomicBoolean();
        Instant now = clock.instant();
        SimulatedTime time = new SimulatedTime(now, settings.simulatedStart() != null ? settings.simulatedStart() : now,
                settings.timeScale());
        // With --ground-truth every device is listed, also one without faults.
        boolean injecting = !settings.degradations().isEmpty() || !settings.spikes().isEmpty()
                || settings.groundTruth() != null;
        Map<String, InjectedTelemetry> injected = new LinkedHashMap<>();
        List<DeviceConnection> connections = new ArrayList<>(twinIds.size());
        for (String twinId : twinIds) {
            Random random = new Random(seeds.nextLong());
            TemperatureModel climate = TemperatureModel.forDevice(random, zone);
            TelemetryModel telemetry = learned != null ? learned.profile() : TelemetryModel.climate(climate);
            if (injecting) {
                InjectedTelemetry faults = new InjectedTelemetry(telemetry, settings.degradations(),
                        InjectedTelemetry.plan(settings.spikes(), new Random(random.nextLong()),
                                time.simulatedStart(), spikeWindow(settings)), time.simulatedStart());
                injected.put(twinId, faults);
                telemetry = faults;
            }
            SimulatedDevice device = new SimulatedDevice(twinId, settings, random, climate, telemetry, time,
                    learned != null ? learned.reported() : JsonNodeFactory.instance.objectNode(), runId, counters,
                    now);
            DeviceProtocol protocol = DeviceProtocol.of(settings.protocol(), twinId, settings.host(), keys, clock);
            connections.add(new DeviceConnection(device, protocol, settings.host(), port, tls, executors, scheduler,
                    counters, settings.reconnectDelay(), warnedOnce, clock));
        }
        if (settings.groundTruth() != null) {
            GroundTruth.write(settings.groundTruth(), settings.seed(), time, injected);
            log.info("ground truth of {} devices written to {}", injected.size(), settings.groundTruth());
        }
        DeviceSimulator simulator = new DeviceSimulator(settings, connections, scheduler, counters);
        long spacing = 1_000_000_000L / settings.connectRate();
        for (int i = 0; i < connections.size(); i++) {
            DeviceConnection connection = connections.get(i);
            scheduler.schedule(connection::connect, i * spacing, TimeUnit.NANOSECONDS);
        }
        if (!settings.summaryInterval().isZero()) {
            long period = settings.summaryInterval().toNanos();
            scheduler.scheduleAtFixedRate(simulator::logSummary, period, period, TimeUnit.NANOSECONDS);
        }
        return simulator;
    }

    /** What {@code --learn-from} learned: the telemetry's hourly profile and the reported state to start from. */
    record Learned(HourlyProfile profile, ObjectNode reported) {
    }

    /**
     * Reads the {@code --learn-from} twins' samples over the last {@code --days} and their reported properties.
     *
     * @throws IllegalArgumentException when they recorded no telemetry in that time
     * @throws IllegalStateException    when the platform cannot be read
     */
    static Learned learn(SimulatorSettings settings) {
        PlatformClient platform = new PlatformClient(settings.platformUrl(), settings.resolveApiKey().orElse(null));
        Instant to = Instant.now();
        Instant from = to.minus(Duration.ofDays(settings.learnDays()));
        List<HourlyProfile.Sample> samples = new ArrayList<>();
        ObjectNode reported = JsonNodeFactory.instance.objectNode();
        for (String twinId : settings.learnFrom()) {
            samples.addAll(platform.samples(twinId, from, to));
            JsonNode values = platform.twin(twinId, null).path("properties").path("reported");
            // The first twin that reports a key gives its value.
            values.fields().forEachRemaining(field -> {
                if (!field.getKey().startsWith("$") && !reported.has(field.getKey())) {
                    reported.set(field.getKey(), field.getValue().deepCopy());
                }
            });
        }
        HourlyProfile profile = HourlyProfile.learn(samples);
        if (profile.isEmpty()) {
            throw new IllegalArgumentException("--learn-from " + String.join(",", settings.learnFrom())
                    + ": no telemetry recorded in the last " + settings.learnDays() + " days (--days)");
        }
        log.info("learned {} series ({}) from {} samples of {} over {} days, and {} reported properties",
                profile.series().size(), String.join(", ", profile.series()), samples.size(),
                String.join(",", settings.learnFrom()), settings.learnDays(), reported.size());
        return new Learned(profile, reported);
    }

    /**
     * The simulated time spikes are spread over: the run ({@code --duration} times {@code --time-scale}), else the
     * longest degradation, else a day.
     */
    static Duration spikeWindow(SimulatorSettings settings) {
        if (!settings.duration().isZero()) {
            return Duration.ofNanos((long) Math.min(Long.MAX_VALUE / 2.0,
                    settings.duration().toNanos() * settings.timeScale()));
        }
        return settings.degradations().stream().map(Injection.Degradation::toFailure).max(Duration::compareTo)
                .orElse(Duration.ofDays(1));
    }

    /** TLS as a device has it: trusting exactly the CA file it was given, else the JVM's trusted CAs. */
    static MqttClientSslConfig tls(Optional<Path> caFile) {
        MqttClientSslConfigBuilder builder = MqttClientSslConfig.builder().protocols(DeviceTls.PROTOCOLS);
        caFile.ifPresent(file -> builder.trustManagerFactory(DeviceTls.trustManagerFactory(file)));
        return builder.build();
    }

    public SimulatorSettings settings() {
        return settings;
    }

    /** The twin ids of the simulated devices, in order. */
    public List<String> twinIds() {
        return connections.stream().map(DeviceConnection::twinId).toList();
    }

    /**
     * Ends the {@code n}th device's connection abruptly (0-based), as {@code --disconnect-rate} does: the broker
     * publishes its last will, and it reconnects after about {@code --reconnect-delay}. Does nothing while it is not
     * connected.
     */
    public void drop(int n) {
        connections.get(n).drop();
    }

    /** The counters since start; cheap enough to poll. */
    public SimulatorStats stats() {
        return counters.snapshot(connections.size());
    }

    /**
     * Starts the publish → {@code reported/accepted} latency afresh, so that a benchmark measures its steady state
     * without the fleet's start (whose first reports meet a cold platform). The counts are not reset: take their
     * differences.
     */
    public void resetLatency() {
        counters.latency.reset();
    }

    /**
     * Waits until every device is connected and has received its twin ({@code get/accepted}) at least once.
     *
     * @return false when {@code timeout} passed first
     */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            SimulatorStats stats = stats();
            if (stats.connected() == stats.devices() && stats.getAccepted() >= stats.devices()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /**
     * Disconnects every device the way a switched-off device leaves ({@code {"state":"Disconnected"}}, then a clean
     * disconnect), waiting up to 15 s in all; a second call does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.getQueue().clear();
        List<CompletableFuture<Void>> goodbyes = connections.stream().map(DeviceConnection::close).toList();
        try {
            CompletableFuture.allOf(goodbyes.toArray(CompletableFuture[]::new))
                    .get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("not every device disconnected within {}", CLOSE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.debug("a device did not disconnect cleanly", e);
        }
        scheduler.shutdownNow();
        log.info("stopped: {}", summary(stats(), null, 0));
    }

    private void logSummary() {
        SimulatorStats stats = stats();
        long nanos = System.nanoTime();
        String line = summary(stats, lastSummary, (nanos - lastSummaryNanos) / 1e9);
        lastSummary = stats;
        lastSummaryNanos = nanos;
        log.info(line);
    }

    /** One line: connections, traffic (with rates since {@code previous}), answers, faults, latency. */
    static String summary(SimulatorStats stats, SimulatorStats previous, double seconds) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%d/%d connected, published %d",
                stats.connected(), stats.devices(), stats.published()));
        if (previous != null && seconds > 0) {
            line.append(String.format(Locale.ROOT, " (%.1f/s)", (stats.published() - previous.published()) / seconds));
        }
        if (stats.publishFailures() > 0) {
            line.append(", ").append(stats.publishFailures()).append(" failed");
        }
        line.append(String.format(Locale.ROOT, "; reported %d accepted %d rejected %d", stats.reported(),
                stats.reportedAccepted(), stats.reportedRejected()));
        if (stats.latencyP50() != null) {
            line.append(String.format(Locale.ROOT, " (p50 %.1f ms, p99 %.1f ms)", stats.latencyP50().toNanos() / 1e6,
                    stats.latencyP99().toNanos() / 1e6));
        }
        line.append(String.format(Locale.ROOT, "; telemetry %d; desired %d (stale %d); get %d/%d rejected",
                stats.telemetry(), stats.desiredReceived(), stats.desiredStale(), stats.getRejected(),
                stats.getAccepted() + stats.getRejected()));
        if (stats.otherRejected() > 0) {
            line.append(", telemetry or connection rejected ").append(stats.otherRejected());
        }
        line.append(String.format(Locale.ROOT, "; states %d; firmware %d (failed %d)", stats.stateChanges(),
                stats.firmwareUpdates(), stats.firmwareFailures()));
        line.append(String.format(Locale.ROOT, "; duplicates %d, drops %d, reconnects %d", stats.duplicates(),
                stats.drops(), stats.reconnects()));
        if (stats.connectFailures() > 0) {
            line.append(", connect failures ").append(stats.connectFailures());
        }
        return line.toString();
    }
}
