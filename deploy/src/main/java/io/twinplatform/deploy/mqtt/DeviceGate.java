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
     * {@code exists} is false when the read side has no such twin (true when no read side answers in this process);
     * {@code provisioning} is what an enrollment group says for a device that has no twin yet (null: none takes it).
     */
    record Decision(int generation, boolean revoked, String refusal, boolean exists, Provisioning provisioning) {

        Decision(int generation, boolean revoked, String refusal, boolean exists) {
            this(generation, revoked, refusal, exists, null);
        }
    }

    /**
     * An enrollment group that takes a device with no twin: once the device proved its key, {@link #provision}
     * creates its twin (the group's, as its principal), unless the group is disabled, which refuses the device.
     */
    interface Provisioning {

        String enrollmentId();

        boolean enabled();

        /** Creates the device's twin from the group; completes once a read shows it. */
        CompletableFuture<?> provision();
    }

    /** Every device with its fleet-derived key is let in (a broker no platform reads from, such as the simulator's). */
    DeviceGate OPEN = twinId -> CompletableFuture.completedFuture(new Decision(0, false, null, true));

    CompletableFuture<Decision> decide(TwinId twinId);
}
