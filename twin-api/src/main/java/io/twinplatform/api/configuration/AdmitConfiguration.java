package io.twinplatform.api.configuration;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * A rollout sets which twins its staged configuration may reach: {@code admission.phase} is the last phase reached
 * (-1: none yet, or none any more). {@code revert} (a rollback) makes the twins it leaves get back the values they had
 * before the rollout. Refused with 404 for no such configuration, 409 {@code configurationNotStaged} for one that
 * applies without a rollout, and 409 {@code configurationInRollout} while another rollout has it.
 * {@code requiredMetric}, when set, must name one of the configuration's metrics (422 {@code unknownMetric}); the
 * command answers that metric's query text.
 */
public record AdmitConfiguration(String configurationId, Admission admission, boolean revert, String requiredMetric) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return ConfigurationEvent.aggregateId(configurationId);
    }
}
