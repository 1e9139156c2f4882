package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code simulate --replay}: a recorded device played back as a new one. It reads the source twin as of
 * {@code --from} (tags and desired properties), the reported patches its device made in {@code [--from, --to)} (its
 * history, channel {@code device}) and its raw telemetry samples there, creates the {@code --into} twin with those
 * tags and desired properties, then connects as that device over the platform's own protocol (its own key, as the
 * fleet's devices do) and publishes the patches and the telemetry (one message per recorded {@code ts}) in their
 * recorded order, spaced by the recorded gaps divided by {@code --speed} (0: no waiting). Each reported patch waits
 * for its answer, so order is kept and a throttled one ({@code 429}) is sent again a second later. Telemetry carries
 * its recorded {@code ts} shifted so the first lands at the moment it is sent (unless {@code --keep-time}): the
 * samples keep their relative spacing whatever the speed, and the platform refuses a {@code ts} more than an hour
 * ahead of its clock, so a long recording replayed fast needs {@code --keep-time}.
 * <p>
 * Fails with {@link IllegalArgumentException} when the {@code --into} twin exists already or there is no device
 * secret, and with {@link IllegalStateException} when the platform cannot be read or the broker reached.
 */
final class TwinReplay {

    private static final Logger log = LoggerFactory.getLogger(TwinReplay.class);
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration THROTTLE_PAUSE = Duration.ofSeconds(1);
    private static final int MAX_RETRIES = 60;
    /** A telemetry message holds at most this many measurements (the platform's limit). */
    static final int MAX_MEASUREMENTS = 100;

    /** What the replay published. */
    record Outcome(String source, String into, int reported, int telemetry, int rejected) {

        @Override
        public String toString() {
            return "replayed " + source + " into " + into + ": " + reported + " reported patches, " + telemetry
                    + " telemetry messages" + (rejected > 0 ? ", " + rejected + " rejected" : "");
        }
    }

    /** One thing to publish, at its recorded instant. */
    sealed interface Step {
        Instant at();
    }

    record Report(Instant at, ObjectNode patch) implements Step {
    }

    record Measurements(Instant at, ObjectNode values) implements Step {
    }

    private final SimulatorSettings settings;
    private final SimulatorSettings.Replay replay;
    private final Map<String, CompletableFuture<ObjectNode>> answers = new ConcurrentHashMap<>();
    private final AtomicInteger rejected = new AtomicInteger();

    TwinReplay(SimulatorSettings settings) {
        this.settings = settings;
        this.replay = settings.replay();
    }

    Outcome run() {
        String secret = settings.resolveSecret();
        int port = settings.resolvePort();
        PlatformClient platform = new PlatformClient(settings.platformUrl(), settings.resolveApiKey().orElse(null));
        ObjectNode source = platform.twin(replay.source(), replay.from());
        List<PlatformClient.ReportedChange> reports = platform.reportedChanges(replay.source(), replay.from(),
                replay.to());
        List<HourlyProfile.Sample> samples = platform.samples(replay.source(), replay.from(), replay.to());
        List<Step> steps = timeline(reports, samples);
        log.info("replaying {} from {} to {} into {}: {} reported patches, {} samples, speed {}", replay.source(),
                replay.from(), replay.to(), replay.into(), reports.size(), samples.size(), replay.speed());
        if (!platform.create(replay.into(), target(source))) {
            throw new IllegalArgumentException("--into " + replay.into() + " exists already: a replay creates its twin");
        }
        TwinId into = TwinId.device(replay.into());
        Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5()
                .identifier(replay.into())
                .serverHost(settings.host())
                .serverPort(port)
                .sslConfig(settings.plain() ? null : DeviceSimulator.tls(settings.resolveCaFile()))
                .simpleAuth().username(replay.into())
                .password(new DeviceKeys(secret).password(replay.into()).getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth()
                .buildAsync();
        await(client.connectWith().cleanStart(true).send(), "connect as " + replay.into());
        try {
            await(client.subscribeWith().topicFilter(TwinTopic.prefix(into) + "#").qos(MqttQos.AT_LEAST_ONCE)
                    .noLocal(true).callback(message -> answered(into, message)).send(), "subscribe");
            return publish(client, into, steps);
        } finally {
            client.disconnect().exceptionally(failure -> null).join();
        }
    }

    /** The new twin: the source's tags and desired properties (without their metadata) as of {@code --from}. */
    static ObjectNode target(ObjectNode source) {
        ObjectNode body = JSON.objectNode();
        if (source.path("tags").isObject()) {
            body.set("tags", source.get("tags").deepCopy());
        }
        JsonNode desired = source.path("properties").path("desired");
        if (desired.isObject()) {
            ObjectNode values = JSON.objectNode();
            DeviceProtocol.merge(values, desired);
            body.putObject("properties").set("desired", values);
        }
        return body;
    }

    /**
     * The reported patches and the telemetry as one sequence in recorded order (a patch before telemetry of the same
     * instant), the samples of one {@code ts} in one message (several past {@value #MAX_MEASUREMENTS} names).
     */
    static List<Step> timeline(List<PlatformClient.ReportedChange> reports, List<HourlyProfile.Sample> samples) {
        List<Step> steps = new ArrayList<>();
        reports.forEach(report -> steps.add(new Report(report.time(), report.patch())));
        Map<Instant, List<HourlyProfile.Sample>> byTime = new TreeMap<>();
        samples.forEach(sample -> byTime.computeIfAbsent(sample.ts(), ts -> new ArrayList<>()).add(sample));
        byTime.forEach((ts, group) -> {
            for (int i = 0; i < group.size(); i += MAX_MEASUREMENTS) {
                ObjectNode values = JSON.objectNode();
                group.subList(i, Math.min(group.size(), i + MAX_MEASUREMENTS))
                        .forEach(sample -> values.put(sample.name(), sample.value()));
                steps.add(new Measurements(ts, values));
            }
        });
        steps.sort(Comparator.comparing(Step::at).thenComparing(step -> step instanceof Report ? 0 : 1));
        return steps;
    }

    private Outcome publish(Mqtt5AsyncClient client, TwinId into, List<Step> steps) {
        String reportedTopic = new TwinTopic(into, "reported").text();
        String telemetryTopic = new TwinTopic(into, "telemetry").text();
        String tokens = "replay-" + Long.toString(System.currentTimeMillis(), 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36) + "-";
        long startNanos = System.nanoTime();
        Instant recordedStart = steps.isEmpty() ? null : steps.get(0).at();
        Duration shift = null;
        int reported = 0;
        int telemetry = 0;
        for (Step step : steps) {
            if (replay.speed() > 0) {
                long due = startNanos + (long) (Duration.between(recordedStart, step.at()).toNanos() / replay.speed());
                sleepNanos(due - System.nanoTime());
            }
            if (step instanceof Report report) {
                report(client, reportedTopic, report.patch(), tokens + (reported + 1));
                reported++;
            } else if (step instanceof Measurements measurements) {
                if (shift == null) {
                    shift = replay.keepTime() ? Duration.ZERO : Duration.between(measurements.at(), Instant.now());
                }
                ObjectNode message = measurements.values().deepCopy();
                message.put("ts", measurements.at().plus(shift).toString());
                await(client.publishWith().topic(telemetryTopic).qos(MqttQos.AT_LEAST_ONCE)
                        .payload(NativeProtocol.bytes(message)).send(), "publish telemetry");
                telemetry++;
            }
        }
        // Telemetry is refused asynchronously: give a last refusal a moment to arrive before counting.
        sleepNanos(TimeUnit.MILLISECONDS.toNanos(200));
        Outcome outcome = new Outcome(replay.source(), replay.into(), reported, telemetry, rejected.get());
        log.info("{}", outcome);
        return outcome;
    }

    /** Publishes one reported patch and waits for its answer; a throttled one is sent again after a pause. */
    private void report(Mqtt5AsyncClient client, String topic, ObjectNode patch, String token) {
        ObjectNode message = patch.deepCopy().put("clientToken", token);
        for (int attempt = 0; attempt <= MAX_RETRIES; attempt++) {
            CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
            answers.put(token, answer);
            await(client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(NativeProtocol.bytes(message))
                    .send(), "publish a reported patch");
            ObjectNode result = await(answer, "the answer to reported patch " + token);
            answers.remove(token);
            if (!result.path("rejected").asBoolean()) {
                return;
            }
            if (result.path("status").asInt() != 429 && !result.path("code").asText().equals("throttled")) {
                rejected.incrementAndGet();
                log.warn("reported patch {} was rejected: {}", token, result.path("detail").asText(result.toString()));
                return;
            }
            sleepNanos(THROTTLE_PAUSE.toNanos());
        }
        rejected.incrementAndGet();
        log.warn("reported patch {} was still throttled after {} tries; going on without it", token, MAX_RETRIES);
    }

    private void answered(TwinId into, Mqtt5Publish message) {
        String kind = message.getTopic().toString().substring(TwinTopic.prefix(into).length());
        ObjectNode payload = DeviceProtocol.object(message.getPayloadAsBytes(), NativeProtocol.JSON);
        if (payload == null) {
            return;
        }
        if (kind.equals("reported/accepted") || kind.equals("reported/rejected")) {
            CompletableFuture<ObjectNode> answer = answers.get(payload.path("clientToken").asText());
            if (answer != null) {
                answer.complete(payload.deepCopy().put("rejected", kind.endsWith("rejected")));
            }
        } else if (kind.equals("telemetry/rejected")) {
            rejected.incrementAndGet();
            log.warn("telemetry was rejected: {}", payload.path("detail").asText(payload.toString()));
        }
    }

    private static <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + ": nothing within " + ANSWER_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        }
    }

    private static void sleepNanos(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the replay was interrupted", e);
        }
    }
}
