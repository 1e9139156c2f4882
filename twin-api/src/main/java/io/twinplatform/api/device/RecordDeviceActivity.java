package io.twinplatform.api.device;

import java.time.Instant;
import java.util.Map;

/**
 * The latest message time of each twin whose device was heard from since the last such command, by twin id. Sent
 * about once a second by whatever receives device messages, and handled by the read side, which raises each twin's
 * {@code lastActivityTime}: activity is shown without an event per message.
 */
public record RecordDeviceActivity(Map<String, Instant> lastSeen) {

    public RecordDeviceActivity {
        lastSeen = Map.copyOf(lastSeen);
    }
}
