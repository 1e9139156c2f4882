package io.twinplatform.command.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceActivity;
import io.twinplatform.api.device.RecordDeviceActivity;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.ReportConnection;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.command.config.Throttle;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Reads what devices publish: {@code …/reported} (a merge patch of reported properties; a top-level
 * {@code clientToken} is not a property but makes a redelivery a no-op) answered on {@code …/reported/accepted} or
 * {@code …/reported/rejected}; {@code …/get} answered with the full twin on {@code …/get/accepted};
 * {@code …/connection} (birth and last will) recorded as the twin's {@code connectionState}. A refusal is answered
 * with the problem document HTTP would give, never dropped; a device over its rate limit
 * ({@code twin.devices.rate-limit}) is answered so ({@code 429 throttled}) and its message not applied. Every message counts as the device's activity. A report or
 * connection message that changed the twin carries it in its event (the projection writes {@code lastActivityTime}
 * with the rest of the twin); any other message's time is recorded once a second without an event.
 * <p>
 * Messages come two ways. A broker with an edge of its own ({@link DeviceAdmission}, the embedded one) hands a
 * device's publish in directly and sends its PUBACK only once the answer is out, so a device never holds an
 * acknowledgement for a report that is not committed. Otherwise, and for what the broker publishes itself (a last
 * will), a shared subscription reads them, so that several platform instances split the fleet; a message is
 * acknowledged (QoS 1) only after it was handled, so one the platform did not finish is delivered again.
 */
@Component
class DeviceInbound {

    private static final Logger log = LoggerFactory.getLogger(DeviceInbound.class);
    private static final List<String> KINDS = DeviceAdmission.KINDS;

    private final ObjectProvider<Mqtt5AsyncClient> clients;
    private final DeviceAdmission admission;
    private final CommandGateway commands;
    private final QueryGateway queries;
    private final String sharedGroup;
    private final Semaphore inFlight;
    private final int workerCount;
    private final int connections;
    private final DeviceActivity activity = new DeviceActivity();
    private final Throttle throttle;
    private final Counter throttled;
    private final Clock clock = Clock.systemUTC();
    private ExecutorService reader;
    /** One thread per shard of devices: a device's messages are handled in order, devices in parallel. */
    private ExecutorService[] workers;
    private ScheduledExecutorService activityFlush;
    private Mqtt5AsyncClient client;

    DeviceInbound(ObjectProvider<Mqtt5AsyncClient> clients, CommandGateway commands, QueryGateway queries,
                  DeviceSettings settings, @Value("${twin.mqtt.shared-group:twin-platform}") String sharedGroup,
                  ObjectProvider<DeviceAdmission> admission, MeterRegistry meters) {
        this.throttle = new Throttle(settings.rateLimit().messagesPerSecond(), settings.rateLimit().burst());
        this.throttled = Counter.builder("twin.devices.throttled")
                .description("device messages refused for going over the device's rate limit").register(meters);
        this.clients = clients;
        this.admission = admission.getIfAvailable(() -> DeviceAdmission.NONE);
        this.commands = commands;
        this.queries = queries;
        this.sharedGroup = sharedGroup;
        this.inFlight = new Semaphore(settings.maxInFlight());
        this.workerCount = settings.workers();
        this.connections = sharedGroup.isBlank() ? 1 : settings.connections();
    }

    /** Subscribes once the platform is ready to handle commands. */
    @EventListener(ApplicationReadyEvent.class)
    void start() {
        client = clients.getIfAvailable();
        if (client == null) {
            return;
        }
        List<Mqtt5AsyncClient> readers = new ArrayList<>(List.of(client));
        for (int i = 1; i < connections; i++) {
            readers.add(clients.getObject());
        }
        reader = Executors.newSingleThreadExecutor(r -> daemon(r, "mqtt-device-inbound"));
        workers = new ExecutorService[workerCount];
        for (int i = 0; i < workerCount; i++) {
            String name = "mqtt-device-worker-" + i;
            workers[i] = Executors.newSingleThreadExecutor(r -> daemon(r, name));
        }
        activityFlush = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "mqtt-device-activity"));
        activityFlush.scheduleWithFixedDelay(this::flushActivity, 1, 1, TimeUnit.SECONDS);
        List<Mqtt5Subscription> subscriptions = new ArrayList<>();
        for (String kind : KINDS) {
            for (String filter : List.of("twins/+/" + kind, "twins/+/modules/+/" + kind)) {
                subscriptions.add(Mqtt5Subscription.builder().topicFilter(shared(filter)).qos(MqttQos.AT_LEAST_ONCE)
                        .build());
            }
        }
        // Several connections in the shared group: a client acknowledges in order, so one slow message holds back
        // only its own connection's window.
        for (Mqtt5AsyncClient connection : readers) {
            connection.subscribe(Mqtt5Subscribe.builder().addSubscriptions(subscriptions).build(), this::receive,
                    reader, true).join();
        }
        log.info("device channel reads {} through {}", KINDS,
                sharedGroup.isBlank() ? "plain subscriptions" : "shared group " + sharedGroup);
        admission.open(this::ingest);
    }

    private String shared(String filter) {
        return sharedGroup.isBlank() ? filter : "$share/" + sharedGroup + "/" + filter;
    }

    /**
     * Stops recording activity. The reader's thread is a daemon left running: the client still hands it the end of
     * its session when it disconnects, after this bean is gone.
     */
    @jakarta.annotation.PreDestroy
    void stop() {
        if (client != null) {
            activityFlush.shutdownNow();
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /** On the reader thread: hands the message to its device's worker, waiting while too many are in flight. */
    void receive(Mqtt5Publish publish) {
        TwinTopic topic = TwinTopic.parse(publish.getTopic().toString()).orElse(null);
        if (topic == null || !KINDS.contains(topic.kind())) {
            publish.acknowledge();
            return;
        }
        Instant received = clock.instant();
        inFlight.acquireUninterruptibly();
        worker(topic).execute(() -> answer(topic, publish.getPayloadAsBytes(), received)
                .whenComplete((done, failure) -> {
                    inFlight.release();
                    publish.acknowledge();
                }));
    }

    /**
     * A device message handed in at the broker's edge ({@link DeviceAdmission.Ingest}): handled on its device's
     * worker, as one read through the subscription is. The broker holds the device's later publishes until this one
     * completes, so a device's messages are still applied in the order it sent them; how many are in hand at once
     * is the broker's limit, so nothing here waits.
     */
    private CompletableFuture<?> ingest(TwinTopic topic, byte[] payload) {
        Instant received = clock.instant();
        return CompletableFuture.supplyAsync(() -> answer(topic, payload, received), worker(topic))
                .thenCompose(answered -> answered);
    }

    /** One thread per shard of devices: the command is dispatched on it, so a device's messages keep their order. */
    private ExecutorService worker(TwinTopic topic) {
        return workers[Math.floorMod(topic.twinId().value().hashCode(), workers.length)];
    }

    /**
     * On the device's worker: decides the message and publishes its answer. Completes once the answer was published
     * (the command, if any, committed before); exceptionally only when not even a refusal could be published. The
     * message's time, {@code received}, is recorded as the device's activity unless the event it caused holds it.
     */
    private CompletableFuture<Object> answer(TwinTopic topic, byte[] payload, Instant received) {
        String clientToken = null;
        try {
            ObjectNode body = payload.length == 0 && topic.kind().equals("get") ? JsonNodeFactory.instance.objectNode()
                    // A reported message is the reported patch (with its clientToken), named as HTTP names it.
                    : JsonBodies.parseObject(payload, topic.kind().equals("reported") ? JsonPath.REPORTED : "$");
            clientToken = JsonBodies.clientToken(body);
            body.remove("clientToken");
            Duration wait = throttle.tryTake(topic.twinId().value());
            if (!wait.isZero()) {
                throttled.increment();
                throw new TwinException(throttle.refusal("device " + topic.twinId().value(), wait));
            }
            return switch (topic.kind()) {
                case "reported" -> reported(topic, body, clientToken, received);
                case "get" -> {
                    activity.seen(topic.twinId().value(), received);
                    yield get(topic, clientToken);
                }
                default -> connection(topic, body, clientToken, received);
            };
        } catch (RuntimeException e) {
            activity.seen(topic.twinId().value(), received);
            return reject(topic, e, clientToken);
        }
    }

    private CompletableFuture<Object> reported(TwinTopic topic, ObjectNode patch, String clientToken,
                                               Instant received) {
        return send(topic, new PatchReportedProperties(topic.twinId().value(), patch, clientToken), clientToken,
                received)
                .<Object>thenCompose(result -> {
                    ObjectNode accepted = withToken(clientToken);
                    accepted.put("version", result.version());
                    accepted.set("reportedVersion", result.twin().path("properties").path("reported").path("$version"));
                    return publish(topic.sibling("reported/accepted"), accepted);
                })
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken));
    }

    private CompletableFuture<Object> get(TwinTopic topic, String clientToken) {
        return queries.query(new FindTwin(topic.twinId().value()), ObjectNode.class)
                .<Object>thenCompose(twin -> {
                    if (twin == null) {
                        throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                                "twin " + topic.twinId() + " does not exist"));
                    }
                    if (clientToken != null) {
                        twin.put("clientToken", clientToken);
                    }
                    return publish(topic.sibling("get/accepted"), twin);
                })
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken));
    }

    private CompletableFuture<Object> connection(TwinTopic topic, ObjectNode body, String clientToken,
                                                 Instant received) {
        JsonNode state = body.get("state");
        if (state == null || !state.isTextual()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidConnectionState", "$.state",
                    "a connection message is {\"state\":\"Connected\"} or {\"state\":\"Disconnected\"}"));
        }
        return send(topic, new ReportConnection(topic.twinId().value(), state.asText()), clientToken, received)
                .<Object>thenApply(result -> result)
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken));
    }

    /**
     * Sends a device's command. Its event, if it changed the twin, holds the device's activity (a later time than
     * {@code received}); a no-op or a refusal leaves only {@code received} to record.
     */
    private CompletableFuture<TwinWriteResult> send(TwinTopic topic, TwinCommands command, String clientToken,
                                                    Instant received) {
        String twinId = topic.twinId().value();
        String principal = AuditMetadata.devicePrincipal(topic.twinId());
        if (principal.length() > AuditMetadata.MAX_PRINCIPAL) {
            // A module twin whose device and module ids are both near 128 characters: its principal would not fit
            // the audit trail, so it is refused here rather than accepted as an event the history cannot store.
            return CompletableFuture.failedFuture(new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE,
                    "principalTooLong", "a device's principal, device:<twin id>, holds at most "
                    + AuditMetadata.MAX_PRINCIPAL + " characters; this twin id is too long to write over MQTT")));
        }
        AuditMetadata audit = new AuditMetadata(principal, Channel.DEVICE, "mqtt",
                clientToken == null ? RandomIds.uuid() : clientToken, null);
        CompletableFuture<TwinWriteResult> sent =
                commands.send(GenericCommandMessage.asCommandMessage(command).andMetaData(audit.toMap()));
        return sent.whenComplete((result, failure) -> {
            if (failure != null || result == null || !result.changed()) {
                activity.seen(twinId, received);
            }
        });
    }

    /**
     * Answers on {@code <kind>/rejected} with the problem document HTTP would give, with the topic as its
     * {@code instance} and the client token.
     */
    private CompletableFuture<Object> reject(TwinTopic topic, Throwable failure, String clientToken) {
        ObjectNode problem = problem(topic, failure);
        log.debug("rejected a message on {}: {}", topic.text(), problem);
        if (clientToken != null) {
            problem.put("clientToken", clientToken);
        }
        // RFC 9457's instance: where it happened (HTTP names the request path, MQTT the topic).
        problem.put("instance", topic.text());
        return publish(topic.sibling(topic.kind() + "/rejected"), problem);
    }

    private static ObjectNode problem(TwinTopic topic, Throwable failure) {
        TwinException refusal = TwinException.find(failure);
        if (refusal != null) {
            return refusal.error().toProblem();
        }
        boolean noReadSide = failure instanceof NoHandlerForQueryException
                || failure.getCause() instanceof NoHandlerForQueryException;
        ObjectNode problem = (noReadSide
                ? TwinError.of(ErrorKind.UNAVAILABLE, "readSideUnavailable", "no read side runs with this instance; try again")
                : TwinError.failed("message", "get".equals(topic.kind()) ? null : "read the twin (…/get) to see its"
                        + " version, or send it again with the same clientToken, which makes a repeat a no-op"))
                .toProblem();
        if (!noReadSide) {
            log.error("device message on {} failed", topic.text(), failure);
        }
        return problem;
    }

    private CompletableFuture<Object> publish(TwinTopic topic, ObjectNode body) {
        return client.publishWith().topic(topic.text()).qos(MqttQos.AT_LEAST_ONCE)
                .contentType("application/json")
                .payload(body.toString().getBytes(StandardCharsets.UTF_8))
                .send()
                .thenApply(result -> result);
    }

    private static ObjectNode withToken(String clientToken) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (clientToken != null) {
            body.put("clientToken", clientToken);
        }
        return body;
    }

    private void flushActivity() {
        RecordDeviceActivity batch = activity.drain();
        if (batch != null) {
            commands.send(batch).exceptionally(failure -> {
                log.debug("device activity not recorded (no read side in this process?)", failure);
                return null;
            });
        }
    }
}
