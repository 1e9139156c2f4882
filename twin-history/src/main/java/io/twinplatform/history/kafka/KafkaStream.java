package io.twinplatform.history.kafka;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Timestamps;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The publisher's state for operators (health, {@code GET /admin/kafka}) and its replay: the processor's token is
 * reset to an instant or a global index and the events from there are sent again, with their original ids.
 */
public class KafkaStream {

    private static final Logger log = LoggerFactory.getLogger(KafkaStream.class);
    private static final Pattern INDEX = Pattern.compile("\\d{1,18}");

    private final KafkaPublisher publisher;
    private final EventProcessingConfiguration processing;
    private final EventStore events;

    KafkaStream(KafkaPublisher publisher, EventProcessingConfiguration processing, EventStore events) {
        this.publisher = publisher;
        this.processing = processing;
        this.events = events;
    }

    /** running | replaying | stalled | stopped. */
    public String state() {
        Optional<StreamingEventProcessor> processor = processor();
        if (processor.isEmpty() || !processor.get().isRunning()) {
            return "stopped";
        }
        if (publisher.failure() != null || processor.get().isError()) {
            return "stalled";
        }
        return processor.get().isReplaying() ? "replaying" : "running";
    }

    /** Events in the store not yet acknowledged by Kafka (the gauge {@code twin.kafka.lag}). */
    public long lag() {
        return lag(head(), position());
    }

    private static long lag(long head, long position) {
        return Math.max(0, head - Math.max(0, position));
    }

    /** State, lag (events in the store not yet acknowledged by Kafka), position, topics and the last error. */
    public Map<String, Object> describe() {
        long head = head();
        long position = position();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("state", state());
        view.put("lag", lag(head, position));
        view.put("position", position);
        view.put("head", head);
        view.put("published", publisher.published());
        view.put("lastPublishedAt", publisher.lastPublished());
        KafkaPublisher.Failure failure = publisher.failure();
        if (failure == null) {
            processor().flatMap(p -> p.processingStatus().values().stream()
                    .filter(EventTrackerStatus::isErrorState).findFirst())
                    .ifPresent(status -> view.put("lastError", String.valueOf(status.getError())));
        } else {
            view.put("lastError", failure.error());
            view.put("stalledSince", failure.since());
        }
        view.put("bootstrapServers", publisher.settings().bootstrapServers());
        view.put("eventsTopic", publisher.settings().eventsTopic());
        view.put("stateTopic", publisher.settings().stateTopic());
        return view;
    }

    /**
     * Sends every event from {@code from} on again: an ISO-8601 instant (the first event at or after it) or a global
     * index (that event and the ones after it; 0 or 1 is the whole store). The state topic is not written during the
     * replay. Refused while a replay runs.
     */
    public Map<String, Object> replay(String from) {
        TrackingToken start = start(from);
        StreamingEventProcessor processor = processor().orElseThrow(() -> new TwinException(TwinError.of(
                ErrorKind.CONFLICT, "kafkaPublisherStopped", "the Kafka publisher is not registered in this process")));
        synchronized (this) {
            if (processor.isReplaying()) {
                throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "replayInProgress",
                        "a Kafka replay is running already; GET /admin/kafka shows its progress"));
            }
            try {
                processor.shutdownAsync().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("could not stop the Kafka publisher for the replay", e);
            }
            try {
                processor.resetTokens(start);
            } finally {
                processor.start();
            }
        }
        long head = head();
        long first = start == null ? 1 : start.position().orElse(0) + 1;
        log.info("Kafka replay from {}: events {} to {} are sent again", from, first, head);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("from", from);
        view.put("fromGlobalIndex", first);
        view.put("head", head);
        view.put("events", Math.max(0, head - first + 1));
        view.put("state", "replaying");
        return view;
    }

    private TrackingToken start(String from) {
        if (from == null || from.isBlank()) {
            throw invalidFrom("from is required: an instant such as 2026-11-24T08:00:00Z or a global index such as 42");
        }
        String value = from.trim();
        if (INDEX.matcher(value).matches()) {
            long index = Long.parseLong(value);
            return index <= 1 ? null : GapAwareTrackingToken.newInstance(index - 1, Collections.emptySet());
        }
        Instant instant = Timestamps.bounded(value);
        if (instant == null) {
            throw invalidFrom("from must be an ISO-8601 instant from the year 0001 to 9999, such as"
                    + " 2026-11-24T08:00:00Z, or a global index (a whole number from 0), not '" + value + "'");
        }
        if (instant.isAfter(Instant.now())) {
            throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "fromInFuture",
                    "from " + instant + " is in the future: there is nothing to send again"));
        }
        return events.createTokenAt(instant);
    }

    private static TwinException invalidFrom(String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidFrom", "from", detail));
    }

    private Optional<StreamingEventProcessor> processor() {
        return processing.eventProcessor(KafkaPublisher.PROCESSOR, StreamingEventProcessor.class);
    }

    /** The lowest position among the publisher's segments: every event up to it has been acknowledged. */
    private long position() {
        return processor().map(p -> p.processingStatus().values().stream()
                .map(EventTrackerStatus::getCurrentPosition)
                .mapToLong(position -> position.orElse(0))
                .min().orElse(0)).orElse(0L);
    }

    private long head() {
        TrackingToken head = events.createHeadToken();
        return head == null ? 0 : head.position().orElse(0);
    }
}
