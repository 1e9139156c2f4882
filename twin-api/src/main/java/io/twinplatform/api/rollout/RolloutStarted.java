package io.twinplatform.api.rollout;

import org.axonframework.serialization.Revision;

/**
 * A rollout was created, as {@link RolloutSpec} reads it; {@code successQuery} is the text of the configuration
 * metric named by its success criterion when the rollout started (kept, so a replay decides as the rollout did).
 */
@Revision("1")
public record RolloutStarted(String rolloutId, RolloutSpec spec, String successQuery, long version)
        implements RolloutEvent {
}
