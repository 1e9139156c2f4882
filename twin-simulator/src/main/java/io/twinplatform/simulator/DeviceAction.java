package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What a {@link SimulatedDevice} asks its connection to do. */
sealed interface DeviceAction {

    /** Publish {@code payload} (QoS 1) on the device's own topic of {@code kind}: {@code reported}, {@code get}, ... */
    record Publish(String kind, ObjectNode payload) implements DeviceAction {

        /** The payload's {@code clientToken}, or null. */
        String clientToken() {
            return payload.hasNonNull("clientToken") ? payload.get("clientToken").asText() : null;
        }
    }

    /** Drop the connection without a clean disconnect, so that the broker publishes the last will, and come back. */
    record Drop() implements DeviceAction {
    }
}
