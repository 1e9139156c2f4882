package io.twinplatform.api.twin;

/** Query: the current twin document, answered from the projection, or {@code null} when there is none. */
public record FindTwin(String twinId) {
}
