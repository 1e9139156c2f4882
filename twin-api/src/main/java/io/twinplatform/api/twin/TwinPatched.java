package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

/**
 * Tags and/or desired properties were merge-patched. Each patch is the effective one: only what changed, with
 * {@code null} for removed keys; a section the patch did not change is {@code null}.
 */
@Revision("1")
public record TwinPatched(String twinId,
                          ObjectNode tags,
                          ObjectNode desired,
                          long desiredVersion,
                          long version) implements TwinEvent {
}
