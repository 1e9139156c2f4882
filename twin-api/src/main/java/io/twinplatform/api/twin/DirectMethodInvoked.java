package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.serialization.Revision;

/**
 * A direct method was called on the twin's device: {@code methodName} with {@code payload} (any JSON value, null when
 * none), answered within {@code responseTimeoutSeconds} or not at all. Recorded before the call goes to the device;
 * the {@link DirectMethodCompleted} with the same {@code requestId} says how it ended. The principal of its metadata
 * is who called.
 */
@Revision("1")
public record DirectMethodInvoked(String twinId, String requestId, String methodName, JsonNode payload,
                                  int responseTimeoutSeconds, long version) implements TwinEvent {
}
