package io.twinplatform.api.device;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.twin.TwinId;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * How a direct method reaches a device and its answer comes back: the device channel's part of
 * {@code POST /twins/{id}/methods/{name}} (the embedded broker's, which knows who is connected and can answer one
 * connection alone). The caller records the call and its outcome as the twin's events.
 */
public interface DeviceMethodChannel {

    /** How a call ended. */
    enum Outcome {
        /** The device answered: {@link Answer#status()} and {@link Answer#payload()} are its answer. */
        ANSWERED,
        /** No answer within the call's time. */
        TIMED_OUT,
        /** The device is not connected, or not subscribed to method calls. */
        NOT_CONNECTED
    }

    /** How a call ended, with the device's status and payload (its bytes, as sent) when it answered. */
    record Answer(Outcome outcome, Integer status, byte[] payload) {
    }

    /**
     * Whether the device or module {@code twinId} is connected now. A call to one that is not is refused before
     * anything is recorded; one connected but subscribed to no method topic ends {@link Outcome#NOT_CONNECTED}.
     */
    CompletableFuture<Boolean> connected(TwinId twinId);

    /**
     * Calls {@code methodName} on the device or module {@code twinId} with {@code payload} (validated; null for none)
     * under {@code requestId}; completes when it answered, when {@code timeout} ran out, or at once when it cannot
     * be reached. Never completes exceptionally for the device's sake.
     */
    CompletableFuture<Answer> call(TwinId twinId, String requestId, String methodName, JsonNode payload,
                                   Duration timeout);
}
