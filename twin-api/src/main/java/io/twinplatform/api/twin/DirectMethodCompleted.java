package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.serialization.Revision;

/**
 * How the direct method call {@code requestId} ({@link DirectMethodInvoked}) ended: {@code answered} by the device with
 * its {@code status} and {@code payload} (a JSON value, null when it sent none); {@code timedOut}, no answer within
 * the call's time; {@code notConnected}, the device was not connected and subscribed to method calls; or
 * {@code invalidAnswer}, the device answered with something that is not a JSON value the platform can keep (its
 * status is kept, its payload is not). {@code durationMillis} runs from the call to its end.
 */
@Revision("1")
public record DirectMethodCompleted(String twinId, String requestId, String methodName, String outcome,
                                    Integer status, JsonNode payload, long durationMillis, long version)
        implements TwinEvent {

    public static final String ANSWERED = "answered";
    public static final String TIMED_OUT = "timedOut";
    public static final String NOT_CONNECTED = "notConnected";
    public static final String INVALID_ANSWER = "invalidAnswer";
}
