package io.twinplatform.history.live;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.history.EventFold;
import io.twinplatform.history.TwinStates;
import io.twinplatform.history.kafka.TwinCloudEvents;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The live streams of {@code GET /events}: each an Axon stream of the event store opened at the position the client
 * asks for (its {@code Last-Event-ID}, else the head), read on a thread of its own, each twin event folded onto the
 * twin (a {@link TwinStates} per stream, so a condition is judged on the twin right after the event) and sent as the
 * CloudEvents record {@code twin.events} carries on Kafka, with the event's global index as the SSE {@code id}.
 * Axon's embedded event store lets the streams at the head share one reader of the store.
 * <p>
 * At most {@value #MAX_STREAMS} streams are open at once per instance; one more is {@code 429 tooManyStreams}. A
 * stream starts with {@code retry: 2000} and a comment, so its client has the answer's head at once; one with
 * nothing to send writes a comment every {@value #KEEP_ALIVE_SECONDS} s, so a proxy keeps it open and a
 * client that went away is noticed. Events of a twin whose transaction committed after a later one was already sent
 * may be missed by a stream resumed past them: a stream resumes after the id it is given, as a Kafka consumer
 * resumes after its offset.
 * <p>
 * On stop the streams end first (this lifecycle's phase is stopped before the web server's graceful shutdown), so an
 * open console does not hold a stop for the whole grace period; its client reconnects to another instance.
 */
public class LiveEvents implements SmartLifecycle, DisposableBean {

    static final int MAX_STREAMS = 100;
    static final long KEEP_ALIVE_SECONDS = 15;
    /** The {@code retry} each stream starts with: how long a client waits before it reconnects. */
    static final long RETRY_MILLIS = 2_000;
    /** Twins whose state a stream keeps to fold the next event onto; a twin not kept is folded from the store. */
    private static final int STATES_PER_STREAM = 1_000;

    private static final Logger log = LoggerFactory.getLogger(LiveEvents.class);

    private final EventStore events;
    private final EventFold fold;
    private final TwinCloudEvents cloudEvents;
    private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.named("twin-events-"));
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private volatile boolean running;

    public LiveEvents(EventStore events, EventFold fold, TwinCloudEvents cloudEvents) {
        this.events = events;
        this.fold = fold;
        this.cloudEvents = cloudEvents;
    }

    /**
     * Opens a stream of the twin events after global index {@code after} (the head when null) of the twins that meet
     * {@code condition} (all when null) and lie inside {@code scope} (all when null), both judged on the twin right
     * after each event.
     */
    public SseEmitter open(TwinQuery condition, Scope scope, Long after) {
        // No time limit: a stream ends when its client goes, which the keep-alive finds.
        SseEmitter emitter = new SseEmitter(0L);
        Stream stream = new Stream(emitter, condition, scope);
        synchronized (open) {
            if (!running) {
                throw new TwinException(TwinError.of(ErrorKind.UNAVAILABLE, "stopping",
                        "this instance is stopping; connect again (to another instance)"));
            }
            if (open.size() >= MAX_STREAMS) {
                throw new TwinException(TwinError.of(ErrorKind.TOO_MANY_REQUESTS, "tooManyStreams",
                        "this instance already serves " + MAX_STREAMS + " event streams; close one or try another"
                                + " instance"));
            }
            open.add(stream);
        }
        try {
            TrackingToken token = after == null ? events.createHeadToken()
                    : GapAwareTrackingToken.newInstance(after, Collections.emptySet());
            stream.source = events.openStream(token);
        } catch (RuntimeException e) {
            open.remove(stream);
            throw e;
        }
        try {
            // Sent as soon as the stream is open, so its head reaches the client now, not with the first event.
            emitter.send(SseEmitter.event().reconnectTime(RETRY_MILLIS).comment("open"));
        } catch (IOException e) {
            stream.close();
            throw new UncheckedIOException(e);
        }
        emitter.onCompletion(stream::close);
        emitter.onTimeout(stream::close);
        emitter.onError(failure -> stream.close());
        threads.execute(stream);
        return emitter;
    }

    @Override
    public void start() {
        running = true;
    }

    /** Ends every open stream, before the web server waits for its requests to finish. */
    @Override
    public void stop() {
        running = false;
        for (Stream stream : open) {
            stream.close();
            stream.emitter.complete();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    @Override
    public void destroy() {
        stop();
        threads.shutdownNow();
    }

    private final class Stream implements Runnable {

        private final SseEmitter emitter;
        private final TwinQuery condition;
        private final Scope scope;
        private final TwinStates states = new TwinStates(fold, STATES_PER_STREAM);
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile BlockingStream<TrackedEventMessage<?>> source;

        Stream(SseEmitter emitter, TwinQuery condition, Scope scope) {
            this.emitter = emitter;
            this.condition = condition;
            this.scope = scope;
        }

        @Override
        public void run() {
            try {
                while (!closed.get()) {
                    if (!source.hasNextAvailable((int) KEEP_ALIVE_SECONDS, TimeUnit.SECONDS)) {
                        emitter.send(SseEmitter.event().comment("keep-alive"));
                        continue;
                    }
                    TrackedEventMessage<?> message = source.nextAvailable();
                    if (!TwinEvent.class.isAssignableFrom(message.getPayloadType())) {
                        continue;
                    }
                    TwinEvent event = (TwinEvent) message.getPayload();
                    TwinState after = states.after(event, message.getTimestamp());
                    if (!wanted(after)) {
                        continue;
                    }
                    long index = message.trackingToken().position().orElse(0L);
                    String record = new String(cloudEvents.encode(message, event, after, index),
                            StandardCharsets.UTF_8);
                    emitter.send(SseEmitter.event().id(Long.toString(index)).data(record));
                }
            } catch (IOException gone) {
                // The client went away: nothing to tell it.
                log.debug("event stream ended: {}", gone.toString());
            } catch (IllegalStateException e) {
                if (!closed.get()) {
                    // Not the emitter completed by a stop: a fault of ours, told to the client by ending the stream.
                    log.warn("event stream failed", e);
                    emitter.completeWithError(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("event stream failed", e);
                emitter.completeWithError(e);
            } finally {
                close();
            }
        }

        private boolean wanted(TwinState after) {
            if (condition == null && scope == null) {
                return true;
            }
            var document = after.view();
            if (scope != null && !scope.admits(document)) {
                return false;
            }
            return condition == null || condition.matches(document);
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                open.remove(this);
                BlockingStream<TrackedEventMessage<?>> reading = source;
                if (reading != null) {
                    reading.close();
                }
            }
        }
    }
}
