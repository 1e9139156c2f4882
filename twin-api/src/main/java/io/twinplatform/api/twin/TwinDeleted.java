package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/** The twin was deleted. Its earlier events stay; {@code version} keeps counting if it is created again. */
@Revision("1")
public record TwinDeleted(String twinId, long version) implements TwinEvent {
}
