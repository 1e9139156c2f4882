package io.twinplatform.command.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceMessage.Outcome;
import io.twinplatform.api.device.DeviceMessage;
import io.twinplatform.api.device.DeviceMessageHandler;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.ReportConnection;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import io.twinplatform.command.ratelimit.Throttle;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * Decides what devices publish, as the platform's device reader hands it in ({@link DeviceMessageHandler}):
 * {@code …/reported} (a merge patch of reported properties; a top-level {@code clientToken} is not a property but
 * makes a redelivery a no-op) answered on {@code …/reported/accepted} or {@code …/reported/rejected}; {@code …/get}
 * answered with the full twin on {@code …/get/accepted}; {@code …/connection} (birth and last will) recorded as the
 * twin's {@code connectionState}; {@code …/shadow/update} and {@code …/shadow/delete} (AWS Device Shadow requests,
 * which only a broker's edge hands in) decided as the HTTP shadow update decides them ({@link UpdateShadow}; a delete
 * clears both sections) and answered with AWS's documents ({@link ShadowDocument}). A refusal is answered with the problem document HTTP would give, never dropped; a
 * device over its rate limit ({@code twin.devices.rate-limit}) is answered so ({@code 429 throttled}) and its message
 * not applied. A report or connection message that changed the twin carries the device's activity in its event
 * ({@link Outcome#APPLIED}); the reader records any other message's time.
 * <p>
 * Messages are handled on one thread per shard of devices: a device's messages are decided in order, devices in
 * parallel. With the embedded broker they are handed in at its edge, which holds a device's later publishes until
 * this one is answered; otherwise (and for a last will) they come through the shared subscription, acknowledged once
 * answered.
 */
@Component
class DeviceInbound implements DeviceMessageHandler {

    private static final Logger log = LoggerFactory.getLogger(DeviceInbound.class);

    private final CommandGateway commands;
    private final QueryGateway queries;
    private final DeviceSettings settings;
    private final Throttle throttle;
    private final Counter throttled;
    /** One thread per shard of devices: a device's messages are handled in order, devices in parallel. */
    private final ExecutorService[] workers;

    DeviceInbound(CommandGateway commands, QueryGateway queries, DeviceSettings settings, MeterRegistry meters) {
        this.throttle = new Throttle(settings.rateLimit().messagesPerSecond(), settings.rateLimit().burst());
        this.throttled = Counter.builder("twin.devices.throttled")
                .description("device messages refused for going over the device's rate limit").register(meters);
        this.commands = commands;
        this.queries = queries;
        this.settings = settings;
        this.workers = new ExecutorService[settings.workers()];
        for (int i = 0; i < workers.length; i++) {
            ThreadFactory threads = DaemonThreads.named("mqtt-device-worker-" + i);
            workers[i] = Executors.newSingleThreadExecutor(threads);
        }
    }

    @Override
    public Set<String> kinds() {
        return TwinTopic.TWIN_KINDS;
    }

    @Override
    public int connections() {
        return settings.connections();
    }

    @Override
    public int maxInFlight() {
        return settings.maxInFlight();
    }

    /** Decides the message on its device's worker; completes once the answer was published. */
    @Override
    public CompletableFuture<Outcome> handle(DeviceMessage message, DeviceReplies replies) {
        TwinTopic topic = message.topic();
        return CompletableFuture.supplyAsync(() -> answer(message, replies), worker(topic))
                .thenCompose(answered -> answered);
    }

    private ExecutorService worker(TwinTopic topic) {
        return workers[Math.floorMod(topic.twinId().value().hashCode(), workers.length)];
    }

    /**
     * On the device's worker: decides the message and publishes its answer. Completes once the answer was published
     * (the command, if any, committed before); exceptionally only when not even a refusal could be published.
     */
    private CompletableFuture<Outcome> answer(DeviceMessage message, DeviceReplies replies) {
        TwinTopic topic = message.topic();
        byte[] payload = message.payload();
        String clientToken = null;
        try {
            ObjectNode body = payload.length == 0 && (topic.kind().equals("get") || topic.kind().equals("shadow/delete"))
                    ? JsonNodeFactory.instance.objectNode()
                    // A reported message is the reported patch (with its clientToken), named as HTTP names it.
                    : JsonBodies.parseObject(payload, topic.kind().equals("reported") ? JsonPath.REPORTED : "$");
            clientToken = JsonBodies.clientToken(body);
            body.remove("clientToken");
            Duration wait = throttle.tryTake(topic.twinId().value());
            if (!wait.isZero()) {
                throttled.increment();
                String token = clientToken;
                return replies.reject(topic, throttle.refusal("device " + topic.twinId().value(), wait), token)
                        .thenApply(sent -> Outcome.THROTTLED);
            }
            return switch (topic.kind()) {
                case "reported" -> reported(topic, body, clientToken, message.expectedVersion(), replies);
                case "get" -> get(topic, clientToken, replies);
                case "shadow/update" -> shadow(topic,
                        UpdateShadow.fromRequest(topic.twinId().value(), body, clientToken), message, replies);
                case "shadow/delete" -> shadow(topic, UpdateShadow.clearing(topic.twinId().value(), clientToken),
                        message, replies);
                default -> connection(topic, body, clientToken, replies);
            };
        } catch (RuntimeException e) {
            return reject(topic, e, clientToken, replies);
        }
    }

    private CompletableFuture<Outcome> reported(TwinTopic topic, ObjectNode patch, String clientToken,
                                                Long expectedVersion, DeviceReplies replies) {
        return send(topic, new PatchReportedProperties(topic.twinId().value(), patch, clientToken, expectedVersion),
                clientToken)
                .thenCompose(result -> {
                    ObjectNode accepted = withToken(clientToken);
                    accepted.put("version", result.version());
                    accepted.set("reportedVersion", result.twin().path("properties").path("reported").path("$version"));
                    return replies.publish(topic.sibling("reported/accepted"), accepted)
                            .thenApply(sent -> result.changed() ? Outcome.APPLIED : Outcome.ACCEPTED);
                })
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken, replies));
    }

    /**
     * An AWS shadow update or delete: the same command as HTTP's shadow update, answered on {@code …/accepted} with
     * AWS's {@code update/accepted} (the sections as sent) or {@code delete/accepted} (the version) document.
     */
    private CompletableFuture<Outcome> shadow(TwinTopic topic, UpdateShadow update, DeviceMessage message,
                                              DeviceReplies replies) {
        String clientToken = update.clientToken();
        boolean delete = topic.kind().equals("shadow/delete");
        return send(topic, update, clientToken)
                .thenCompose(result -> {
                    ObjectNode accepted = delete
                            ? ShadowDocument.deleted(result.version(), clientToken, message.received())
                            : ShadowDocument.accepted(update.desired(), update.reported(), result.version(),
                            clientToken, message.received());
                    return replies.publish(topic.sibling(topic.kind() + "/accepted"), accepted)
                            .thenApply(sent -> result.changed() ? Outcome.APPLIED : Outcome.ACCEPTED);
                })
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken, replies));
    }

    private CompletableFuture<Outcome> get(TwinTopic topic, String clientToken, DeviceReplies replies) {
        return queries.query(new FindTwin(topic.twinId().value()), ObjectNode.class)
                .thenCompose(twin -> {
                    if (twin == null) {
                        throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                                "twin " + topic.twinId() + " does not exist"));
                    }
                    if (clientToken != null) {
                        twin.put("clientToken", clientToken);
                    }
                    return replies.publish(topic.sibling("get/accepted"), twin).thenApply(sent -> Outcome.ACCEPTED);
                })
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken, replies));
    }

    private CompletableFuture<Outcome> connection(TwinTopic topic, ObjectNode body, String clientToken,
                                                  DeviceReplies replies) {
        JsonNode state = body.get("state");
        if (state == null || !state.isTextual()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidConnectionState", "$.state",
                    "a connection message is {\"state\":\"Connected\"} or {\"state\":\"Disconnected\"}"));
        }
        return send(topic, new ReportConnection(topic.twinId().value(), state.asText()), clientToken)
                .thenApply(result -> result != null && result.changed() ? Outcome.APPLIED : Outcome.ACCEPTED)
                .exceptionallyCompose(failure -> reject(topic, failure, clientToken, replies));
    }

    /** Sends a device's command, with the device as its principal. */
    private CompletableFuture<TwinWriteResult> send(TwinTopic topic, TwinCommands command, String clientToken) {
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
        return commands.send(GenericCommandMessage.asCommandMessage(command).andMetaData(audit.toMap()));
    }

    /**
     * Answers on {@code <kind>/rejected} with the problem document HTTP would give, with the topic as its
     * {@code instance} and the client token.
     */
    private CompletableFuture<Outcome> reject(TwinTopic topic, Throwable failure, String clientToken,
                                              DeviceReplies replies) {
        TwinError error = error(topic, failure);
        log.debug("rejected a message on {}: {}", topic.text(), error);
        return replies.reject(topic, error, clientToken).thenApply(sent -> Outcome.REJECTED);
    }

    private static TwinError error(TwinTopic topic, Throwable failure) {
        TwinException refusal = TwinException.find(failure);
        if (refusal != null) {
            return refusal.error();
        }
        if (failure instanceof NoHandlerForQueryException || failure.getCause() instanceof NoHandlerForQueryException) {
            return TwinError.of(ErrorKind.UNAVAILABLE, "readSideUnavailable",
                    "no read side runs with this instance; try again");
        }
        log.error("device message on {} failed", topic.text(), failure);
        return TwinError.failed("message", "get".equals(topic.kind()) ? null : "read the twin (…/get) to see its"
                + " version, or send it again with the same clientToken, which makes a repeat a no-op");
    }

    private static ObjectNode withToken(String clientToken) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (clientToken != null) {
            body.put("clientToken", clientToken);
        }
        return body;
    }
}
