package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

/**
 * A twin came into being (first time, or again after a delete) with these tags and desired properties. Its
 * desired and reported sections start at {@code $version} 1; {@code version} is the twin's version after it.
 */
@Revision("1")
public record TwinCreated(String twinId,
                          String deviceId,
                          String moduleId,
                          ObjectNode tags,
                          ObjectNode desired,
                          long desiredVersion,
                          long reportedVersion,
                          long version) implements TwinEvent {
}
