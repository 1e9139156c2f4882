package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import io.twinplatform.api.device.AzureTopics;
import io.twinplatform.api.device.DesiredPush;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.twin.TwinId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Azure IoT Hub's MQTT device protocol at the embedded broker's edge, for connections {@link DeviceAuthorisation}
 * marked {@link DeviceAuthorisation.Protocol#AZURE}. Azure's twin topics carry no device id, so every request is taken
 * here and answered on the asking connection alone ({@code PublishService.publishToClient}), never routed:
 * <ul>
 *     <li>{@code $iothub/twin/GET/?$rid={rid}} is the platform's {@code get}, answered on
 *     {@code $iothub/twin/res/200/?$rid={rid}} with {@code {"desired": {…, "$version"}, "reported": {…, "$version"}}};</li>
 *     <li>{@code $iothub/twin/PATCH/properties/reported/?$rid={rid}[&$version={v}]} is the platform's {@code reported}
 *     (with {@code $version}: only if the reported properties are at that version, else {@code 412}), answered on
 *     {@code $iothub/twin/res/204/?$rid={rid}&$version={new reported version}};</li>
 *     <li>a refusal is answered on {@code $iothub/twin/res/{status}/?$rid={rid}} with the problem document HTTP would
 *     give (400 malformed, 404 no twin, 412 stale version, 413 too large, 429 throttled);</li>
 *     <li>a desired change is pushed on {@code $iothub/twin/PATCH/properties/desired/?$version={n}} with its merge
 *     patch and {@code $version} ({@link DesiredPush});</li>
 *     <li>{@code devices/{id}/messages/events/{property bag}} is the device's telemetry: routed on as
 *     {@code twins/{id}/telemetry}, the property bag dropped;</li>
 *     <li>{@code $iothub/methods/res/{status}/?$rid={rid}} answers a direct method ({@link DeviceMethods}).</li>
 * </ul>
 * Twin requests go through the same admission control as the platform's own topics ({@link BrokerAdmission}): the
 * device's PUBACK waits for the answer, and its requests are decided in the order it sent them.
 */
final class AzureDevices implements DesiredPush {

    private static final Logger log = LoggerFactory.getLogger(AzureDevices.class);

    /** The broker's edge for twin requests, or null when no write side runs here. */
    private final BrokerAdmission admission;
    /** Where the answers to direct methods go. */
    private final DeviceMethods methods;
    private final PublishInboundInterceptor publishes = this::intercept;
    /** Taken at the extension's start: HiveMQ's services are static, and must be this broker's. */
    private volatile PublishService publishService;
    private final ClientLifecycleEventListener lifecycle = new Lifecycle();
    /** Each connected Azure device's latest connection: a reconnect that took a session over replaces it. */
    private final java.util.concurrent.ConcurrentHashMap<String, String> connections =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final String CONNECTION_ATTRIBUTE = "twin-azure-connection";

    AzureDevices(BrokerAdmission admission, DeviceMethods methods) {
        this.admission = admission;
        this.methods = methods;
    }

    /** Called from the embedded extension's start. */
    void start(PublishService service) {
        this.publishService = service;
    }

    /**
     * Azure's SDKs publish no birth message or last will: the broker reports an Azure device's connection state for
     * it, {@code Connected} once it authenticated and {@code Disconnected} once its connection ended, unless the same
     * client id connected again meanwhile (a reconnect that took the session over: its connection is the latest).
     */
    ClientLifecycleEventListener lifecycle() {
        return lifecycle;
    }

    private final class Lifecycle implements ClientLifecycleEventListener {

        @Override
        public void onMqttConnectionStart(ConnectionStartInput input) {
        }

        @Override
        public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {
            if (DeviceAuthorisation.protocol(input.getConnectionInformation()) == DeviceAuthorisation.Protocol.AZURE) {
                String clientId = input.getClientInformation().getClientId();
                String connection = io.twinplatform.api.model.RandomIds.uuid();
                input.getConnectionInformation().getConnectionAttributeStore()
                        .putAsString(CONNECTION_ATTRIBUTE, connection);
                connections.put(clientId, connection);
                connection(clientId, "Connected");
            }
        }

        @Override
        public void onDisconnect(DisconnectEventInput input) {
            if (DeviceAuthorisation.protocol(input.getConnectionInformation()) != DeviceAuthorisation.Protocol.AZURE) {
                return;
            }
            String clientId = input.getClientInformation().getClientId();
            String connection = input.getConnectionInformation().getConnectionAttributeStore()
                    .getAsString(CONNECTION_ATTRIBUTE).orElse(null);
            if (connection != null && connections.remove(clientId, connection)) {
                connection(clientId, "Disconnected");
            }
        }
    }

    private void connection(String clientId, String state) {
        if (admission == null) {
            return;
        }
        TwinId twinId;
        try {
            twinId = TwinId.parse(clientId);
        } catch (RuntimeException e) {
            return;
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("state", state);
        admission.handIn(new TwinTopic(twinId, "connection"), body.toString().getBytes(StandardCharsets.UTF_8),
                SILENT);
    }

    /** Answers nobody: the broker itself sent the message. */
    private static final DeviceReplies SILENT = (topic, body) -> CompletableFuture.completedFuture(null);

    /** The edge of an Azure device's connection. */
    PublishInboundInterceptor publishes() {
        return publishes;
    }

    /** {@code devices/{deviceId}/} or {@code devices/{deviceId}/modules/{moduleId}/}: the device's own topics. */
    static String devicePrefix(TwinId twinId) {
        return "devices/" + twinId.deviceId() + (twinId.isModule() ? "/modules/" + twinId.moduleId() : "") + "/";
    }

    /** Where an Azure device's telemetry is routed on: the platform's own telemetry topic of the device. */
    static String telemetryTopic(TwinId twinId) {
        return new TwinTopic(twinId, "telemetry").text();
    }

    /** On HiveMQ's extension task thread, once per publish of an Azure device, in the device's order. */
    private void intercept(PublishInboundInput input, PublishInboundOutput output) {
        String clientId = input.getClientInformation().getClientId();
        String topic = input.getPublishPacket().getTopic();
        TwinId twinId = TwinId.parse(clientId);
        if (topic.startsWith(AzureTopics.TWIN)) {
            twinRequest(twinId, clientId, topic, input, output);
        } else if (topic.startsWith(devicePrefix(twinId) + "messages/events")) {
            telemetry(twinId, output);
        } else if (topic.startsWith(AzureTopics.METHOD_ANSWERS)) {
            methods.azureAnswer(clientId, topic, BrokerAdmission.payload(input));
            output.preventPublishDelivery();
        }
        // Anything else is left to authorisation, which refuses it (and closes the connection).
    }

    private void telemetry(TwinId twinId, PublishInboundOutput output) {
        // HiveMQ authorises a publish after its interceptors: DeviceAuthorisation grants this topic too.
        output.getPublishPacket().setTopic(telemetryTopic(twinId));
    }

    private void twinRequest(TwinId twinId, String clientId, String topic, PublishInboundInput input,
                             PublishInboundOutput output) {
        String path = AzureTopics.path(topic);
        Map<String, String> query = AzureTopics.query(topic);
        String rid = query.get("$rid");
        if (rid == null || rid.isEmpty()) {
            log.debug("a twin request of {} without $rid on {} dropped: it cannot be answered", clientId, topic);
            output.preventPublishDelivery();
            return;
        }
        Replies replies = new Replies(clientId, rid);
        TwinTopic request;
        Long version = null;
        if (path.equals(AzureTopics.TWIN_GET)) {
            request = new TwinTopic(twinId, "get");
        } else if (path.equals(AzureTopics.TWIN_PATCH_REPORTED)) {
            request = new TwinTopic(twinId, "reported");
            String text = query.get("$version");
            if (text != null) {
                try {
                    version = Long.parseLong(text);
                } catch (NumberFormatException e) {
                    refuse(replies, request, TwinError.at(ErrorKind.MALFORMED, "invalidVersion", "$version",
                            "$version on the topic must be the reported $version the patch is based on, a number"),
                            output);
                    return;
                }
            }
        } else {
            refuse(replies, new TwinTopic(twinId, "get"), TwinError.of(ErrorKind.MALFORMED, "unknownTwinRequest",
                    "twin requests are $iothub/twin/GET/?$rid= and $iothub/twin/PATCH/properties/reported/?$rid="),
                    output);
            return;
        }
        if (admission == null) {
            refuse(replies, request, TwinError.of(ErrorKind.UNAVAILABLE, "writeSideUnavailable",
                    "no write side runs with this broker; try again"), output);
            return;
        }
        admission.take(request, BrokerAdmission.payload(input), version, replies, output);
    }

    private static void refuse(Replies replies, TwinTopic topic, TwinError error, PublishInboundOutput output) {
        replies.reject(topic, error, null);
        output.preventPublishDelivery();
    }

    @Override
    public void desiredChanged(TwinId twinId, ObjectNode patch, long desiredVersion) {
        PublishService service = publishService;
        if (service == null) {
            return;
        }
        ObjectNode body = patch.deepCopy();
        body.put("$version", desiredVersion);
        // Delivered only if that client is connected and subscribed to desired patches: an Azure device.
        send(service, twinId.value(), AzureTopics.DESIRED_PATCHES + "?$version=" + desiredVersion, body);
    }

    private static CompletableFuture<Void> send(PublishService service, String clientId, String topic,
                                                JsonNode body) {
        byte[] payload = body == null ? new byte[0] : body.toString().getBytes(StandardCharsets.UTF_8);
        return service.publishToClient(Builders.publish().topic(topic).qos(Qos.AT_LEAST_ONCE)
                        .payload(ByteBuffer.wrap(payload)).build(), clientId)
                .thenApply(result -> null);
    }

    /** Answers one twin request of one Azure device, on its connection alone. */
    private final class Replies implements DeviceReplies {

        private final String clientId;
        private final String rid;

        Replies(String clientId, String rid) {
            this.clientId = clientId;
            this.rid = rid;
        }

        @Override
        public CompletableFuture<Void> publish(TwinTopic topic, ObjectNode body) {
            String kind = topic.kind();
            if (kind.equals("get/accepted")) {
                return answer(200, "", sections(body));
            }
            if (kind.equals("reported/accepted")) {
                return answer(204, "&$version=" + body.path("reportedVersion").asLong(), null);
            }
            if (kind.endsWith("/rejected")) {
                return answer(body.path("status").asInt(500), "", body);
            }
            return CompletableFuture.completedFuture(null);
        }

        private CompletableFuture<Void> answer(int status, String more, JsonNode body) {
            PublishService service = publishService;
            if (service == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("the broker has not started"));
            }
            return send(service, clientId, AzureTopics.TWIN_ANSWERS + status + "/?$rid=" + rid + more, body);
        }

        /** Azure's twin: the desired and reported properties with their {@code $version}, without metadata. */
        private static ObjectNode sections(ObjectNode twin) {
            ObjectNode answer = JsonNodeFactory.instance.objectNode();
            for (String section : new String[]{"desired", "reported"}) {
                JsonNode properties = twin.path("properties").path(section);
                ObjectNode copy = properties.isObject() ? ((ObjectNode) properties).deepCopy()
                        : JsonNodeFactory.instance.objectNode();
                copy.remove("$metadata");
                answer.set(section, copy);
            }
            return answer;
        }
    }
}
