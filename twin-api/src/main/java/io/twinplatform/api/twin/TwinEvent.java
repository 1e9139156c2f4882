package io.twinplatform.api.twin;

/**
 * What every twin event says: which twin, and the twin's version after the event. Readers that fold every twin
 * event (the projection, history) handle this one type.
 */
public sealed interface TwinEvent permits TwinCreated, TwinReplaced, TwinPatched, ReportedPropertiesPatched,
        TwinStatusChanged, TwinDeleted, TwinConfigurationsApplied, TwinConnectionChanged, InvalidStateTransitionReported,
        DirectMethodInvoked, DirectMethodCompleted, AlertRaised, AlertCleared {

    String twinId();

    long version();
}
