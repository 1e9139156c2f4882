package io.twinplatform.api.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;

import java.util.concurrent.CompletableFuture;

/** How a {@link DeviceMessageHandler} answers a device: on the device's own topics, QoS 1, as JSON. */
public interface DeviceReplies {

    /** Publishes {@code body} on {@code topic}; completes once the broker took it. */
    CompletableFuture<Void> publish(TwinTopic topic, ObjectNode body);

    /**
     * Answers a message on {@code <kind>/rejected} with {@link #rejection the problem document}; completes once the
     * broker took it.
     */
    default CompletableFuture<Void> reject(TwinTopic topic, TwinError error, String clientToken) {
        return publish(topic.sibling(topic.kind() + "/rejected"), rejection(error, topic, clientToken));
    }

    /**
     * What {@code …/rejected} carries: the problem document HTTP would give, with the message's {@code clientToken}
     * when it had one, and RFC 9457's {@code instance} naming where it happened (HTTP names the request path, MQTT
     * the topic the message came on).
     */
    static ObjectNode rejection(TwinError error, TwinTopic topic, String clientToken) {
        ObjectNode problem = error.toProblem();
        if (clientToken != null) {
            problem.put("clientToken", clientToken);
        }
        problem.put("instance", topic.text());
        return problem;
    }
}
