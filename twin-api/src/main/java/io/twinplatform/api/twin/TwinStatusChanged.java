package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/** The twin's device was enabled or disabled. */
@Revision("1")
public record TwinStatusChanged(String twinId, TwinStatus status, String reason, long version) implements TwinEvent {
}
