package io.twinplatform.deploy.mqtt;

import io.twinplatform.api.twin.TwinId;

import java.util.concurrent.CompletableFuture;

/**
 * Whether a device whose key is right may connect now: the reason it may not (its twin is disabled), or null. A
 * future that fails means the platform cannot tell (its database is away), and the connect is refused as
 * unavailable.
 */
@FunctionalInterface
interface DeviceGate {

    /** Lets every device with a right key in (a broker no platform reads from, such as the simulator's tests). */
    DeviceGate OPEN = twinId -> CompletableFuture.completedFuture(null);

    CompletableFuture<String> refusal(TwinId twinId);
}
