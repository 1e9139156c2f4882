package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/**
 * A raised alert of the twin ended: the computed attribute {@code name} came back past its clearing threshold
 * ({@code threshold}) with {@code value}, computed at {@code computedAt}. The principal of its metadata is
 * {@code computed:<name>}.
 */
@Revision("1")
public record AlertCleared(String twinId, String name, double value, double threshold, String computedAt,
                           long version) implements TwinEvent {
}
