package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

/**
 * Tags and/or desired properties were replaced whole. A section that the replacement left as it was is
 * {@code null}; {@code desiredVersion} is the desired {@code $version} after the event.
 */
@Revision("1")
public record TwinReplaced(String twinId,
                           ObjectNode tags,
                           ObjectNode desired,
                           long desiredVersion,
                           long version) implements TwinEvent {
}
