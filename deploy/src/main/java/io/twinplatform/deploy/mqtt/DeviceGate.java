package io.twinplatform.deploy.mqtt;

import io.twinplatform.api.twin.TwinId;

import java.util.concurrent.CompletableFuture;

/**
 * What a device must present to connect now: the generation of its key ({@code 0}, derived from the fleet secret, until
 * its key is rotated), whether its key is revoked, and why it may not connect even with the right key (its twin is
 * disabled). A future that fails means the platform cannot tell (its database is away); the connect is then refused
 * as unavailable.
 */
@FunctionalInterface
interface DeviceGate {

    /** What the gate decided for a device. {@code refusal} is null when a device with the right key may connect. */
    record Decision(int generation, boolean revoked, String refusal) {
    }

    /** Every device with its fleet-derived key is let in (a broker no platform reads from, such as the simulator's). */
    DeviceGate OPEN = twinId -> CompletableFuture.completedFuture(new Decision(0, false, null));

    CompletableFuture<Decision> decide(TwinId twinId);
}
