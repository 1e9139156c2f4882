package io.twinplatform.api.twin;

import io.twinplatform.api.configuration.ConfigurationCandidate;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

import java.util.List;

/**
 * Offers a twin every live configuration that could set its desired properties; the twin itself decides which of
 * them target it (their conditions are evaluated on its own, current state, so a query side that lags cannot make
 * it wrong) and layers their content. Sent by the configuration applier, never by a client.
 *
 * @param revertRolloutId when set, keys that rollout's configuration set and no longer sets get back the value they
 *                        had before the rollout set them (rollback), instead of being removed (withdrawal)
 */
public record ApplyConfigurations(@TargetAggregateIdentifier String twinId,
                                  List<ConfigurationCandidate> candidates,
                                  String revertRolloutId) implements TwinCommands {

    public ApplyConfigurations {
        candidates = List.copyOf(candidates);
    }
}
