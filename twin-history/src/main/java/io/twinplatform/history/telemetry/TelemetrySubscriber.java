package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceActivity;
import io.twinplatform.api.device.RecordDeviceActivity;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import jakarta.annotation.PreDestroy;
import org.axonframework.commandhandling.NoHandlerForCommandException;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads device telemetry ({@code twins/{deviceId}/telemetry}, QoS 1) through the shared subscription
 * {@code $share/{twin.mqtt.shared-group}/twins/+/telemetry} (a plain one when the group is blank), so that several
 * platform instances split the fleet; only in a process with an MQTT client. Each message is parsed on the receiving
 * thread ({@link TelemetryPayload}) and handed to the {@link TelemetryWriter}, which acknowledges it once its rows
 * are committed. A message that cannot be stored is answered on {@code twins/{deviceId}/telemetry/rejected} (QoS 1)
 * with the problem document HTTP would give plus {@code topic} (and {@code instance}, as the other rejected topics
 * have it): the topic it came on; then it is acknowledged. Every message counts as the device's activity, sent once
 * a second as one {@link RecordDeviceActivity}.
 */
@Component
class TelemetrySubscriber {

    private static final Logger log = LoggerFactory.getLogger(TelemetrySubscriber.class);
    static final String KIND = "telemetry";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final ObjectProvider<Mqtt5AsyncClient> clients;
    private final CommandGateway commands;
    private final TelemetryStore store;
    private final TelemetryRetention retention;
    private final TelemetrySettings settings;
    private final JdbcTemplate jdbc;
    private final String sharedGroup;
    private final DeviceActivity activity = new DeviceActivity();
    private final Clock clock = Clock.systemUTC();
    private Mqtt5AsyncClient client;
    private TelemetryWriter writer;
    private ExecutorService reader;
    private ScheduledExecutorService activityFlush;

    /** Where the known-twins cache counts its hits and misses; null when there is no registry. */
    private final MeterRegistry meters;

    TelemetrySubscriber(ObjectProvider<Mqtt5AsyncClient> clients, CommandGateway commands, TelemetryStore store,
                        TelemetryRetention retention, TelemetrySettings settings, JdbcTemplate jdbc,
                        @Value("${twin.mqtt.shared-group:twin-platform}") String sharedGroup,
                        ObjectProvider<MeterRegistry> meters) {
        this.meters = meters.getIfAvailable();
        this.clients = clients;
        this.commands = commands;
        this.store = store;
        this.retention = retention;
        this.settings = settings;
        this.jdbc = jdbc;
        this.sharedGroup = sharedGroup;
    }

    /** Subscribes once the platform is ready; the client comes connected. */
    @EventListener(ApplicationReadyEvent.class)
    void start() {
        client = clients.getIfAvailable();
        if (client == null) {
            return;
        }
        writer = new TelemetryWriter(store, new KnownTwins(jdbc, settings.twinCacheSize(), settings.twinCacheTtl(),
                meters), settings, this::reject);
        writer.start();
        reader = Executors.newSingleThreadExecutor(r -> new Thread(r, "twin-telemetry-reader"));
        activityFlush = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "twin-telemetry-activity"));
        activityFlush.scheduleWithFixedDelay(this::flushActivity, 1, 1, TimeUnit.SECONDS);
        String filter = "twins/+/" + KIND;
        String subscription = sharedGroup.isBlank() ? filter : "$share/" + sharedGroup + "/" + filter;
        Mqtt5SubAck ack = client.subscribeWith().topicFilter(subscription).qos(MqttQos.AT_LEAST_ONCE)
                .callback(this::receive).executor(reader).manualAcknowledgement(true).send().join();
        if (ack.getReasonCodes().stream().anyMatch(code -> code.isError())) {
            log.warn("the broker refused the telemetry subscription {}: {}", subscription, ack.getReasonCodes());
        } else {
            log.info("telemetry is read from {}", subscription);
        }
    }

    @PreDestroy
    void stop() {
        if (client == null) {
            return;
        }
        writer.stop(STOP_TIMEOUT);
        reader.shutdown();
        activityFlush.shutdownNow();
        flushActivity();
    }

    void receive(Mqtt5Publish publish) {
        Instant receivedAt = clock.instant();
        String topic = publish.getTopic().toString();
        TwinTopic twinTopic = TwinTopic.parse(topic).filter(parsed -> parsed.kind().equals(KIND)).orElse(null);
        if (twinTopic == null) {
            log.debug("telemetry on {} ignored: not the telemetry topic of a valid device id", topic);
            publish.acknowledge();
            return;
        }
        String twinId = twinTopic.twinId().value();
        activity.seen(twinId, receivedAt);
        List<TelemetrySample> samples;
        try {
            samples = TelemetryPayload.parse(twinId, publish.getPayloadAsBytes(), receivedAt);
            Instant horizon = retention.horizon();
            if (samples.get(0).ts().isBefore(horizon)) {
                throw TelemetryPayload.pastRetention(horizon);
            }
        } catch (TwinException e) {
            reject(new TelemetryWriter.Delivery(twinId, topic, List.of(), publish::acknowledge), e.error());
            return;
        }
        writer.offer(new TelemetryWriter.Delivery(twinId, topic, samples, publish::acknowledge));
    }

    /** Answers on {@code …/telemetry/rejected} with the problem and the topic, then acknowledges. */
    private void reject(TelemetryWriter.Delivery delivery, TwinError error) {
        ObjectNode problem = rejection(error, delivery.topic());
        log.debug("rejected telemetry on {}: {}", delivery.topic(), problem);
        client.publishWith().topic(delivery.topic() + "/rejected").qos(MqttQos.AT_LEAST_ONCE)
                .contentType("application/json")
                .payload(problem.toString().getBytes(StandardCharsets.UTF_8))
                .send()
                .whenComplete((result, failure) -> {
                    if (failure != null) {
                        log.debug("the rejection of telemetry on {} was not sent", delivery.topic(), failure);
                    }
                    delivery.acknowledge().run();
                });
    }

    /** What {@code …/telemetry/rejected} carries: the problem document, with the topic the message came on. */
    static ObjectNode rejection(TwinError error, String topic) {
        ObjectNode problem = error.toProblem();
        // RFC 9457's instance: where it happened (HTTP names the request path, MQTT the topic).
        problem.put("instance", topic);
        return problem;
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
}
