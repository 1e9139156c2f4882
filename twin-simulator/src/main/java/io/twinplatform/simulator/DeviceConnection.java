package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import io.twinplatform.simulator.DeviceAction.Drop;
import io.twinplatform.simulator.DeviceAction.Publish;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The thin MQTT side of one {@link SimulatedDevice}: an MQTT 5 client whose client id is the twin id, with the user
 * name and password of its {@link DeviceProtocol} and, where the protocol has a connection topic, a last will
 * ({@code {"state":"Disconnected"}}, not retained) on it. On every connect (clean start) it subscribes to the
 * protocol's topics without local echo, then lets the device publish its birth message and {@code get}; the protocol
 * maps the device's messages to its topics and what arrives back to the native kinds the device knows. It wakes the
 * device exactly when its next timer is due, on a scheduler shared by the fleet, and reconnects by itself (1 s,
 * doubling to 30 s) when the broker goes away. The device is only ever touched under this object's lock.
 */
final class DeviceConnection {

    private static final Logger log = LoggerFactory.getLogger(DeviceConnection.class);
    private static final byte[] DISCONNECTED = "{\"state\":\"Disconnected\"}".getBytes(StandardCharsets.UTF_8);
    /** Client tokens waiting for their {@code reported/accepted}; beyond this many the oldest are forgotten. */
    private static final int MAX_PENDING = 1024;

    private final SimulatedDevice device;
    private final Mqtt5AsyncClient client;
    private final DeviceProtocol protocol;
    private final ScheduledExecutorService scheduler;
    private final SimulatorCounters counters;
    private final Duration reconnectDelay;
    private final AtomicBoolean warnedOnce;
    private final Clock clock;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private volatile boolean closing;
    private volatile boolean online;
    private boolean everConnected;
    private ScheduledFuture<?> wakeUp;
    private Instant wakeUpAt;
    /** Tells a wake-up that was replaced by an earlier one (and could not be cancelled in time) to do nothing. */
    private long wakeUpNumber;

    /**
     * @param tls        the TLS configuration; null connects over plain TCP
     * @param warnedOnce shared by the fleet, so that a broker that is down or refuses the credentials is logged
     *                   once at WARN, not once per device
     */
    DeviceConnection(SimulatedDevice device, DeviceProtocol protocol, String host, int port, MqttClientSslConfig tls,
                     MqttClientExecutorConfig executors,
                     ScheduledExecutorService scheduler, SimulatorCounters counters, Duration reconnectDelay,
                     AtomicBoolean warnedOnce, Clock clock) {
        this.device = device;
        this.scheduler = scheduler;
        this.counters = counters;
        this.reconnectDelay = reconnectDelay;
        this.warnedOnce = warnedOnce;
        this.clock = clock;
        this.protocol = protocol;
        Mqtt5ClientBuilder builder = MqttClient.builder().useMqttVersion5()
                .identifier(device.twinId())
                .serverHost(host)
                .serverPort(port)
                .sslConfig(tls)
                .executorConfig(executors)
                .automaticReconnect().initialDelay(1, TimeUnit.SECONDS).maxDelay(30, TimeUnit.SECONDS)
                .applyAutomaticReconnect()
                .addConnectedListener(context -> onConnected())
                .addDisconnectedListener(this::onDisconnected)
                .simpleAuth().username(protocol.userName()).password(protocol.password()).applySimpleAuth();
        if (protocol.connectionTopic() != null) {
            builder = builder.willPublish().topic(protocol.connectionTopic()).qos(MqttQos.AT_LEAST_ONCE).retain(false)
                    .payload(DISCONNECTED).applyWillPublish();
        }
        this.client = builder.buildAsync();
    }

    String twinId() {
        return device.twinId();
    }

    /** Starts connecting; failures are retried by the client's automatic reconnect. */
    void connect() {
        if (closing) {
            return;
        }
        client.connectWith().cleanStart(true).sessionExpiryInterval(0).send()
                .whenComplete((ack, failure) -> {
                    if (failure != null) {
                        log.debug("{}: connect failed", device.twinId(), failure);
                    }
                });
    }

    /**
     * Says goodbye the way a device that is switched off does: {@code {"state":"Disconnected"}} on its connection
     * topic, where its protocol has one, then a clean disconnect (which does not fire the last will).
     */
    CompletableFuture<Void> close() {
        closing = true;
        synchronized (this) {
            if (wakeUp != null) {
                wakeUp.cancel(false);
                wakeUp = null;
            }
        }
        if (!online || protocol.connectionTopic() == null) {
            return client.disconnect().exceptionally(failure -> null);
        }
        return client.publishWith().topic(protocol.connectionTopic()).qos(MqttQos.AT_LEAST_ONCE).payload(DISCONNECTED)
                .send()
                .handle((result, failure) -> null)
                .thenCompose(ignored -> client.disconnect())
                .exceptionally(failure -> null);
    }

    private void onConnected() {
        if (closing) {
            client.disconnect();
            return;
        }
        online = true;
        counters.connected.incrementAndGet();
        synchronized (this) {
            if (everConnected) {
                counters.reconnects.increment();
            }
            everConnected = true;
        }
        protocol.connected();
        Mqtt5Subscribe subscribe = Mqtt5Subscribe.builder().addSubscriptions(protocol.subscriptions().stream()
                .map(filter -> Mqtt5Subscription.builder().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                        .noLocal(true).build())).build();
        // The callback belongs to the subscription: a clean start ends both, and the next connect renews both.
        client.subscribe(subscribe, this::onPublish)
                .whenComplete((subAck, failure) -> {
                    if (failure != null || subAck.getReasonCodes().stream().anyMatch(code -> code.isError())) {
                        warn("{}: the broker refused the subscription to {}: {}", device.twinId(),
                                protocol.subscriptions(),
                                failure != null ? failure.toString() : subAck.getReasonCodes());
                    }
                    if (!online) {
                        return;
                    }
                    List<DeviceAction> actions;
                    synchronized (this) {
                        actions = device.connected(clock.instant());
                    }
                    perform(actions);
                    reschedule();
                });
    }

    private void onDisconnected(MqttClientDisconnectedContext context) {
        if (online) {
            online = false;
            counters.connected.decrementAndGet();
        } else if (context.getSource() != MqttDisconnectSource.USER) {
            counters.connectFailures.increment();
            warn("{}: cannot connect to the broker: {} (retrying, with the other devices)", device.twinId(),
                    context.getCause().toString());
        }
        synchronized (this) {
            device.disconnected();
        }
        if (closing) {
            context.getReconnector().reconnect(false);
        }
    }

    private void onPublish(Mqtt5Publish publish) {
        DeviceProtocol.Inbound inbound = protocol.inbound(publish.getTopic().toString(), publish.getPayloadAsBytes());
        if (inbound instanceof DeviceProtocol.Reply reply) {
            send(reply.message(), "reply");
            return;
        }
        if (!(inbound instanceof DeviceProtocol.ToDevice toDevice)) {
            log.debug("{}: ignored a message on {}", device.twinId(), publish.getTopic());
            return;
        }
        String kind = toDevice.kind();
        ObjectNode object = toDevice.message();
        if (kind.equals("reported/accepted") && object.path("clientToken").isTextual()) {
            Long sentAt = pending.remove(object.get("clientToken").asText());
            if (sentAt != null) {
                counters.latency.record(System.nanoTime() - sentAt);
            }
        } else if (kind.equals("reported/rejected")) {
            if (object.path("clientToken").isTextual()) {
                pending.remove(object.get("clientToken").asText());
            }
            log.debug("{}: reported patch rejected: {}", device.twinId(), object);
        }
        List<DeviceAction> actions;
        synchronized (this) {
            actions = device.received(kind, object, clock.instant());
        }
        perform(actions);
        reschedule();
    }

    private void perform(List<DeviceAction> actions) {
        for (DeviceAction action : actions) {
            if (action instanceof Publish publish) {
                publish(publish);
            } else if (action instanceof Drop) {
                drop();
            }
        }
    }

    private void publish(Publish publish) {
        DeviceProtocol.Outgoing message = protocol.outgoing(publish);
        if (message == null) {
            return;
        }
        String token = publish.clientToken();
        if (publish.kind().equals("reported") && token != null) {
            if (pending.size() >= MAX_PENDING) {
                pending.clear();
            }
            pending.putIfAbsent(token, System.nanoTime());
        }
        send(message, publish.kind());
    }

    private void send(DeviceProtocol.Outgoing message, String what) {
        client.publishWith().topic(message.topic()).qos(MqttQos.AT_LEAST_ONCE).payload(message.payload()).send()
                .whenComplete((result, failure) -> {
                    if (failure == null && result.getError().isEmpty()) {
                        counters.published.increment();
                    } else {
                        counters.publishFailures.increment();
                        log.debug("{}: publish of {} on {} failed", device.twinId(), what, message.topic(),
                                failure != null ? failure : result.getError().get());
                    }
                });
    }

    /**
     * An abrupt end, as far as the platform can tell: a DISCONNECT with reason code 4 asks the broker to publish the
     * last will. The device comes back after about {@code reconnectDelay} (between half and one and a half of it).
     */
    void drop() {
        if (closing || !online) {
            return;
        }
        client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send()
                .whenComplete((ignored, failure) -> {
                    long delay = (long) (reconnectDelay.toNanos() * (0.5 + ThreadLocalRandom.current().nextDouble()));
                    if (!closing) {
                        scheduler.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
                    }
                });
    }

    /** Arranges for {@link #wake} at the device's next due time, unless an earlier wake-up is already arranged. */
    void reschedule() {
        synchronized (this) {
            if (closing) {
                return;
            }
            Instant next = device.nextWakeUp();
            if (next == null || wakeUp != null && !wakeUpAt.isAfter(next)) {
                return;
            }
            if (wakeUp != null) {
                wakeUp.cancel(false);
            }
            long delay = Math.max(0, Duration.between(clock.instant(), next).toNanos());
            wakeUpAt = next;
            long number = ++wakeUpNumber;
            wakeUp = scheduler.schedule(() -> wake(number), delay, TimeUnit.NANOSECONDS);
        }
    }

    private void wake(long number) {
        List<DeviceAction> actions;
        synchronized (this) {
            if (closing || number != wakeUpNumber) {
                return;
            }
            // The scheduler's clock and the wall clock differ by a little; never wake up to find nothing due.
            Instant now = clock.instant();
            if (wakeUpAt != null && now.isBefore(wakeUpAt)) {
                now = wakeUpAt;
            }
            wakeUp = null;
            wakeUpAt = null;
            actions = device.tick(now);
        }
        perform(actions);
        reschedule();
    }

    private void warn(String format, Object... arguments) {
        if (warnedOnce.compareAndSet(false, true)) {
            log.warn(format, arguments);
        } else {
            log.debug(format, arguments);
        }
    }
}
