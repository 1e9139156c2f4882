package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/**
 * A computed attribute of the twin crossed its alert threshold: {@code value}, computed at {@code computedAt}, is
 * {@code side} ({@code above} or {@code below}) {@code threshold}. The alert stays raised until an
 * {@link AlertCleared} of the same {@code name}. The principal of its metadata is {@code computed:<name>}.
 */
@Revision("1")
public record AlertRaised(String twinId, String name, double value, double threshold, String side,
                          String computedAt, long version) implements TwinEvent {
}
