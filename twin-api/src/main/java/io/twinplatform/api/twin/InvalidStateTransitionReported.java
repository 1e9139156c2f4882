package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/**
 * The device reported a {@code state} its device type's state machine does not allow after the state it was in:
 * from {@code from} (null when it had reported none) to {@code to}. Recorded right after the
 * {@link ReportedPropertiesPatched} that carried the state, which is kept: the twin shows what the device says, and
 * is flagged until the device reports its next state.
 */
@Revision("1")
public record InvalidStateTransitionReported(String twinId, String deviceType, String from, String to,
                                             long version) implements TwinEvent {
}
