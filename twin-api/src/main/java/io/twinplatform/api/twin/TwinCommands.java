package io.twinplatform.api.twin;

/** Marker for the twin commands, so a client can name them as a group. */
public sealed interface TwinCommands permits PutTwin, PatchTwin, PatchReportedProperties, SetTwinStatus, DeleteTwin, ReportConnection,
        UpdateShadow, ApplyConfigurations, InvokeDirectMethod, CompleteDirectMethod, RaiseAlert, ClearAlert {

    String twinId();
}
