package io.twinplatform.deploy.mqtt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.twin.TwinId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A device's credentials (its twin id and the password of its key, {@link DeviceKeys}), judged one way for the
 * embedded broker's connect ({@link DeviceAuthorisation}) and for the device's own HTTP access (docs/security.md,
 * <i>Devices over HTTP</i>): {@link #judge} against what the {@link DeviceGate} decided for the device.
 * <p>
 * Over HTTP every request carries the credentials, so {@link #verify} keeps a decision that admits a device (never a
 * refusal, never a password) for {@code ttl} ({@code twin.security.key-cache-ttl}); the password is compared with the
 * one derived for the decided generation each time, in constant time. A rotation or revocation
 * ({@link DeviceKeyController}) and a twin disabled or deleted ({@link DeviceDisconnects}) on this instance drop the
 * kept decision; on another instance, it holds for {@code ttl} at most.
 */
public final class DeviceCredentials {

    private static final Logger log = LoggerFactory.getLogger(DeviceCredentials.class);
    /** How long a check waits for the gate's answer before it is refused as unavailable (as the broker's connect). */
    static final Duration GATE_TIMEOUT = Duration.ofSeconds(10);

    /** What a check of a device's credentials found. */
    public enum Outcome {
        /** The password of the generation the device must present, and its twin may connect. */
        ACCEPTED,
        /** Every key of the device is revoked. */
        REVOKED,
        /** Not the password of the generation the device must present (an old generation, another twin's, none). */
        WRONG_KEY,
        /** The right password, but no such twin exists (the broker lets the device in; HTTP does not). */
        UNKNOWN_TWIN,
        /** The right password, but the twin is disabled. */
        DISABLED,
        /** The platform cannot tell now (its database does not answer). */
        UNAVAILABLE
    }

    /** An outcome and why, in words that never repeat the password. */
    public record Verdict(Outcome outcome, String reason) {

        static final Verdict ACCEPTED = new Verdict(Outcome.ACCEPTED, null);
    }

    private final DeviceKeys keys;
    private final DeviceGate gate;
    private final Cache<String, DeviceGate.Decision> admitted;

    DeviceCredentials(DeviceKeys keys, DeviceGate gate, Duration ttl) {
        this.keys = keys;
        this.gate = gate;
        this.admitted = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(ttl).build();
    }

    /**
     * Judges {@code password} for {@code twinId} against what the gate decided: a revoked key first, then the
     * password (of the decided generation, compared in constant time), then the twin.
     */
    static Verdict judge(DeviceKeys keys, TwinId twinId, byte[] password, DeviceGate.Decision decision) {
        return judge(twinId, generation -> keys.matches(twinId.value(), generation, password), decision);
    }

    /**
     * As {@link #judge(DeviceKeys, TwinId, byte[], DeviceGate.Decision)}, with the key's proof weighed by
     * {@code rightKey} (given the generation the gate decided): a password, or a SAS token's signature.
     */
    static Verdict judge(TwinId twinId, java.util.function.IntPredicate rightKey, DeviceGate.Decision decision) {
        if (decision.revoked()) {
            return new Verdict(Outcome.REVOKED, "the device's key is revoked");
        }
        if (!rightKey.test(decision.generation())) {
            return new Verdict(Outcome.WRONG_KEY, "wrong device key");
        }
        if (!decision.exists()) {
            return new Verdict(Outcome.UNKNOWN_TWIN, "no twin " + twinId.value() + " exists");
        }
        if (decision.refusal() != null) {
            return new Verdict(Outcome.DISABLED, decision.refusal());
        }
        return Verdict.ACCEPTED;
    }

    /**
     * Checks a device's credentials as the broker does, keeping a decision that admits it for the cache's time. Blocks
     * for the gate's lookups (a {@code device_key} row and the twin) when nothing is kept, at most
     * {@link #GATE_TIMEOUT}.
     */
    public Verdict verify(TwinId twinId, byte[] password) {
        DeviceGate.Decision decision = admitted.getIfPresent(twinId.value());
        if (decision == null) {
            try {
                decision = gate.decide(twinId).get(GATE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                log.warn("could not check the credentials of device {}: {}", twinId.value(),
                        e instanceof ExecutionException ? String.valueOf(e.getCause()) : "no answer in time");
                return new Verdict(Outcome.UNAVAILABLE, "the platform cannot tell now whether the device may connect;"
                        + " try again later");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Verdict(Outcome.UNAVAILABLE, "interrupted");
            }
            if (!decision.revoked() && decision.exists() && decision.refusal() == null) {
                admitted.put(twinId.value(), decision);
            }
        }
        return judge(keys, twinId, password, decision);
    }

    /** Drops what is kept for the twin: its key changed, or the twin was disabled or deleted. */
    void forget(String twinId) {
        admitted.invalidate(twinId);
    }
}
