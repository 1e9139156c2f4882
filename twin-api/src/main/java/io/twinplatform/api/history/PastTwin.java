package io.twinplatform.api.history;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A twin as it was: the document and its version, and whether it came from the history table or was rebuilt from
 * the events (older than the history's retention).
 */
public record PastTwin(ObjectNode twin, long version, boolean rebuiltFromEvents) {
}
