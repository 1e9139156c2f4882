package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceActivity;
import io.twinplatform.api.device.DeviceMessage.Outcome;
import io.twinplatform.api.device.DeviceMessage;
import io.twinplatform.api.device.DeviceMessageHandler;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.RecordDeviceActivity;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.model.DaemonThreads;
import org.axonframework.commandhandling.NoHandlerForCommandException;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.TaskScheduler;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * The platform's one reader of device topics. For each module's {@link DeviceMessageHandler} it subscribes to that
 * handler's kinds through the shared group ({@code $share/<twin.mqtt.shared-group>/twins/+/<kind>}, plain
 * subscriptions when the group is blank, so that several instances split the fleet), on connections of the
 * handler's own (a client acknowledges in order: telemetry waiting for its batch must not hold back a report's
 * acknowledgement), and checks the broker granted every subscription. A delivery is acknowledged (QoS 1) only once
 * its handler is done with it, so one the platform did not finish is delivered again. With the embedded broker, the
 * messages answered after a commit ({@link DeviceAdmission#KINDS}) are also handed in at the broker's edge, which
 * holds the device's PUBACK until the answer.
 * <p>
 * Every message counts as its device's activity, in one stream for all kinds: unless the event it caused holds the
 * time ({@link Outcome#APPLIED}), its receipt is recorded and sent about once a second as one
 * {@link RecordDeviceActivity}, and once more when the reader stops. Each outcome is counted as
 * {@code twin.devices.messages{kind, outcome}}; a message whose handler could give no answer is {@code failed}.
 */
final class DeviceReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeviceReader.class);
    private static final Duration FLUSH_EVERY = Duration.ofSeconds(1);

    private final List<DeviceMessageHandler> handlers;
    private final Map<String, DeviceMessageHandler> byKind = new HashMap<>();
    private final Map<String, Map<Outcome, Counter>> outcomes = new HashMap<>();
    private final Map<String, Counter> failures = new HashMap<>();
    private final String sharedGroup;
    private final CommandGateway commands;
    private final DeviceActivity activity = new DeviceActivity();
    private final Clock clock = Clock.systemUTC();
    private final List<ExecutorService> readers = new ArrayList<>();
    private final ScheduledFuture<?> activityFlush;
    private final Replies replies = new Replies();
    private final Supplier<Mqtt5AsyncClient> connect;
    private final DeviceAdmission admission;
    private volatile Mqtt5AsyncClient publisher;

    /**
     * {@code connect} gives a new connected client of the broker; {@code admission} is the broker's edge
     * ({@link DeviceAdmission#NONE} when it has none).
     */
    DeviceReader(List<DeviceMessageHandler> handlers, String sharedGroup, Supplier<Mqtt5AsyncClient> connect,
                 DeviceAdmission admission, CommandGateway commands, MeterRegistry meters, TaskScheduler scheduler) {
        this.handlers = List.copyOf(handlers);
        this.connect = connect;
        this.admission = admission;
        this.sharedGroup = sharedGroup == null ? "" : sharedGroup;
        this.commands = commands;
        for (DeviceMessageHandler handler : this.handlers) {
            for (String kind : handler.kinds()) {
                if (byKind.putIfAbsent(kind, handler) != null) {
                    throw new IllegalStateException("two handlers of device messages on '" + kind + "'");
                }
                Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
                for (Outcome outcome : Outcome.values()) {
                    counters.put(outcome, counter(meters, kind, outcome.tag()));
                }
                outcomes.put(kind, counters);
                failures.put(kind, counter(meters, kind, "failed"));
            }
        }
        activityFlush = scheduler.scheduleWithFixedDelay(this::flushActivity,
                scheduler.getClock().instant().plus(FLUSH_EVERY), FLUSH_EVERY);
    }

    private static Counter counter(MeterRegistry meters, String kind, String outcome) {
        return Counter.builder("twin.devices.messages").tag("kind", kind).tag("outcome", outcome)
                .description("device messages by topic kind and how they ended").register(meters);
    }


    /**
     * Once the platform is ready to handle what devices send: subscribes for every handler, each on
     * {@link DeviceMessageHandler#connections()} connections of its own (one when there is no shared group: plain
     * subscriptions would each get every message), and opens the broker's edge, if it has one, to the kinds it hands
     * in. Answers go out on one more connection.
     */
    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (handlers.isEmpty()) {
            return;
        }
        publisher = connect.get();
        for (DeviceMessageHandler handler : handlers) {
            String name = "mqtt-device-reader-" + String.join("-", handler.kinds().stream()
                    .filter(kind -> !TwinTopic.EDGE_KINDS.contains(kind)).sorted().toList());
            ExecutorService reader = Executors.newSingleThreadExecutor(DaemonThreads.named(name + "-"));
            readers.add(reader);
            Semaphore inFlight = handler.maxInFlight() > 0 ? new Semaphore(handler.maxInFlight()) : null;
            List<Mqtt5Subscription> subscriptions = new ArrayList<>();
            for (String kind : handler.kinds().stream().sorted().toList()) {
                if (TwinTopic.EDGE_KINDS.contains(kind)) {
                    // Handed in at the broker's edge only (AWS's shadow requests): no topic of ours carries them.
                    continue;
                }
                subscriptions.add(subscription("twins/+/" + kind));
                if (handler.modules()) {
                    subscriptions.add(subscription("twins/+/modules/+/" + kind));
                }
            }
            int connections = sharedGroup.isBlank() ? 1 : Math.max(1, handler.connections());
            for (int i = 0; i < connections; i++) {
                Mqtt5SubAck ack = connect.get()
                        .subscribe(Mqtt5Subscribe.builder().addSubscriptions(subscriptions).build(),
                                publish -> receive(publish, inFlight), reader, true)
                        .join();
                if (ack.getReasonCodes().stream().anyMatch(code -> code.isError())) {
                    log.warn("the broker refused some device subscriptions of {}: {}", handler.kinds(),
                            ack.getReasonCodes());
                }
            }
            log.info("device messages on {} are read through {} ({} connection{})", handler.kinds().stream().sorted()
                    .toList(), sharedGroup.isBlank() ? "plain subscriptions" : "shared group " + sharedGroup,
                    connections, connections == 1 ? "" : "s");
        }
        if (DeviceAdmission.KINDS.stream().allMatch(byKind::containsKey)) {
            admission.open(this::ingest);
        }
    }

    private Mqtt5Subscription subscription(String filter) {
        return Mqtt5Subscription.builder()
                .topicFilter(sharedGroup.isBlank() ? filter : "$share/" + sharedGroup + "/" + filter)
                .qos(MqttQos.AT_LEAST_ONCE).build();
    }

    /** On a handler's reader thread: hands the delivery on, and acknowledges it once it was handled. */
    private void receive(Mqtt5Publish publish, Semaphore inFlight) {
        TwinTopic topic = TwinTopic.parse(publish.getTopic().toString()).orElse(null);
        if (topic == null || !byKind.containsKey(topic.kind())) {
            log.debug("a message on {} ignored: not a device topic of a valid twin id", publish.getTopic());
            publish.acknowledge();
            return;
        }
        if (inFlight != null) {
            inFlight.acquireUninterruptibly();
        }
        handle(topic, publish.getPayloadAsBytes(), null, replies).whenComplete((outcome, failure) -> {
            if (inFlight != null) {
                inFlight.release();
            }
            publish.acknowledge();
        });
    }

    /** A message handed in at the broker's edge ({@link DeviceAdmission.Ingest}); never waits. */
    private CompletableFuture<?> ingest(TwinTopic topic, byte[] payload, Long expectedVersion,
                                        DeviceReplies protocolReplies) {
        return handle(topic, payload, expectedVersion, protocolReplies == null ? replies : protocolReplies);
    }

    private CompletableFuture<Outcome> handle(TwinTopic topic, byte[] payload, Long expectedVersion,
                                              DeviceReplies answers) {
        DeviceMessage message = new DeviceMessage(topic, payload, clock.instant(), expectedVersion);
        CompletableFuture<Outcome> handled;
        try {
            handled = byKind.get(topic.kind()).handle(message, answers);
        } catch (RuntimeException e) {
            handled = CompletableFuture.failedFuture(e);
        }
        return handled.whenComplete((outcome, failure) -> {
            if (failure != null) {
                failures.get(topic.kind()).increment();
                log.warn("a device message on {} was not answered", topic.text(), failure);
            } else {
                outcomes.get(topic.kind()).get(outcome).increment();
            }
            if (outcome != Outcome.APPLIED) {
                activity.seen(topic.twinId().value(), message.received());
            }
        });
    }

    /** Stops recording activity, after sending what was recorded; the readers' threads end with the client. */
    @Override
    public void close() {
        activityFlush.cancel(false);
        flushActivity();
    }

    private void flushActivity() {
        RecordDeviceActivity batch = activity.drain();
        if (batch != null) {
            commands.send(batch).exceptionally(failure -> {
                if (failure instanceof NoHandlerForCommandException
                        || failure.getCause() instanceof NoHandlerForCommandException) {
                    log.debug("device activity not recorded: no read side in this process");
                } else {
                    log.warn("device activity of {} twins not recorded", batch.lastSeen().size(), failure);
                }
                return null;
            });
        }
    }

    /** Answers on the devices' own topics through the platform's publishing client. */
    private final class Replies implements DeviceReplies {

        @Override
        public CompletableFuture<Void> publish(TwinTopic topic, ObjectNode body) {
            return publisher.publishWith().topic(topic.text()).qos(MqttQos.AT_LEAST_ONCE)
                    .contentType("application/json")
                    .payload(body.toString().getBytes(StandardCharsets.UTF_8))
                    .send()
                    .thenApply(result -> null);
        }
    }
}
