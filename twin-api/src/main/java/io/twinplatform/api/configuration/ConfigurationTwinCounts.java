package io.twinplatform.api.configuration;

import java.util.Map;

/**
 * Per named condition, the count of twins per rollout phase ({@code -1} for twins no rollout admitted).
 */
public record ConfigurationTwinCounts(Map<String, Map<Integer, Long>> counts) {

    public long inPhase(String name, int phase) {
        return counts.getOrDefault(name, Map.of()).getOrDefault(phase, 0L);
    }
}
