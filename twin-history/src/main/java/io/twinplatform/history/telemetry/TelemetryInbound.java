package io.twinplatform.history.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceMessage;
import io.twinplatform.api.device.DeviceMessage.Outcome;
import io.twinplatform.api.device.DeviceMessageHandler;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Takes device and module telemetry ({@code twins/{deviceId}[/modules/{moduleId}]/telemetry}, QoS 1) as the platform's device reader hands it in
 * ({@link DeviceMessageHandler}, on a connection of its own: a message is acknowledged only once its batch is
 * committed, which must not hold back other kinds' acknowledgements). Each message is parsed on the reader's thread
 * ({@link TelemetryPayload}) and queued for the {@link TelemetryWriter}, which completes it once its rows are
 * committed; the queue is bounded, so the reader's thread waits when it is full and the broker stops sending once its
 * window of unacknowledged messages is reached. A message that cannot be stored is answered on
 * {@code twins/{deviceId}/telemetry/rejected} (QoS 1) with the problem document HTTP would give and the topic it came
 * on as {@code instance}.
 */
@Component
class TelemetryInbound implements DeviceMessageHandler {

    private static final Logger log = LoggerFactory.getLogger(TelemetryInbound.class);
    static final String KIND = "telemetry";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final TelemetryRetention retention;
    private final TelemetryWriter writer;
    private volatile boolean started;

    TelemetryInbound(TelemetryStore store, TelemetryRetention retention, TelemetrySettings settings, JdbcTemplate jdbc,
                     ObjectProvider<MeterRegistry> meters) {
        this.retention = retention;
        this.writer = new TelemetryWriter(store, new KnownTwins(jdbc, settings.twinCacheSize(),
                settings.twinCacheTtl(), meters.getIfAvailable()), settings, this::reject);
    }

    @Override
    public Set<String> kinds() {
        return Set.of(KIND);
    }

    /** Modules send telemetry of their own (an edge module's readings), kept under the module's twin id. */
    @Override
    public boolean modules() {
        return true;
    }

    /** Parses the message and queues it for the writer, waiting while the writer's queue is full. */
    @Override
    public CompletableFuture<Outcome> handle(DeviceMessage message, DeviceReplies replies) {
        if (!started) {
            startWriter();
        }
        TwinTopic topic = message.topic();
        String twinId = topic.twinId().value();
        Ack ack = new Ack(topic, replies);
        List<TelemetrySample> samples;
        try {
            samples = TelemetryPayload.parse(twinId, message.payload(), message.received());
            Instant horizon = retention.horizon();
            if (samples.get(0).ts().isBefore(horizon)) {
                throw TelemetryPayload.pastRetention(horizon);
            }
        } catch (TwinException e) {
            reject(new TelemetryWriter.Delivery(twinId, topic.text(), List.of(), ack), e.error());
            return ack.done;
        }
        // Not queued only when the writer has stopped: the message stays unacknowledged and comes again.
        writer.offer(new TelemetryWriter.Delivery(twinId, topic.text(), samples, ack));
        return ack.done;
    }

    /** Starts the writer with the first message: a process without a device channel never runs its thread. */
    private synchronized void startWriter() {
        if (!started) {
            writer.start();
            started = true;
        }
    }

    @PreDestroy
    synchronized void stop() {
        if (started) {
            writer.stop(STOP_TIMEOUT);
        }
    }

    /**
     * Answers on {@code …/telemetry/rejected} with the problem and the topic, then completes the message. Every
     * delivery the writer is given comes from {@link #handle}, so its acknowledgement is an {@link Ack}.
     */
    private void reject(TelemetryWriter.Delivery delivery, TwinError error) {
        Ack ack = (Ack) delivery.acknowledge();
        log.debug("rejected telemetry on {}: {}", delivery.topic(), error);
        ack.replies.reject(ack.topic, error, null).whenComplete((sent, failure) -> {
            if (failure != null) {
                log.debug("the rejection of telemetry on {} was not sent", delivery.topic(), failure);
            }
            ack.done.complete(Outcome.REJECTED);
        });
    }

    /**
     * Completes a message: stored, once the writer acknowledges it; rejected, once its refusal is sent, through the
     * replies it came with.
     */
    private static final class Ack implements Runnable {

        private final TwinTopic topic;
        private final DeviceReplies replies;
        private final CompletableFuture<Outcome> done = new CompletableFuture<>();

        Ack(TwinTopic topic, DeviceReplies replies) {
            this.topic = topic;
            this.replies = replies;
        }

        @Override
        public void run() {
            done.complete(Outcome.ACCEPTED);
        }
    }
}
