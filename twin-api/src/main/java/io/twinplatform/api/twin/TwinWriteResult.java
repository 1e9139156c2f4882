package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a twin command returns: the twin document after it ({@code null} after a delete, and when the caller asked
 * for no document and nothing else needs it), its version, whether the command created the twin, and whether it
 * changed anything (a no-op patch or a redelivery did not).
 */
public record TwinWriteResult(ObjectNode twin, long version, boolean created, boolean changed) {
}
