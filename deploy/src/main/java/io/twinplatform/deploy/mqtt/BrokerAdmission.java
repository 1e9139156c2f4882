package io.twinplatform.deploy.mqtt;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded broker's edge: device messages go straight to the platform, and a device's publish is acknowledged
 * only once the platform answered it.
 * <p>
 * <b>Ingest at the edge.</b> A device's publish on one of its own {@link DeviceAdmission#KINDS} topics
 * ({@code reported}, {@code get}, {@code connection}; telemetry has its own reader) is suspended
 * ({@code PublishInboundOutput.async}) and handed to the platform ({@link DeviceAdmission.Ingest}). When the platform
 * has committed what it changes and published the answer ({@code …/accepted} or {@code …/rejected}), the broker sends
 * the device its PUBACK ({@code SUCCESS}) and routes the publish no further: the platform has it, and no queue holds
 * it. A device that has its PUBACK therefore has a committed report (fsync and {@code synchronous_commit} on); a crash
 * before that leaves the device without one, and it sends again (with the same {@code clientToken}, a no-op if it
 * was committed after all). A message the platform could not answer gets PUBACK {@code UNSPECIFIED_ERROR}.
 * HiveMQ runs a client's inbound interceptors one after the other, so a device's next publish waits behind the
 * suspended one: its messages are applied in the order it sent them. What the broker publishes itself (a last will)
 * is not intercepted and reaches the platform through its subscription.
 * <p>
 * <b>Admission control.</b> At most {@code limit} messages ({@code twin.mqtt.max-backlog}) are in the platform's hands
 * at once. Over the limit a publish waits at the edge, still unacknowledged, so a device with its own in-flight
 * window slows down; waiting publishes are let in first come, first served as answers go out. One that waits longer
 * than {@code timeout} ({@code twin.mqtt.admission-timeout}) is refused: PUBACK {@code QUOTA_EXCEEDED} (an MQTT 3
 * device is disconnected, MQTT 3 having no such code), and the device knows that nothing was taken and it may send
 * again. At most {@code maxWaiting} publishes ({@code twin.mqtt.max-waiting}) wait at once; over that, a publish is
 * refused the same way at once. Until the platform is ready ({@link #open}), device publishes wait the same way. No
 * broker queue ever grows with the overload: HiveMQ CE keeps a shared subscription's messages in one list and walks
 * it on every acknowledgement, which made throughput collapse under a backlog before messages were taken at the
 * edge.
 * <p>
 * <b>Cost.</b> Every device publish passes through HiveMQ's extension task queue; a suspended one keeps its device's
 * queue busy, and HiveMQ's task threads visit every busy queue each time a task is added or finished. That cost grows
 * with the number of suspended publishes: with 5,000 devices each holding one (2,048 in hand and the rest waiting),
 * those visits took half of all CPU samples and the commits fell to a tenth. So suspended publishes are bounded by
 * {@code limit + maxWaiting} (768 by default), whatever the fleet's size.
 */
final class BrokerAdmission implements DeviceAdmission {

    /**
     * How long an admitted message may take to be answered before the broker gives up on it (PUBACK
     * {@code UNSPECIFIED_ERROR}); beyond the platform's own time limits for a write, so only a platform that lost its
     * database gets there.
     */
    static final Duration ANSWER_WITHIN = Duration.ofMinutes(2);

    private static final Logger log = LoggerFactory.getLogger(BrokerAdmission.class);
    private static final String REFUSAL = "the platform cannot take it now: nothing was taken, send it again later";
    private static final String NOT_ANSWERED = "the platform did not answer it: send it again with the same"
            + " clientToken, which makes a repeat a no-op";

    private final int limit;
    private final Duration timeout;
    private final int maxWaiting;
    private final PublishInboundInterceptor devicePublishes = this::admit;
    private final AtomicLong suspensions = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();

    /** Set once, by {@link #open}; until then every publish waits. */
    private volatile Ingest ingest;
    // Guarded by this.
    private int inHand;
    private final ArrayDeque<Message> waiting = new ArrayDeque<>();

    /**
     * @param limit   device messages in the platform's hands at once, at most (at least 1)
     * @param timeout how long a publish may wait at the edge before it is refused with {@code QUOTA_EXCEEDED}
     * @param maxWaiting publishes that may wait at the edge at once (at least 0); more are refused at once
     */
    BrokerAdmission(int limit, Duration timeout, int maxWaiting) {
        if (limit < 1) {
            throw new IllegalArgumentException("twin.mqtt.max-backlog must be at least 1, not " + limit);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("twin.mqtt.admission-timeout must be positive, not " + timeout);
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException("twin.mqtt.max-waiting must be at least 0, not " + maxWaiting);
        }
        this.limit = limit;
        this.timeout = timeout;
        this.maxWaiting = maxWaiting;
    }

    /** Starts refusing publishes that waited too long; called from the embedded extension's start. */
    void start() {
        Services.extensionExecutorService().scheduleWithFixedDelay(this::sweep, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** The edge of a device connection of the platform's own topics (the platform's connections have none). */
    PublishInboundInterceptor devicePublishes() {
        return devicePublishes;
    }

    @Override
    public void open(Ingest ingest) {
        List<Message> next;
        synchronized (this) {
            this.ingest = ingest;
            next = takeWaiting();
        }
        log.info("device messages are taken at the broker's edge, up to {} at once", limit);
        next.forEach(this::hand);
    }

    /**
     * Hands the platform a message the broker makes itself for a device (its connection state, for a protocol whose
     * devices publish none), outside admission control, answered through {@code replies}; nothing before
     * {@link #open}.
     */
    void handIn(TwinTopic topic, byte[] payload, DeviceReplies replies) {
        Ingest platform = ingest;
        if (platform == null) {
            return;
        }
        try {
            platform.ingest(topic, payload, null, replies).whenComplete((done, failure) -> {
                if (failure != null) {
                    log.warn("the platform did not take {}", topic.text(), failure);
                }
            });
        } catch (RuntimeException e) {
            log.warn("the platform did not take {}", topic.text(), e);
        }
    }

    /** The most messages in the platform's hands at once. */
    int limit() {
        return limit;
    }

    /** Messages in the platform's hands now (handed in, not yet answered). */
    synchronized int backlog() {
        return inHand;
    }

    /** Publishes waiting at the edge now (at most one per device: its later ones wait behind it in the broker). */
    synchronized int suspended() {
        return waiting.size();
    }

    /** Publishes that had to wait, since the start. */
    long suspensions() {
        return suspensions.get();
    }

    /** Publishes refused after waiting {@code timeout}, since the start. */
    long refused() {
        return refused.get();
    }

    /** Messages handed in that the platform could not answer, since the start. */
    long unanswered() {
        return unanswered.get();
    }

    /** On HiveMQ's extension task thread, once per device publish, in the device's order. */
    private void admit(PublishInboundInput input, PublishInboundOutput output) {
        TwinTopic topic = deviceTopic(input.getPublishPacket().getTopic(),
                input.getClientInformation().getClientId());
        if (topic == null) {
            return;
        }
        take(topic, payload(input), null, null, output);
    }

    /** A publish's payload. */
    static byte[] payload(PublishInboundInput input) {
        return input.getPublishPacket().getPayload().map(BrokerAdmission::bytes).orElse(new byte[0]);
    }

    /**
     * Takes a device's message, as a message of the platform's own {@code topic}, under admission control: hands it
     * in now, lets it wait, or refuses it. On HiveMQ's extension task thread, in the device's order.
     *
     * @param expectedVersion the reported {@code $version} a patch is based on, when the device's protocol names one
     * @param replies         how to answer in the device's protocol; null for the platform's own topics
     */
    void take(TwinTopic topic, byte[] payload, Long expectedVersion, DeviceReplies replies,
              PublishInboundOutput output) {
        Message taken;
        synchronized (this) {
            if (!waiting.isEmpty() || ingest == null || inHand >= limit) {
                if (waiting.size() < maxWaiting) {
                    waiting.add(suspend(topic, payload, expectedVersion, replies, output));
                    suspensions.incrementAndGet();
                } else {
                    // Refused without suspending it: nothing more is held at the edge (see Cost above).
                    refused.incrementAndGet();
                    output.preventPublishDelivery(AckReasonCode.QUOTA_EXCEEDED, REFUSAL);
                }
                return;
            }
            inHand++;
            taken = suspend(topic, payload, expectedVersion, replies, output);
        }
        hand(taken);
    }

    /** Suspends the publish (its PUBACK waits for {@link #finish}); the broker gives up on it after a while. */
    private Message suspend(TwinTopic topic, byte[] payload, Long expectedVersion, DeviceReplies replies,
                            PublishInboundOutput output) {
        return new Message(topic, payload, expectedVersion, replies, System.nanoTime(),
                output.async(timeout.plus(ANSWER_WITHIN), TimeoutFallback.FAILURE,
                        AckReasonCode.UNSPECIFIED_ERROR, NOT_ANSWERED));
    }

    /**
     * A device's publish on one of its own topics that the platform reads, or null. Another device's topic is left to
     * authorisation (which refuses it).
     */
    private static TwinTopic deviceTopic(String topic, String clientId) {
        TwinTopic parsed = TwinTopic.parse(topic).orElse(null);
        return parsed != null && KINDS.contains(parsed.kind()) && !TwinTopic.EDGE_KINDS.contains(parsed.kind())
                && parsed.twinId().value().equals(clientId)
                ? parsed : null;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** Hands a counted message to the platform; its answer resumes the publish and lets the next one in. */
    private void hand(Message message) {
        CompletableFuture<?> answered;
        try {
            answered = ingest.ingest(message.topic, message.payload, message.expectedVersion, message.replies);
        } catch (RuntimeException e) {
            answered = CompletableFuture.failedFuture(e);
        }
        answered.whenComplete((done, failure) -> answered(message, failure));
    }

    private void answered(Message message, Throwable failure) {
        if (failure != null) {
            unanswered.incrementAndGet();
            log.warn("a device message on {} was not answered; the device is told to send it again",
                    message.topic.text(), failure);
        }
        finish(message, failure == null ? AckReasonCode.SUCCESS : AckReasonCode.UNSPECIFIED_ERROR,
                failure == null ? null : NOT_ANSWERED);
        List<Message> next;
        synchronized (this) {
            inHand--;
            next = takeWaiting();
        }
        next.forEach(this::hand);
    }

    /** Answers the device (its PUBACK) and routes the publish no further; nothing if the broker gave up on it. */
    private static void finish(Message message, AckReasonCode code, String reason) {
        if (message.async.getStatus() != Async.Status.RUNNING) {
            return;
        }
        try {
            message.async.getOutput().preventPublishDelivery(code, reason);
            message.async.resume();
        } catch (RuntimeException e) {
            // Its time ran out between the look and the answer: the broker answered it already.
            log.debug("a device publish was answered by the broker's timeout first", e);
        }
    }

    /** Under the lock: the waiting publishes that now fit, each counted; ones the broker gave up on are dropped. */
    private List<Message> takeWaiting() {
        List<Message> next = List.of();
        while (ingest != null && inHand < limit && !waiting.isEmpty()) {
            Message message = waiting.poll();
            if (message.async.getStatus() != Async.Status.RUNNING) {
                continue;
            }
            inHand++;
            if (next.isEmpty()) {
                next = new ArrayList<>();
            }
            next.add(message);
        }
        return next;
    }

    /**
     * Every 100 ms: refuses the publishes that waited longer than the timeout. They wait in the order they came, so
     * the expired ones are at the head of the queue and the walk stops at the first that is not.
     */
    private void sweep() {
        try {
            long now = System.nanoTime();
            List<Message> expired = new ArrayList<>();
            synchronized (this) {
                while (!waiting.isEmpty() && now - waiting.peek().since >= timeout.toNanos()) {
                    Message message = waiting.poll();
                    if (message.async.getStatus() == Async.Status.RUNNING) {
                        expired.add(message);
                    }
                }
            }
            for (Message message : expired) {
                refused.incrementAndGet();
                finish(message, AckReasonCode.QUOTA_EXCEEDED, REFUSAL);
            }
        } catch (RuntimeException e) {
            log.warn("admission sweep failed", e);
        }
    }

    /** A device publish suspended at the edge: what it says, when it came, and how to answer it. */
    private record Message(TwinTopic topic, byte[] payload, Long expectedVersion, DeviceReplies replies, long since,
                           Async<PublishInboundOutput> async) {
    }
}
