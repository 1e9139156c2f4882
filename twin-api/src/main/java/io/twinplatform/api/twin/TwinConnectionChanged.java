package io.twinplatform.api.twin;

import org.axonframework.serialization.Revision;

/** The twin's device connected or disconnected: {@code connectionState} is {@code Connected} or {@code Disconnected}. */
@Revision("1")
public record TwinConnectionChanged(String twinId, String connectionState, long version) implements TwinEvent {

    public static final String CONNECTED = "Connected";
    public static final String DISCONNECTED = "Disconnected";
}
