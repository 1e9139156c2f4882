package io.twinplatform.api.rollout;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Which phase of a rollout a twin belongs to: a stable hash of the rollout id and the twin id puts every twin in one
 * of 10,000 buckets, and the phases' cumulative percentages cut the buckets into ranges. The same twin always lands in
 * the same phase of the same rollout (a replay picks the same twins), a twin in the 5% canary of one rollout is not
 * therefore in the canary of the next, and raising the last phase to 100% takes in every twin.
 */
public final class PhaseMembership {

    private static final int BUCKETS = 10_000;

    private final String rolloutId;
    private final int[] upperBuckets;

    /**
     * @param percents each phase's cumulative share of the fleet, in percent (e.g. 5, 25, 100): rising, above 0, at
     *                 most 100, with up to two decimals
     */
    public PhaseMembership(String rolloutId, List<Double> percents) {
        if (percents.isEmpty()) {
            throw refused("$.phases", "a rollout has at least one phase");
        }
        this.rolloutId = rolloutId;
        this.upperBuckets = new int[percents.size()];
        double previous = 0;
        for (int i = 0; i < percents.size(); i++) {
            double percent = percents.get(i);
            if (!(percent > previous) || percent > 100 || Math.round(percent * 100) != percent * 100) {
                throw refused("$.phases[" + i + "].percent", "each phase's percent is above the one before, at most"
                        + " 100, with up to two decimals (phase " + i + " has " + percent + ")");
            }
            upperBuckets[i] = (int) Math.round(percent * 100);
            previous = percent;
        }
    }

    /**
     * The twin's bucket in this rollout, 0 to 9,999: SHA-256 of {@code <rolloutId>\n<twinId>} in UTF-8, its first
     * eight bytes as an unsigned big-endian number, modulo 10,000 (so anyone can recompute it).
     */
    public int bucket(String twinId) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((rolloutId + "\n" + twinId).getBytes(StandardCharsets.UTF_8));
            return (int) Long.remainderUnsigned(ByteBuffer.wrap(hash).getLong(), BUCKETS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    /** The first phase (0-based) whose share takes the twin in, or -1 if no phase does (the last is below 100%). */
    public int phaseOf(String twinId) {
        int bucket = bucket(twinId);
        for (int i = 0; i < upperBuckets.length; i++) {
            if (bucket < upperBuckets[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the twin is targeted once the rollout has reached {@code phase} (0-based): its own phase or earlier. */
    public boolean inOrBefore(String twinId, int phase) {
        int own = phaseOf(twinId);
        return own >= 0 && own <= phase;
    }

    private static TwinException refused(String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "invalidPhases", path, detail));
    }
}
