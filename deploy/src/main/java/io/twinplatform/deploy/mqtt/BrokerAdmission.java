package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.suback.SubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundOutput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.SubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.ModifiablePublishPacket;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.packets.suback.SubackPacket;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.command.device.DeviceAdmission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control at the embedded broker's edge: the broker never holds more than {@code limit} device messages
 * for the platform's reader ({@code twin.mqtt.max-backlog}). HiveMQ CE keeps a shared subscription's messages in one
 * list and walks it on every acknowledgement, so a backlog there makes every message cost more the longer it grows;
 * under overload the broker spent most of its time on those walks and throughput collapsed. Here the backlog stays
 * bounded and the overload waits at the devices instead.
 * <p>
 * <b>What is counted.</b> A device publish on one of its own {@link DeviceAdmission#KINDS} topics ({@code reported},
 * {@code get}, {@code connection}; telemetry has its own reader and is left alone). It is counted when it is let
 * through to the broker (admitted), and released when the platform's reader has handled it
 * ({@link #handled(Mqtt5Publish)}, from {@code DeviceInbound} where it acknowledges the message). Counting at
 * admission, not at delivery to the platform, is what bounds the broker's queue: a message waiting in the queue is
 * already counted. Each admitted message carries a ticket (the user property {@value #TICKET}) that the platform's
 * delivery brings back, so a release is exact and idempotent: a redelivery of a message the platform already handled
 * (after its connection dropped) releases nothing twice, and a device cannot release a place with a ticket of its own
 * making (the property is removed from what devices send).
 * <p>
 * <b>Over the limit</b> a publish is suspended ({@code PublishInboundOutput.async}), not refused: it stays
 * unacknowledged, so a device with its own in-flight window slows down, and the broker holds it in its own per-client
 * task queue rather than in the shared subscription's list (a device's later publishes wait behind it, in order).
 * Suspended publishes are let in first come, first served as the platform releases places. One that waits longer
 * than {@code twin.mqtt.admission-timeout} is refused: the device gets PUBACK {@code QUOTA_EXCEEDED} (an MQTT 3
 * device is disconnected, MQTT 3 having no such code) and knows that nothing was taken and it may send again. A
 * device's acknowledged report is never dropped here.
 * <p>
 * <b>No reader, no admission.</b> The broker would discard a message no subscription matches (and answer the device
 * with the success code "no matching subscribers"), which a count would never see released. So a publish is admitted
 * only while a platform connection holds the reader's subscriptions (known from its SUBSCRIBE and SUBACK, forgotten
 * when it disconnects); before the reader has subscribed and while it reconnects, device publishes wait as they do
 * over the limit, and reach the platform once it reads again (or are refused after the timeout).
 * <p>
 * <b>Leaks.</b> A ticket can still be lost with its message: the broker clears a shared subscription's queue once no
 * subscriber is left for a while, and a suspended publish whose timeout fires at the instant it is let in is refused
 * after it was counted. A ticket not handled within {@link #LOST_AFTER} is therefore given up (counted in
 * {@code twin.devices.admission.lost}); under admission control a message waits at most the backlog's length at the
 * platform's rate (seconds), so only a stalled platform keeps a live one that long, and then the backlog may grow by
 * that ticket. A last will, published by the broker itself, is not intercepted and not counted.
 * <p>
 * <b>Cost.</b> Every device publish passes through HiveMQ's extension task queue; a suspended one keeps its device's
 * queue busy, and HiveMQ's task thread visits each busy queue whenever it looks for work, so that cost grows with the
 * number of devices waiting (bounded by the fleet), not with the backlog.
 */
final class BrokerAdmission implements DeviceAdmission {

    /** The user property carrying an admitted message's ticket to the platform. */
    static final String TICKET = "twin-admission";
    /** How long a ticket may stay unhandled before it is taken as lost with its message. */
    static final Duration LOST_AFTER = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(BrokerAdmission.class);
    private static final String REFUSAL = "the platform cannot take it now: nothing was taken, send it again later";
    private static final Set<SubackReasonCode> GRANTED = EnumSet.of(SubackReasonCode.GRANTED_QOS_0,
            SubackReasonCode.GRANTED_QOS_1, SubackReasonCode.GRANTED_QOS_2);

    private final int limit;
    private final Duration timeout;
    private final AtomicLong lastTicket = new AtomicLong();
    /** Admitted and not yet handled: ticket → when it was admitted ({@link System#nanoTime()}). */
    private final Map<Long, Long> tickets = new ConcurrentHashMap<>();
    private final PublishInboundInterceptor devicePublishes = this::admit;
    private final AtomicLong suspensions = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    // Guarded by this.
    private int backlog;
    private final ArrayDeque<Async<PublishInboundOutput>> waiting = new ArrayDeque<>();
    private final Set<String> readers = new HashSet<>();

    /**
     * @param limit   device messages admitted to the platform and not yet handled, at most (at least 1)
     * @param timeout how long a publish may wait at the edge before it is refused with {@code QUOTA_EXCEEDED}
     */
    BrokerAdmission(int limit, Duration timeout) {
        if (limit < 1) {
            throw new IllegalArgumentException("twin.mqtt.max-backlog must be at least 1, not " + limit);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("twin.mqtt.admission-timeout must be positive, not " + timeout);
        }
        this.limit = limit;
        this.timeout = timeout;
    }

    /** Registers with the broker; called from the embedded extension's start. */
    void start() {
        Services.initializerRegistry().setClientInitializer(this::initialize);
        ClientLifecycleEventListener lifecycle = new ClientLifecycleEventListener() {
            @Override
            public void onMqttConnectionStart(ConnectionStartInput input) {
            }

            @Override
            public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {
            }

            @Override
            public void onDisconnect(DisconnectEventInput input) {
                readerGone(input.getClientInformation().getClientId());
            }
        };
        Services.eventRegistry().setClientLifecycleEventListener(input -> lifecycle);
        Services.extensionExecutorService().scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    /** The most messages admitted and not yet handled. */
    int limit() {
        return limit;
    }

    /** Messages admitted to the platform and not yet handled. */
    synchronized int backlog() {
        return backlog;
    }

    /** Publishes held at the edge now (at most one per device: its later ones wait behind it in the broker). */
    synchronized int suspended() {
        int running = 0;
        for (Async<PublishInboundOutput> async : waiting) {
            if (async.getStatus() == Async.Status.RUNNING) {
                running++;
            }
        }
        return running;
    }

    /** Publishes that had to wait, since the start. */
    long suspensions() {
        return suspensions.get();
    }

    /** Publishes refused after waiting {@code timeout}, since the start. */
    long refused() {
        return refused.get();
    }

    /** Tickets given up as lost, since the start. */
    long lost() {
        return lost.get();
    }

    @Override
    public void handled(Mqtt5Publish publish) {
        for (Mqtt5UserProperty property : publish.getUserProperties().asList()) {
            if (property.getName().toString().equals(TICKET)) {
                try {
                    release(Long.parseLong(property.getValue().toString()));
                } catch (NumberFormatException e) {
                    log.debug("a device message carried a malformed admission ticket", e);
                }
                return;
            }
        }
    }

    /** Device connections get the admission interceptor; the platform's own, a watch on their subscriptions. */
    private void initialize(InitializerInput input, ClientContext context) {
        if (DeviceAuthorisation.isPlatform(input.getConnectionInformation())) {
            ReaderWatch watch = new ReaderWatch(input.getClientInformation().getClientId());
            context.addSubscribeInboundInterceptor(watch);
            context.addSubackOutboundInterceptor(watch);
        } else {
            context.addPublishInboundInterceptor(devicePublishes);
        }
    }

    /** On HiveMQ's extension task thread, once per device publish, in the device's order. */
    private void admit(PublishInboundInput input, PublishInboundOutput output) {
        PublishPacket packet = input.getPublishPacket();
        if (packet.getUserProperties().getFirst(TICKET).isPresent()) {
            output.getPublishPacket().getUserProperties().removeName(TICKET);
        }
        if (!counted(packet.getTopic(), input.getClientInformation().getClientId())) {
            return;
        }
        synchronized (this) {
            if (!waiting.isEmpty() || !admissible()) {
                waiting.add(output.async(timeout, TimeoutFallback.FAILURE, AckReasonCode.QUOTA_EXCEEDED, REFUSAL));
                suspensions.incrementAndGet();
                return;
            }
            backlog++;
        }
        ticket(output.getPublishPacket());
    }

    /**
     * A device's publish on one of its own topics that the platform reads. Another device's topic is refused by
     * authorisation (which runs after this interceptor), so counting it would leak its place.
     */
    private static boolean counted(String topic, String clientId) {
        TwinTopic parsed = TwinTopic.parse(topic).orElse(null);
        return parsed != null && KINDS.contains(parsed.kind()) && parsed.twinId().value().equals(clientId);
    }

    private boolean admissible() {
        return !readers.isEmpty() && backlog < limit;
    }

    private long ticket(ModifiablePublishPacket packet) {
        long ticket = lastTicket.incrementAndGet();
        tickets.put(ticket, System.nanoTime());
        packet.getUserProperties().addUserProperty(TICKET, Long.toString(ticket));
        return ticket;
    }

    /** Frees the ticket's place (once) and lets waiting publishes in. */
    private boolean release(long ticket) {
        if (tickets.remove(ticket) == null) {
            return false;
        }
        List<Async<PublishInboundOutput>> next;
        synchronized (this) {
            backlog--;
            next = takeWaiting();
        }
        resume(next);
        return true;
    }

    /** Under the lock: the waiting publishes that now fit, each counted; ones already refused are dropped. */
    private List<Async<PublishInboundOutput>> takeWaiting() {
        List<Async<PublishInboundOutput>> next = List.of();
        while (admissible() && !waiting.isEmpty()) {
            Async<PublishInboundOutput> async = waiting.poll();
            if (async.getStatus() != Async.Status.RUNNING) {
                refused.incrementAndGet();
                continue;
            }
            backlog++;
            if (next.isEmpty()) {
                next = new ArrayList<>();
            }
            next.add(async);
        }
        return next;
    }

    private void resume(List<Async<PublishInboundOutput>> next) {
        for (Async<PublishInboundOutput> async : next) {
            long ticket = ticket(async.getOutput().getPublishPacket());
            async.resume();
            if (async.getStatus() == Async.Status.CANCELED) {
                // Its timeout fired between the look and the resume: the broker refuses it, so it takes no place.
                refused.incrementAndGet();
                release(ticket);
            }
        }
    }

    private void readerSubscribed(String clientId) {
        List<Async<PublishInboundOutput>> next;
        boolean first;
        synchronized (this) {
            first = readers.isEmpty();
            readers.add(clientId);
            next = takeWaiting();
        }
        if (first) {
            log.info("the platform reads device topics ({}); admission control lets up to {} device messages in",
                    clientId, limit);
        }
        resume(next);
    }

    private void readerGone(String clientId) {
        boolean none;
        synchronized (this) {
            none = readers.remove(clientId) && readers.isEmpty();
        }
        if (none) {
            log.info("no platform connection reads device topics any more ({} left); device publishes wait for one",
                    clientId);
        }
    }

    /** Every second: gives up lost tickets and forgets refused publishes. */
    private void sweep() {
        try {
            long now = System.nanoTime();
            int given = 0;
            for (Map.Entry<Long, Long> ticket : tickets.entrySet()) {
                if (now - ticket.getValue() > LOST_AFTER.toNanos() && release(ticket.getKey())) {
                    given++;
                }
            }
            if (given > 0) {
                lost.addAndGet(given);
                log.warn("{} device messages admitted to the platform over {} ago were never handled; their places"
                        + " are given up (see twin.devices.admission.lost)", given, LOST_AFTER);
            }
            synchronized (this) {
                waiting.removeIf(async -> {
                    if (async.getStatus() == Async.Status.RUNNING) {
                        return false;
                    }
                    refused.incrementAndGet();
                    return true;
                });
            }
        } catch (RuntimeException e) {
            log.warn("admission sweep failed", e);
        }
    }

    /**
     * A platform connection becomes a reader when the broker grants it a subscription to the reader's topics
     * ({@code [$share/<group>/]twins/+/<kind>} or {@code …/modules/+/<kind>}): at the SUBACK, when the
     * subscription is in place, so a publish let in from then on has somewhere to go.
     */
    private final class ReaderWatch implements SubscribeInboundInterceptor, SubackOutboundInterceptor {

        private final String clientId;
        private volatile int pendingPacketId = -1;

        ReaderWatch(String clientId) {
            this.clientId = clientId;
        }

        @Override
        public void onInboundSubscribe(SubscribeInboundInput input, SubscribeInboundOutput output) {
            if (input.getSubscribePacket().getSubscriptions().stream()
                    .anyMatch(subscription -> readsDeviceTopics(subscription.getTopicFilter()))) {
                pendingPacketId = input.getSubscribePacket().getPacketId();
            }
        }

        @Override
        public void onOutboundSuback(SubackOutboundInput input, SubackOutboundOutput output) {
            SubackPacket suback = input.getSubackPacket();
            if (suback.getPacketIdentifier() == pendingPacketId) {
                pendingPacketId = -1;
                if (GRANTED.containsAll(suback.getReasonCodes())) {
                    readerSubscribed(clientId);
                }
            }
        }
    }

    private static boolean readsDeviceTopics(String filter) {
        String topics = filter;
        if (filter.startsWith("$share/")) {
            int group = filter.indexOf('/', "$share/".length());
            if (group < 0) {
                return false;
            }
            topics = filter.substring(group + 1);
        }
        for (String kind : KINDS) {
            if (topics.equals(TwinTopic.ROOT + "/+/" + kind)
                    || topics.equals(TwinTopic.ROOT + "/+/modules/+/" + kind)) {
                return true;
            }
        }
        return false;
    }
}
