package io.twinplatform.history.telemetry;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.model.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Writes received telemetry in batches on one thread, as a group commit: a batch is what arrived while the previous
 * one was being written (at most {@code twin.telemetry.batch-size} samples), written as soon as the writer is free.
 * It never waits for more: the broker sends no more than its in-flight window of unacknowledged messages, and these
 * are acknowledged only after their commit, so waiting would only stall the stream (a 200 ms wait capped it near
 * 2,000 samples/s).
 * Per batch, one query at most asks which of its twins exist ({@link KnownTwins}); the messages of the others are
 * rejected ({@code twinNotFound}); the rest are stored in one JDBC batch and one transaction, and only then is each
 * of their messages acknowledged. When the database fails, the batch is tried again every second and nothing is
 * acknowledged meanwhile; the queue (room for {@value #QUEUED_BATCHES} batches of single-sample messages) fills, the
 * receiving thread waits, and the broker stops sending once the client's receive maximum of unacknowledged messages
 * is reached. A stop writes what is queued; a message it leaves unacknowledged is delivered again to the next
 * session.
 */
class TelemetryWriter {

    private static final Logger log = LoggerFactory.getLogger(TelemetryWriter.class);
    static final int QUEUED_BATCHES = 10;
    private static final Duration RETRY = Duration.ofSeconds(1);

    /** One received message's samples, the topic it came on, and how to acknowledge it. */
    record Delivery(String twinId, String topic, List<TelemetrySample> samples, Runnable acknowledge) {
    }

    /** Refuses a delivery with an error; acknowledges it when the refusal is sent. */
    interface Rejections {
        void reject(Delivery delivery, TwinError error);
    }

    private final TelemetryStore store;
    private final KnownTwins twins;
    private final Rejections rejections;
    private final int batchSize;
    private final BlockingQueue<Delivery> queue;
    private final Thread thread;
    private volatile boolean running = true;

    TelemetryWriter(TelemetryStore store, KnownTwins twins, TelemetrySettings settings, Rejections rejections) {
        this.store = store;
        this.twins = twins;
        this.rejections = rejections;
        this.batchSize = settings.batchSize();
        this.queue = new ArrayBlockingQueue<>(settings.batchSize() * QUEUED_BATCHES);
        ThreadFactory threads = DaemonThreads.named("twin-telemetry-writer-");
        this.thread = threads.newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a delivery, waiting while the queue is full; false (and not queued, so never acknowledged) once the
     * writer stops.
     */
    boolean offer(Delivery delivery) {
        try {
            while (running) {
                if (queue.offer(delivery, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Writes what is queued and ends, waiting for it at most {@code timeout}. */
    void stop(Duration timeout) {
        running = false;
        try {
            thread.join(timeout.toMillis());
            if (thread.isAlive()) {
                log.warn("telemetry writer did not finish within {}; {} messages stay unacknowledged", timeout,
                        queue.size());
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<Delivery> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Delivery first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                int samples = first.samples().size();
                while (samples < batchSize) {
                    Delivery next = queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                    samples += next.samples().size();
                }
                write(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Only while stopping (a running writer retries): what is left is delivered to the next session.
                log.warn("telemetry writer stopped with {} messages unwritten; they stay unacknowledged",
                        batch.size() + queue.size(), e);
                return;
            }
            batch.clear();
        }
    }

    /** Rejects the messages of twins that do not exist, stores the rest, then acknowledges them. */
    void write(List<Delivery> batch) throws InterruptedException {
        Set<String> twinIds = new HashSet<>();
        batch.forEach(delivery -> twinIds.add(delivery.twinId()));
        Set<String> existing = retried(() -> twins.existing(twinIds));
        List<Delivery> accepted = new ArrayList<>(batch.size());
        List<TelemetrySample> rows = new ArrayList<>();
        for (Delivery delivery : batch) {
            if (existing.contains(delivery.twinId())) {
                accepted.add(delivery);
                rows.addAll(delivery.samples());
            } else {
                rejections.reject(delivery, TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                        "twin " + delivery.twinId() + " does not exist; telemetry is stored for existing twins only"));
            }
        }
        retried(() -> {
            store.record(rows);
            return null;
        });
        for (Delivery delivery : accepted) {
            try {
                delivery.acknowledge().run();
            } catch (RuntimeException e) {
                // The session is gone (a stop, a lost connection): the broker delivers it again, a no-op then.
                log.debug("telemetry on {} stored but not acknowledged", delivery.topic(), e);
            }
        }
    }

    /** The database's answer, asked again every second while it fails (and the writer runs). */
    private <T> T retried(Supplier<T> call) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                T result = call.get();
                if (attempt > 1) {
                    log.info("telemetry written again after {} failed attempts", attempt - 1);
                }
                return result;
            } catch (RuntimeException e) {
                if (!running) {
                    throw e;
                }
                if (attempt == 1) {
                    log.warn("telemetry could not be written; trying again every {} s", RETRY.toSeconds(), e);
                } else {
                    log.debug("telemetry could not be written (attempt {})", attempt, e);
                }
                Thread.sleep(RETRY.toMillis());
            }
        }
    }
}
