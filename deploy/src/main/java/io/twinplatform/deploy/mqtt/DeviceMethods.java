package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import com.hivemq.extension.sdk.api.services.publish.PublishToClientResult;
import com.hivemq.extension.sdk.api.services.session.ClientService;
import io.twinplatform.api.device.AzureTopics;
import io.twinplatform.api.device.DeviceMethodChannel;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.twin.TwinId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Direct methods through the embedded broker ({@link DeviceMethodChannel}). A call goes to the one connection whose
 * client id is the twin's id, in the protocol it subscribed with:
 * <ul>
 *     <li>Azure's: {@code $iothub/methods/POST/{name}/?$rid={requestId}} with the payload, answered on
 *     {@code $iothub/methods/res/{status}/?$rid={requestId}} with the answer's payload ({@link AzureDevices} hands it
 *     here);</li>
 *     <li>the platform's own: {@code twins/{id}/methods} with {@code {"requestId", "method", "payload"}}, answered on
 *     {@code twins/{id}/methods/response} with {@code {"requestId", "status", "payload"}}.</li>
 * </ul>
 * A device that is not connected, or subscribed to neither, is not reached. An answer counts only from the
 * connection the call went to, and only while the call waits; answers are taken at the broker's edge and routed no
 * further.
 */
final class DeviceMethods implements DeviceMethodChannel {

    private static final Logger log = LoggerFactory.getLogger(DeviceMethods.class);

    private static final String METHOD_ANSWER_KIND = "/methods/response";

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final PublishInboundInterceptor nativeAnswers = this::nativeAnswer;
    private volatile PublishService publishes;
    private volatile ClientService clients;

    /** A call waiting for its answer, from the connection {@code clientId}. */
    private record Pending(String clientId, CompletableFuture<Answer> answer) {
    }

    /** Called from the embedded extension's start: HiveMQ's services are static, and must be this broker's. */
    void start(PublishService publishService, ClientService clientService) {
        this.publishes = publishService;
        this.clients = clientService;
    }

    @Override
    public CompletableFuture<Boolean> connected(TwinId twinId) {
        ClientService clientService = clients;
        return clientService == null ? CompletableFuture.completedFuture(false)
                : clientService.isClientConnected(twinId.value());
    }

    @Override
    public CompletableFuture<Answer> call(TwinId twinId, String requestId, String methodName, JsonNode payload,
                                          Duration timeout) {
        PublishService publishService = publishes;
        ClientService clientService = clients;
        if (publishService == null || clientService == null) {
            return CompletableFuture.completedFuture(new Answer(Outcome.NOT_CONNECTED, null, null));
        }
        String clientId = twinId.value();
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        Pending call = new Pending(clientId, answer);
        pending.put(requestId, call);
        answer.completeOnTimeout(new Answer(Outcome.TIMED_OUT, null, null), timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((done, failure) -> pending.remove(requestId, call));
        JsonNode body = payload == null ? JsonNodeFactory.instance.nullNode() : payload;
        String json = body.toString();
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("requestId", requestId).put("method", methodName);
        request.set("payload", body);
        clientService.isClientConnected(clientId)
                .thenCompose(connected -> !connected ? CompletableFuture.completedFuture(false)
                        : send(publishService, clientId, AzureTopics.METHOD_CALLS + methodName + "/?$rid=" + requestId, json)
                        .thenCompose(azure -> azure ? CompletableFuture.completedFuture(true)
                                : send(publishService, clientId, new TwinTopic(twinId, "methods").text(),
                                request.toString())))
                .whenComplete((sent, failure) -> {
                    if (failure != null) {
                        log.warn("direct method {} could not be sent to {}", methodName, clientId, failure);
                    }
                    if (failure != null || !sent) {
                        answer.complete(new Answer(Outcome.NOT_CONNECTED, null, null));
                    }
                });
        return answer;
    }

    /** Whether the connection {@code clientId} was subscribed to {@code topic} and was sent the call. */
    private static CompletableFuture<Boolean> send(PublishService service, String clientId, String topic,
                                                   String payload) {
        return service.publishToClient(Builders.publish().topic(topic).qos(Qos.AT_LEAST_ONCE)
                        .payload(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8))).build(), clientId)
                .thenApply(result -> result == PublishToClientResult.SUCCESSFUL);
    }

    /** An answer from the connection {@code clientId}; one to no waiting call of that connection is dropped. */
    void answered(String clientId, String requestId, int status, byte[] payload) {
        Pending call = requestId == null ? null : pending.get(requestId);
        if (call == null || !call.clientId().equals(clientId)) {
            log.debug("an answer from {} to no waiting direct method ({}) dropped", clientId, requestId);
            return;
        }
        call.answer().complete(new Answer(Outcome.ANSWERED, status, payload));
    }

    /** Answers on Azure's topic: {@code $iothub/methods/res/{status}/?$rid={requestId}}. */
    void azureAnswer(String clientId, String topic, byte[] payload) {
        Integer status = AzureTopics.status(topic, AzureTopics.METHOD_ANSWERS);
        String rid = AzureTopics.query(topic).get("$rid");
        if (status == null || rid == null) {
            log.debug("a method answer from {} without $rid or a numeric status dropped: {}", clientId, topic);
            return;
        }
        answered(clientId, rid, status, payload);
    }

    /** The edge of a device connection of the platform's own topics, for method answers. */
    PublishInboundInterceptor nativeAnswers() {
        return nativeAnswers;
    }

    private void nativeAnswer(PublishInboundInput input, PublishInboundOutput output) {
        String text = input.getPublishPacket().getTopic();
        if (!text.endsWith(METHOD_ANSWER_KIND)) {
            // Every publish of a device passes here: reports are not parsed twice.
            return;
        }
        String clientId = input.getClientInformation().getClientId();
        TwinTopic topic = TwinTopic.parse(text).orElse(null);
        if (topic == null || !topic.kind().equals("methods/response") || !topic.twinId().value().equals(clientId)) {
            return;
        }
        output.preventPublishDelivery();
        try {
            // Syntax only: a payload the platform cannot keep is judged by the caller (an invalid answer).
            JsonNode parsed = JsonBodies.parseSyntax(BrokerAdmission.payload(input));
            if (!(parsed instanceof ObjectNode body)) {
                log.debug("a method answer from {} that is not a JSON object dropped", clientId);
                return;
            }
            JsonNode status = body.get("status");
            JsonNode requestId = body.get("requestId");
            if (status == null || !status.canConvertToInt() || requestId == null || !requestId.isTextual()) {
                log.debug("a method answer from {} without requestId or a numeric status dropped", clientId);
                return;
            }
            JsonNode answer = body.get("payload");
            answered(clientId, requestId.textValue(), status.intValue(),
                    answer == null ? null : answer.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            log.debug("a method answer from {} that is not a JSON object dropped", clientId);
        }
    }
}
