package io.twinplatform.deploy.mqtt;

import io.twinplatform.api.twin.TwinId;

import java.util.concurrent.CompletableFuture;

/**
 * What a device must present to connect now: the generation of its key ({@code 0}, derived from the fleet secret, until
 * its key is rotated), whether its key is revoked, why it may not connect even with the right key (its twin is
 * disabled), and whether its twin exists. A future that fails means the platform cannot tell (its database is away);
 * the connect is then refused as unavailable. {@link DeviceCredentials} judges a password against the decision, for
 * the broker and for HTTP alike.
 */
@FunctionalInterface
interface DeviceGate {

    /**
     * What the gate decided for a device. {@code refusal} is null when a device with the right key may connect;
     * {@code exists} is false when the read side has no such twin (true when no read side answers in this process).
     */
    record Decision(int generation, boolean revoked, String refusal, boolean exists) {
    }

    /** Every device with its fleet-derived key is let in (a broker no platform reads from, such as the simulator's). */
    DeviceGate OPEN = twinId -> CompletableFuture.completedFuture(new Decision(0, false, null, true));

    CompletableFuture<Decision> decide(TwinId twinId);
}
