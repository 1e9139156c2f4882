package io.twinplatform.history.kafka;

import io.twinplatform.history.TwinStates;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinEvent;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.ReplayStatus;
import org.axonframework.eventhandling.ResetHandler;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends every twin event to the events topic as a CloudEvent, and the twin's document after it to the compacted state
 * topic (a tombstone after a deletion), keyed by twin id, from its own tracking processor ({@value #PROCESSOR}).
 * <p>
 * At least once: records are sent as the batch is handled, and the batch commits (with the processor's token) only
 * once the broker acknowledged every record ({@code acks=all}, idempotent producer). A failed send fails the batch;
 * the processor then backs off and retries from its token, so an outage stalls the stream and skips nothing. A
 * replay ({@code POST /admin/kafka/replay}) sends the events again with the same ids; it leaves the state topic alone,
 * which keeps holding each twin's current document.
 */
@ProcessingGroup(KafkaPublisher.PROCESSOR)
public class KafkaPublisher {

    public static final String PROCESSOR = "twin-kafka";
    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);
    private static final String BATCH = KafkaPublisher.class.getName() + ".batch";
    static final List<Header> EVENT_HEADERS = List.of(header("content-type", TwinCloudEvents.CONTENT_TYPE));

    private final KafkaSettings settings;
    private final KafkaClients clients;
    private final TwinCloudEvents cloudEvents;
    private final TwinStates states;
    private final AtomicLong published = new AtomicLong();
    private final AtomicReference<Instant> lastPublished = new AtomicReference<>();
    private final AtomicReference<Failure> failure = new AtomicReference<>();

    /** Why the stream is stalled, and since when; {@code null} while it flows. */
    public record Failure(String error, Instant since) {
    }

    KafkaPublisher(KafkaSettings settings, KafkaClients clients, TwinCloudEvents cloudEvents, TwinStates states) {
        this.settings = settings;
        this.clients = clients;
        this.cloudEvents = cloudEvents;
        this.states = states;
    }

    @EventHandler
    void on(TwinEvent event, EventMessage<?> message, ReplayStatus replay, TrackingToken token) {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        Batch batch = unitOfWork.getOrComputeResource(BATCH, key -> {
            try {
                clients.ensureTopics();
            } catch (RuntimeException e) {
                throw stalled(null, e);
            }
            Batch created = new Batch(clients.producer());
            unitOfWork.onPrepareCommit(u -> acknowledged(created));
            // A producer that failed a send starts afresh for the retry (new connections, new idempotence epoch).
            unitOfWork.onRollback(u -> {
                if (created.failed) {
                    clients.discard(created.producer);
                }
            });
            return created;
        });
        TwinState after = states.after(event, message.getTimestamp());
        long globalIndex = token == null ? -1 : token.position().orElse(-1);
        send(batch, new ProducerRecord<>(settings.eventsTopic(), null, event.twinId(),
                cloudEvents.encode(message, event, after, globalIndex), EVENT_HEADERS));
        batch.events++;
        if (replay == ReplayStatus.REGULAR) {
            byte[] document = after.deleted() ? null : after.toJson().getBytes(StandardCharsets.UTF_8);
            send(batch, new ProducerRecord<>(settings.stateTopic(), null, event.twinId(), document, List.of(
                    header("content-type", "application/json"),
                    header("twin-version", Long.toString(event.version())),
                    header("event-id", message.getIdentifier()))));
        }
    }

    @ResetHandler
    void reset() {
        states.clear();
    }

    /** Events the broker has acknowledged since the start. */
    public long published() {
        return published.get();
    }

    public Instant lastPublished() {
        return lastPublished.get();
    }

    public Failure failure() {
        return failure.get();
    }

    public KafkaSettings settings() {
        return settings;
    }

    /** Waits for the broker to acknowledge every record of the batch; any failure fails the batch. */
    private void acknowledged(Batch batch) {
        long deadline = System.nanoTime() + clients.deliveryTimeout().plusSeconds(5).toNanos();
        try {
            for (Future<RecordMetadata> sent : batch.sent) {
                sent.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw stalled(batch, e.getCause());
        } catch (TimeoutException e) {
            throw stalled(batch, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw stalled(batch, e);
        }
        if (failure.getAndSet(null) != null) {
            log.info("Kafka acknowledges again: the stream flows");
        }
        published.addAndGet(batch.events);
        lastPublished.set(Instant.now());
    }

    private void send(Batch batch, ProducerRecord<String, byte[]> record) {
        try {
            batch.sent.add(batch.producer.send(record));
        } catch (RuntimeException e) {
            throw stalled(batch, e);
        }
    }

    /** Marks the batch failed and the stream stalled; the returned exception fails the batch. */
    private KafkaUnavailableException stalled(Batch batch, Throwable cause) {
        if (batch != null) {
            batch.failed = true;
        }
        Failure stalled = failure.updateAndGet(f -> new Failure(String.valueOf(cause),
                f == null ? Instant.now() : f.since()));
        log.warn("Kafka did not take a batch of {} records ({}); the stream is stalled since {} and retries from its"
                + " last acknowledged event", batch == null ? 0 : batch.sent.size(), cause, stalled.since());
        return new KafkaUnavailableException("Kafka did not acknowledge the batch: " + cause, cause);
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The records one processor batch sent, all of which must be acknowledged before its token moves. */
    private static final class Batch {
        final Producer<String, byte[]> producer;
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        int events;
        volatile boolean failed;

        Batch(Producer<String, byte[]> producer) {
            this.producer = producer;
        }
    }

    /** Kafka could not take or acknowledge records; the batch fails and the processor retries after a back-off. */
    public static final class KafkaUnavailableException extends RuntimeException {
        KafkaUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
