package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.simulator.DeviceAction.Drop;
import io.twinplatform.simulator.DeviceAction.Publish;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One virtual thermostat, without any I/O: it is told that it connected, what arrived and what time it is, and
 * answers with the messages to publish ({@link DeviceAction}). Time only moves when a caller passes a later
 * {@code now}, and every random choice comes from the {@link Random} it was given, so a test can step through a
 * device's life deterministically. Not thread-safe: its connection calls it under a lock.
 * <p>
 * The protocol side it implements (docs/devices.md): on every connect it publishes its birth message and a
 * {@code get}; it applies a desired section only when its {@code $version} is above the one it holds (Azure's rule,
 * which makes notifications queued while it was away harmless); after applying one it reports the values it honours
 * and {@code configVersion}. It honours a positive number {@code telemetryInterval} (seconds), treats
 * {@code firmwareVersion} as an update to run, and echoes every other desired key, so that a configuration reaches
 * {@code inSync}. On its first {@code get/accepted} it takes over the {@code state} and {@code firmwareVersion} its
 * twin reports, as a real device would still know them after a restart.
 * <p>
 * Its telemetry is every series of its {@link TelemetryModel} (the synthetic climate by default, a learned
 * {@link HourlyProfile}, either with injected faults), sampled at the {@link SimulatedTime} of the moment and stamped
 * with it as {@code ts}; the telemetry period is simulated time too. Reported temperature and humidity
 * ({@code --report-interval}) stay the synthetic climate's.
 */
final class SimulatedDevice {

    static final String TELEMETRY_INTERVAL = "telemetryInterval";
    static final String FIRMWARE_VERSION = "firmwareVersion";
    /** A device that sent {@code get} and heard nothing asks again after this long. */
    static final Duration GET_RETRY = Duration.ofSeconds(30);
    /** {@code --disconnect-rate} is a chance per this period. */
    static final Duration DISCONNECT_PERIOD = Duration.ofMinutes(1);

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> HANDLED_KEYS = Set.of(TELEMETRY_INTERVAL, FIRMWARE_VERSION);
    /** Reported keys the device states itself, so a learned value of them is not taken over. */
    private static final Set<String> OWN_KEYS = Set.of(TELEMETRY_INTERVAL, FIRMWARE_VERSION, "state", "firmware",
            "configVersion", "clientToken");

    /** The {@code firmware.status} values a device reports. */
    enum Firmware {
        CURRENT, DOWNLOADING, APPLYING, ERROR;

        /** As reported: {@code Current}, {@code Downloading}, ... */
        String text() {
            return name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
        }
    }

    private final String twinId;
    private final SimulatorSettings settings;
    private final Random random;
    private final TemperatureModel climate;
    private final TelemetryModel telemetry;
    private final SimulatedTime time;
    private final ObjectNode learnedReported;
    private final StateWalker walker;
    private final String tokenPrefix;
    private final SimulatorCounters counters;
    private long sequence;

    private boolean connected;
    private boolean synced;
    private boolean everSynced;
    private boolean reportedLearned;
    private long desiredVersion = -1;
    private Set<String> echoed = Set.of();
    private JsonNode desiredTelemetryInterval;
    private Duration telemetryInterval;

    private String state = StateWalker.INITIAL;
    private String firmwareVersion;
    private Firmware firmware = Firmware.CURRENT;
    private String updatingTo;
    private String firmwareError;
    /** Whether reported {@code firmware.error} may hold a message, which a merge patch removes only with a null. */
    private boolean errorInReported;

    private Instant nextTelemetry;
    private Instant nextReport;
    private Instant nextState;
    private Instant nextFirmwareStep;
    private Instant nextDisconnectCheck;
    private Instant nextGet;

    /**
     * A device that has not connected yet. Its periodic timers start at a random point of their first period, so
     * that a fleet started at once spreads its load evenly.
     *
     * @param runId distinguishes this run's client tokens from an earlier run's, which the twin may still remember
     */
    SimulatedDevice(String twinId, SimulatorSettings settings, Random random, TemperatureModel climate, String runId,
                    SimulatorCounters counters, Instant now) {
        this(twinId, settings, random, climate, TelemetryModel.climate(climate), SimulatedTime.real(now),
                JSON.objectNode(), runId, counters, now);
    }

    /**
     * A device whose telemetry follows {@code telemetry} in simulated {@code time}, and which starts its reported
     * state from {@code learnedReported} ({@code --learn-from}) where its twin does not report a key already.
     */
    SimulatedDevice(String twinId, SimulatorSettings settings, Random random, TemperatureModel climate,
                    TelemetryModel telemetry, SimulatedTime time, ObjectNode learnedReported, String runId,
                    SimulatorCounters counters, Instant now) {
        this.twinId = twinId;
        this.settings = settings;
        this.random = random;
        this.climate = climate;
        this.telemetry = telemetry;
        this.time = time;
        this.learnedReported = learnedReported;
        this.walker = StateWalker.DEFAULT;
        this.tokenPrefix = runId + "-";
        this.counters = counters;
        this.firmwareVersion = settings.firmwareVersion();
        this.telemetryInterval = settings.telemetryInterval();
        this.nextTelemetry = firstTime(now, time.realPeriod(telemetryInterval));
        this.nextReport = firstTime(now, settings.reportInterval());
        this.nextState = firstTime(now, settings.stateInterval());
        this.nextDisconnectCheck = settings.disconnectRate() > 0 ? firstTime(now, DISCONNECT_PERIOD) : null;
    }

    String twinId() {
        return twinId;
    }

    String state() {
        return state;
    }

    String firmwareVersion() {
        return firmwareVersion;
    }

    Firmware firmware() {
        return firmware;
    }

    long desiredVersion() {
        return desiredVersion;
    }

    Duration telemetryInterval() {
        return telemetryInterval;
    }

    /** The earliest time {@link #tick} has something to do, or null when nothing is due ever. */
    Instant nextWakeUp() {
        return Stream.of(nextTelemetry, nextReport, nextState, nextFirmwareStep, nextDisconnectCheck, nextGet)
                .filter(Objects::nonNull).min(Instant::compareTo).orElse(null);
    }

    /** The connection is up and subscribed: the birth message, then a {@code get} for the whole twin. */
    List<DeviceAction> connected(Instant now) {
        connected = true;
        synced = false;
        nextGet = now.plus(GET_RETRY);
        return List.of(new Publish("connection", JSON.objectNode().put("state", "Connected")), get());
    }

    /** The connection is gone; nothing is published until {@link #connected} again. */
    void disconnected() {
        connected = false;
        synced = false;
        nextGet = null;
    }

    /** A message on one of the device's topics; {@code kind} is the topic after {@code twins/{id}/}. */
    List<DeviceAction> received(String kind, ObjectNode message, Instant now) {
        switch (kind) {
            case "get/accepted" -> {
                counters.getAccepted.increment();
                return sync(message, now);
            }
            case "get/rejected" -> {
                counters.getRejected.increment();
                nextGet = connected ? now.plus(GET_RETRY) : null;
                return List.of();
            }
            case "desired" -> {
                counters.desiredReceived.increment();
                long version = message.path("$version").asLong(-1);
                if (version <= desiredVersion) {
                    counters.desiredStale.increment();
                    return List.of();
                }
                ObjectNode patch = JSON.objectNode();
                apply(message, version, now, patch);
                return report(patch);
            }
            case "delta" -> {
                counters.deltaReceived.increment();
                return List.of();
            }
            case "reported/accepted" -> {
                counters.reportedAccepted.increment();
                return List.of();
            }
            case "reported/rejected" -> {
                counters.reportedRejected.increment();
                return List.of();
            }
            default -> {
                if (kind.endsWith("/rejected")) {
                    counters.otherRejected.increment();
                }
                return List.of();
            }
        }
    }

    /** Whatever is due by {@code now}: telemetry, a reported patch, a state step, a firmware step, a drop. */
    List<DeviceAction> tick(Instant now) {
        List<DeviceAction> actions = new ArrayList<>();
        if (due(nextTelemetry, now)) {
            nextTelemetry = advance(nextTelemetry, time.realPeriod(telemetryInterval), now);
            if (connected) {
                counters.telemetry.increment();
                actions.add(new Publish("telemetry", telemetry(time.at(now))));
            }
        }
        if (due(nextReport, now)) {
            nextReport = advance(nextReport, settings.reportInterval(), now);
            if (connected && synced) {
                actions.addAll(report(JSON.objectNode()
                        .put("temperature", climate.temperature(now, random))
                        .put("humidity", climate.humidity(now, random))));
            }
        }
        if (due(nextState, now)) {
            nextState = advance(nextState, settings.stateInterval(), now);
            // Only a transition the platform sees is taken, or it would see a jump the machine does not allow.
            if (connected && synced) {
                String next = walker.next(state, random, settings.errorRate());
                if (!next.equals(state)) {
                    state = next;
                    counters.stateChanges.increment();
                    actions.addAll(report(JSON.objectNode().put("state", state)));
                }
            }
        }
        if (due(nextFirmwareStep, now)) {
            ObjectNode patch = JSON.objectNode();
            firmwareStep(now, patch);
            if (connected && synced) {
                actions.addAll(report(patch));
            }
        }
        if (due(nextGet, now)) {
            nextGet = connected && !synced ? now.plus(GET_RETRY) : null;
            if (connected && !synced) {
                actions.add(get());
            }
        }
        if (due(nextDisconnectCheck, now)) {
            nextDisconnectCheck = advance(nextDisconnectCheck, DISCONNECT_PERIOD, now);
            if (connected && random.nextDouble() < settings.disconnectRate()) {
                counters.drops.increment();
                actions.add(new Drop());
            }
        }
        return actions;
    }

    /**
     * The whole twin arrived: the device's status, and the desired section applied when it is newer than the one
     * held. On the first of a run, the device takes over what its twin reports of it.
     */
    private List<DeviceAction> sync(ObjectNode twin, Instant now) {
        synced = true;
        nextGet = null;
        JsonNode reported = twin.path("properties").path("reported");
        if (!everSynced) {
            everSynced = true;
            if (reported.path("state").isTextual() && walker.knows(reported.get("state").asText())) {
                state = reported.get("state").asText();
            }
            if (reported.path(FIRMWARE_VERSION).isTextual()) {
                firmwareVersion = reported.get(FIRMWARE_VERSION).asText();
            }
        }
        ObjectNode patch = JSON.objectNode();
        if (!reportedLearned) {
            reportedLearned = true;
            // What the learned twins report, where this device neither manages the key itself nor reports it yet.
            learnedReported.fields().forEachRemaining(field -> {
                if (!field.getKey().startsWith("$") && !OWN_KEYS.contains(field.getKey())
                        && !twin.path("properties").path("desired").has(field.getKey())
                        && !reported.has(field.getKey())) {
                    patch.set(field.getKey(), field.getValue().deepCopy());
                }
            });
        }
        patch.put("state", state);
        patch.put(FIRMWARE_VERSION, firmwareVersion);
        ObjectNode firmwareNow = firmwareSection();
        if (firmware != Firmware.ERROR) {
            // Whatever this device, or its previous run, reported before: a connect states the whole status.
            firmwareNow.putNull("error");
        }
        patch.set("firmware", firmwareNow);
        JsonNode desired = twin.path("properties").path("desired");
        long version = desired.path("$version").asLong(-1);
        if (desired.isObject() && version > desiredVersion) {
            apply((ObjectNode) desired, version, now, patch);
        }
        return report(patch);
    }

    /** Takes a desired section of {@code version} and adds what the device then reports to {@code patch}. */
    private void apply(ObjectNode desired, long version, Instant now, ObjectNode patch) {
        desiredVersion = version;
        JsonNode interval = desired.get(TELEMETRY_INTERVAL);
        if (interval != null && interval.isNumber() && interval.doubleValue() > 0) {
            if (!interval.equals(desiredTelemetryInterval)) {
                desiredTelemetryInterval = interval;
                setTelemetryInterval(Duration.ofNanos(Math.round(interval.doubleValue() * 1e9)), now);
            }
            patch.set(TELEMETRY_INTERVAL, interval);
        } else if (interval == null && desiredTelemetryInterval != null) {
            desiredTelemetryInterval = null;
            setTelemetryInterval(settings.telemetryInterval(), now);
            patch.set(TELEMETRY_INTERVAL, telemetryInterval.isZero() ? JSON.nullNode() : seconds(telemetryInterval));
        }
        JsonNode wantedFirmware = desired.get(FIRMWARE_VERSION);
        firmwareDecision(wantedFirmware != null && wantedFirmware.isTextual() ? wantedFirmware.asText() : null, now,
                patch);
        Set<String> nowEchoed = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = desired.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getKey().startsWith("$") && !HANDLED_KEYS.contains(field.getKey())) {
                patch.set(field.getKey(), field.getValue());
                nowEchoed.add(field.getKey());
            }
        }
        for (String gone : echoed) {
            if (!nowEchoed.contains(gone)) {
                patch.putNull(gone);
            }
        }
        echoed = nowEchoed;
        patch.put("configVersion", version);
    }

    private void setTelemetryInterval(Duration interval, Instant now) {
        telemetryInterval = interval;
        nextTelemetry = interval.isZero() ? null : now.plus(time.realPeriod(interval));
    }

    /**
     * Starts an update when the desired firmware differs from the running one, restarts one towards a newly desired
     * version, and cancels one (or clears a failure) when the running version is desired again. A failed version is
     * tried again only with a newer desired section.
     */
    private void firmwareDecision(String wanted, Instant now, ObjectNode patch) {
        if (wanted == null || wanted.equals(firmwareVersion)) {
            if (firmware != Firmware.CURRENT) {
                updatingTo = null;
                firmwareError = null;
                nextFirmwareStep = null;
                firmware = Firmware.CURRENT;
                patch.set("firmware", firmwareSection());
            }
            return;
        }
        if (wanted.equals(updatingTo) && firmware != Firmware.ERROR) {
            return;
        }
        updatingTo = wanted;
        firmwareError = null;
        firmware = Firmware.DOWNLOADING;
        nextFirmwareStep = now.plus(settings.firmwareStep());
        counters.firmwareUpdates.increment();
        patch.set("firmware", firmwareSection());
    }

    /** Downloading → Applying → Current (or Error, at {@code --error-rate}, with a fault to {@code error}). */
    private void firmwareStep(Instant now, ObjectNode patch) {
        if (firmware == Firmware.DOWNLOADING) {
            firmware = Firmware.APPLYING;
            nextFirmwareStep = now.plus(settings.firmwareStep());
            patch.set("firmware", firmwareSection());
            return;
        }
        nextFirmwareStep = null;
        if (firmware != Firmware.APPLYING) {
            return;
        }
        if (settings.errorRate() > 0 && random.nextDouble() < settings.errorRate()) {
            firmware = Firmware.ERROR;
            firmwareError = "simulated failure while applying firmware " + updatingTo;
            counters.firmwareFailures.increment();
            patch.set("firmware", firmwareSection());
            String faulted = walker.fault(state);
            if (!faulted.equals(state)) {
                state = faulted;
                counters.stateChanges.increment();
                patch.put("state", state);
            }
        } else {
            firmwareVersion = updatingTo;
            updatingTo = null;
            firmware = Firmware.CURRENT;
            patch.put(FIRMWARE_VERSION, firmwareVersion);
            patch.set("firmware", firmwareSection());
        }
    }

    private ObjectNode firmwareSection() {
        ObjectNode section = JSON.objectNode().put("status", firmware.text())
                .put("version", firmware == Firmware.CURRENT ? firmwareVersion : updatingTo);
        if (firmware == Firmware.ERROR) {
            section.put("error", firmwareError);
            errorInReported = true;
        } else if (errorInReported) {
            section.putNull("error");
            errorInReported = false;
        }
        return section;
    }

    /** One telemetry message: every series of the model sampled at simulated instant {@code at}, and its ts. */
    private ObjectNode telemetry(Instant at) {
        ObjectNode message = JSON.objectNode();
        for (String series : telemetry.series()) {
            message.put(series, telemetry.sample(series, at, random));
        }
        telemetry.sent(at);
        return message.put("ts", at.toEpochMilli());
    }

    private Publish get() {
        return new Publish("get", JSON.objectNode().put("clientToken", nextToken()));
    }

    /** A reported patch with a fresh client token, twice at {@code --duplicate-rate}; nothing when it is empty. */
    private List<DeviceAction> report(ObjectNode patch) {
        if (patch.isEmpty() || !connected) {
            return List.of();
        }
        patch.put("clientToken", nextToken());
        Publish publish = new Publish("reported", patch);
        counters.reported.increment();
        if (settings.duplicateRate() > 0 && random.nextDouble() < settings.duplicateRate()) {
            counters.reported.increment();
            counters.duplicates.increment();
            return List.of(publish, publish);
        }
        return List.of(publish);
    }

    private String nextToken() {
        return tokenPrefix + ++sequence;
    }

    private Instant firstTime(Instant now, Duration period) {
        return period.isZero() ? null : now.plusNanos((long) (random.nextDouble() * period.toNanos()));
    }

    private static boolean due(Instant at, Instant now) {
        return at != null && !at.isAfter(now);
    }

    /** The next time of a periodic timer: one period after the last, unless the device fell a period behind. */
    private static Instant advance(Instant last, Duration period, Instant now) {
        if (period == null || period.isZero()) {
            return null;
        }
        Instant next = last.plus(period);
        return next.isAfter(now) ? next : now.plus(period);
    }

    private static JsonNode seconds(Duration duration) {
        BigDecimal seconds = BigDecimal.valueOf(duration.toNanos(), 9).stripTrailingZeros();
        return seconds.scale() <= 0 ? JSON.numberNode(seconds.longValueExact()) : JSON.numberNode(seconds.doubleValue());
    }
}
