package io.twinplatform.api.rollout;

/** What every rollout event says: which rollout, and its version after the event. */
public sealed interface RolloutEvent permits RolloutStarted, RolloutDecided, RolloutObserved,
        RolloutPhaseAdmitted {

    /** The rollout's aggregate identifier, {@code rollout#<id>}: never a twin's or a configuration's. */
    static String aggregateId(String rolloutId) {
        return "rollout#" + rolloutId;
    }

    String rolloutId();

    long version();
}
