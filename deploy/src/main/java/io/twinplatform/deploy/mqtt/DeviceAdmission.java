package io.twinplatform.deploy.mqtt;

import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A broker that hands device messages to the platform itself, at its edge, instead of queueing them for the
 * platform's subscription (the embedded one does). Such a broker answers a device's publish (its PUBACK) only once
 * the platform answered the message, that is after the command it carried was committed, and it bounds how many
 * messages the platform has in hand at once. An external broker queues device messages for the platform's shared
 * subscription and acknowledges them itself: {@link #NONE}.
 */
public interface DeviceAdmission {

    /**
     * The kinds of device topic ({@code twins/{id}/<kind>} and {@code twins/{id}/modules/{m}/<kind>}) handed in at
     * the edge: those answered once their command committed. Telemetry is acknowledged once its batch is stored and
     * comes through the subscription.
     */
    Set<String> KINDS = TwinTopic.TWIN_KINDS;

    /** No broker edge: messages come only through the platform's subscription. */
    DeviceAdmission NONE = ingest -> {
    };

    /**
     * The platform is ready to take device messages: from now on the broker hands those on {@link #KINDS} topics to
     * {@code ingest}. Called once, when the device channel has started.
     */
    void open(Ingest ingest);

    /** The platform's side: takes one device message. */
    @FunctionalInterface
    interface Ingest {

        /**
         * Decides the message, commits what it changes and publishes the answer ({@code …/accepted} or
         * {@code …/rejected}, or what the device's protocol says instead through {@code replies}). Completes normally
         * once the answer was published (a refusal is an answer), and exceptionally when no answer could be given
         * (the device should send the message again). Never blocks.
         *
         * @param topic           the message as a message of the platform's own topics
         * @param expectedVersion the reported {@code $version} a patch is based on, when the protocol names one
         * @param replies         how to answer the device; null for the platform's own topics
         */
        CompletableFuture<?> ingest(TwinTopic topic, byte[] payload, Long expectedVersion, DeviceReplies replies);
    }
}
