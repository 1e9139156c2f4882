package io.twinplatform.api.history;

/**
 * Query: a twin's computed attributes, each its latest value, when it was computed, what from, and its alert.
 * Answered with an {@code ObjectNode} by attribute name (empty when none).
 */
public record FindComputedValues(String twinId) {
}
