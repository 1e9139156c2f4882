package io.twinplatform.api.device;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A module's part of the device channel: the kinds of device topic it handles. The platform has one reader of device
 * topics (in the application's wiring), which subscribes for every handler through the shared group, hands each
 * message to the handler of its kind, records the device's activity (one stream for all kinds), counts the outcomes
 * and acknowledges the delivery once the returned future completes. A handler never sees the MQTT client.
 */
public interface DeviceMessageHandler {

    /** The kinds ({@code twins/{id}/<kind>}) handled here; no two handlers share a kind. */
    Set<String> kinds();

    /** Whether module twins publish these kinds too ({@code twins/{id}/modules/{m}/<kind>}). */
    default boolean modules() {
        return true;
    }

    /**
     * Connections to read these kinds through, in the shared group: a client acknowledges in order, so more spread
     * one slow message's hold over fewer deliveries (and no longer keep one device's order across them).
     */
    default int connections() {
        return 1;
    }

    /**
     * Messages read through the subscription and not yet answered before the reader waits: the broker's window is
     * the other bound. Zero leaves it to the broker.
     */
    default int maxInFlight() {
        return 0;
    }

    /**
     * Handles a message and publishes its answer through {@code replies}. Completes with the outcome once the message
     * is done with (what it changed committed, its answer published), and exceptionally only when no answer could be
     * given, so that the device sends it again. Must not block: the broker's edge hands messages in on its own threads.
     */
    CompletableFuture<DeviceMessage.Outcome> handle(DeviceMessage message, DeviceReplies replies);
}
