package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.SubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.subscribe.Subscription;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.ShadowPush;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * AWS IoT Device Shadow's MQTT protocol at the embedded broker's edge, for every device connection of the platform's
 * own credentials (a device may use both topic schemes). A thing is a device (thing name = device id); its classic
 * shadow is the device twin and its named shadow {@code s} the module twin {@code {deviceId}/s}:
 * <ul>
 *     <li>{@code $aws/things/{thing}/shadow[/name/{shadow}]/get} is the platform's {@code get}, answered on
 *     {@code …/get/accepted} with the shadow document ({@link ShadowDocument#render});</li>
 *     <li>{@code …/update} is a shadow update decided as HTTP's {@code POST …/shadow} is ({@code shadow/update}),
 *     answered on {@code …/update/accepted} with the sections as sent;</li>
 *     <li>{@code …/delete} clears both sections ({@code shadow/delete}), answered on {@code …/delete/accepted};</li>
 *     <li>a refusal goes to {@code …/{get|update|delete}/rejected} as AWS's error document
 *     ({@link ShadowDocument#error});</li>
 *     <li>after every committed change of the desired or reported properties, whoever made it, the twin's shadow
 *     before and after goes to {@code …/update/documents}, and after a desired change that leaves a delta, the delta
 *     to {@code …/update/delta} ({@link ShadowPush}).</li>
 * </ul>
 * Requests go through the same admission control as the platform's own topics ({@link BrokerAdmission}): the
 * device's PUBACK waits for the answer, and its requests are decided in the order it sent them. HiveMQ runs this
 * interceptor before it authorises the publish, and a request taken here is never authorised, so the thing named on
 * the topic is checked here: only the connected device's own; a request of another thing is left to authorisation,
 * which refuses it (and closes the connection). Answers and notifications are published on the thing's topics, which
 * only the device itself may subscribe to.
 * <p>
 * <b>Cost.</b> The state before a change is rendered only for twins a device watches: one whose connection subscribed
 * to any of its {@code $aws/things/{thing}/shadow/…} topics, until it disconnects. Other fleets pay one map look-up
 * per write.
 */
final class AwsDevices implements ShadowPush {

    private static final Logger log = LoggerFactory.getLogger(AwsDevices.class);
    private static final String THINGS = "$aws/things/";
    /** The connection attribute that marks a connection counted in {@link #watchers}. */
    private static final String WATCH_ATTRIBUTE = "twin-aws-watch";

    /** The broker's edge for the platform's own topics, or null when no write side runs here. */
    private final BrokerAdmission admission;
    private final PublishInboundInterceptor publishes = this::intercept;
    private final SubscribeInboundInterceptor subscriptions = this::subscribed;
    private final ClientLifecycleEventListener lifecycle = new Lifecycle();
    /** Device id: how many of its connections subscribed to its shadow topics (more than one during a takeover). */
    private final ConcurrentHashMap<String, Integer> watchers = new ConcurrentHashMap<>();
    private final Clock clock = Clock.systemUTC();
    /** Taken at the extension's start: HiveMQ's services are static, and must be this broker's. */
    private volatile PublishService publishService;

    AwsDevices(BrokerAdmission admission) {
        this.admission = admission;
    }

    /** Called from the embedded extension's start. */
    void start(PublishService service) {
        this.publishService = service;
    }

    /**
     * The edge of a device connection of the platform's own credentials: AWS's shadow requests are taken here, the
     * platform's own topics by {@link BrokerAdmission} (when a write side runs here).
     */
    PublishInboundInterceptor publishes() {
        return publishes;
    }

    /** Notes which devices listen on their shadow topics ({@link #watches}). */
    SubscribeInboundInterceptor subscriptions() {
        return subscriptions;
    }

    /** Forgets a device's listening when its connection ends. */
    ClientLifecycleEventListener lifecycle() {
        return lifecycle;
    }

    /** {@code $aws/things/{deviceId}/shadow/} or {@code …/shadow/name/{moduleId}/}: where a twin's shadow topics are. */
    static String shadowPrefix(TwinId twinId) {
        return THINGS + twinId.deviceId() + "/shadow/" + (twinId.isModule() ? "name/" + twinId.moduleId() + "/" : "");
    }

    /** On HiveMQ's extension task thread, once per publish of a device connection, in the device's order. */
    private void intercept(PublishInboundInput input, PublishInboundOutput output) {
        String topic = input.getPublishPacket().getTopic();
        if (!topic.startsWith(THINGS)) {
            if (admission != null) {
                admission.devicePublishes().onInboundPublish(input, output);
            }
            return;
        }
        String clientId = input.getClientInformation().getClientId();
        // $aws things shadow [name {shadow}] {operation}
        String[] parts = topic.split("/", -1);
        boolean named = parts.length == 7 && parts[4].equals("name");
        if (!(parts.length == 5 || named) || !parts[3].equals("shadow") || !parts[2].equals(clientId)
                || clientId.indexOf('/') >= 0) {
            // Another thing's topic, a module's connection, or no request: authorisation refuses what it must.
            return;
        }
        String operation = parts[parts.length - 1];
        String kind = switch (operation) {
            case "get" -> "get";
            case "update" -> "shadow/update";
            case "delete" -> "shadow/delete";
            default -> null;
        };
        if (kind == null) {
            return;
        }
        String shadowName = named ? parts[5] : parts[2];
        Replies replies = new Replies(topic.substring(0, topic.length() - operation.length()), operation, shadowName);
        TwinId twinId;
        try {
            twinId = named ? TwinId.module(parts[2], parts[5]) : TwinId.device(parts[2]);
        } catch (RuntimeException invalid) {
            // No twin can have that name.
            refuse(replies, TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "no such shadow"), output);
            return;
        }
        if (admission == null) {
            refuse(replies, TwinError.of(ErrorKind.UNAVAILABLE, "writeSideUnavailable",
                    "no write side runs with this broker; try again"), output);
            return;
        }
        admission.take(new TwinTopic(twinId, kind), BrokerAdmission.payload(input), null, replies, output);
    }

    private static void refuse(Replies replies, TwinError error, PublishInboundOutput output) {
        replies.reject(null, error, null);
        output.preventPublishDelivery();
    }

    /** Counts the connection as watching its device's shadows once it subscribes to one of its own shadow topics. */
    private void subscribed(SubscribeInboundInput input, SubscribeInboundOutput output) {
        String clientId = input.getClientInformation().getClientId();
        if (clientId.indexOf('/') >= 0) {
            return;
        }
        String own = THINGS + clientId + "/shadow";
        List<Subscription> subscriptions = input.getSubscribePacket().getSubscriptions();
        if (subscriptions.stream().noneMatch(s -> s.getTopicFilter().startsWith(own))) {
            return;
        }
        // HiveMQ runs a client's subscribe interceptors one after the other: no other look at this connection now.
        ConnectionAttributeStore attributes = input.getConnectionInformation().getConnectionAttributeStore();
        if (attributes.get(WATCH_ATTRIBUTE).isPresent()) {
            return;
        }
        attributes.putAsString(WATCH_ATTRIBUTE, clientId);
        watchers.merge(clientId, 1, Integer::sum);
    }

    private void disconnected(DisconnectEventInput input) {
        String clientId = input.getConnectionInformation().getConnectionAttributeStore().getAsString(WATCH_ATTRIBUTE)
                .orElse(null);
        if (clientId != null) {
            watchers.computeIfPresent(clientId, (id, count) -> count > 1 ? count - 1 : null);
        }
    }

    @Override
    public boolean watches(TwinId twinId) {
        return watchers.containsKey(twinId.deviceId());
    }

    @Override
    public void shadowChanged(TwinId twinId, ObjectNode previous, ObjectNode twin, boolean desiredChanged,
                              String clientToken) {
        PublishService service = publishService;
        if (service == null) {
            return;
        }
        String prefix = shadowPrefix(twinId);
        TwinState current = TwinState.fromDocument(twin);
        Instant now = clock.instant();
        send(service, prefix + "update/documents",
                ShadowDocument.documents(previous, ShadowDocument.snapshot(current), clientToken, now));
        if (desiredChanged) {
            ObjectNode delta = ShadowDocument.delta(current, clientToken, now);
            if (delta != null) {
                send(service, prefix + "update/delta", delta);
            }
        }
    }

    /** Publishes on a thing's topic: every connection subscribed to it gets it (only the device itself may be). */
    private static CompletableFuture<Void> send(PublishService service, String topic, JsonNode body) {
        return service.publish(Builders.publish().topic(topic).qos(Qos.AT_LEAST_ONCE)
                .payload(ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8))).build());
    }

    /** Answers one shadow request on its thing's {@code …/{operation}/accepted} or {@code …/rejected}. */
    private final class Replies implements DeviceReplies {

        /** The request's topic without its operation: {@code $aws/things/d1/shadow/} or {@code …/name/s/}. */
        private final String prefix;
        private final String operation;
        /** The thing's name for its classic shadow, the shadow's name for a named one: a 404 names it. */
        private final String shadowName;

        Replies(String prefix, String operation, String shadowName) {
            this.prefix = prefix;
            this.operation = operation;
            this.shadowName = shadowName;
        }

        @Override
        public CompletableFuture<Void> publish(TwinTopic topic, ObjectNode body) {
            if (topic.kind().equals("get/accepted")) {
                // The platform's answer is the twin document with the request's clientToken.
                JsonNode token = body.remove("clientToken");
                ObjectNode shadow = ShadowDocument.render(TwinState.fromDocument(body),
                        token == null ? null : token.asText(), clock.instant());
                return answer("accepted", shadow);
            }
            if (topic.kind().endsWith("/accepted")) {
                return answer("accepted", body);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> reject(TwinTopic topic, TwinError error, String clientToken) {
            return answer("rejected", ShadowDocument.error(error, shadowName, clientToken, clock.instant()));
        }

        private CompletableFuture<Void> answer(String outcome, ObjectNode body) {
            PublishService service = publishService;
            if (service == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("the broker has not started"));
            }
            return send(service, prefix + operation + "/" + outcome, body);
        }
    }

    /** Only disconnects matter: a connection that ends stops watching. */
    private final class Lifecycle implements ClientLifecycleEventListener {

        @Override
        public void onMqttConnectionStart(ConnectionStartInput input) {
        }

        @Override
        public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {
        }

        @Override
        public void onDisconnect(DisconnectEventInput input) {
            try {
                disconnected(input);
            } catch (RuntimeException e) {
                log.warn("could not forget the shadow subscriptions of {}", input.getClientInformation().getClientId(),
                        e);
            }
        }
    }
}
