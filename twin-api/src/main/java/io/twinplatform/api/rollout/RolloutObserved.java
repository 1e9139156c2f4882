package io.twinplatform.api.rollout;

import org.axonframework.serialization.Revision;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the rollout's twins showed when their counts last changed, per phase (0-based): how many the rollout
 * admitted, how many have the configuration applied, meet the success metric, and meet the failure condition.
 */
@Revision("1")
public record RolloutObserved(String rolloutId, int phase, Map<Integer, PhaseCounts> phases, long version)
        implements RolloutEvent {

    public RolloutObserved {
        phases = new TreeMap<>(phases);
    }
}
