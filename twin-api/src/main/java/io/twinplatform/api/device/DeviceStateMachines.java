package io.twinplatform.api.device;

import java.util.Map;

/**
 * The state machine of each device type (a twin's {@code tags.deviceType}); a type without its own, and a twin
 * without a type, gets the one configured as {@code default}, or {@link DeviceStateMachine#DEFAULT}.
 */
public final class DeviceStateMachines {

    /** The device type of a twin without a textual {@code tags.deviceType}. */
    public static final String DEFAULT_TYPE = "default";

    private final Map<String, DeviceStateMachine> byType;
    private final DeviceStateMachine fallback;

    public DeviceStateMachines(Map<String, DeviceStateMachine> byType) {
        this.byType = Map.copyOf(byType);
        this.fallback = byType.getOrDefault(DEFAULT_TYPE, DeviceStateMachine.DEFAULT);
    }

    /** Only the article's default machine. */
    public static DeviceStateMachines defaults() {
        return new DeviceStateMachines(Map.of());
    }

    public DeviceStateMachine forType(String deviceType) {
        return deviceType == null ? fallback : byType.getOrDefault(deviceType, fallback);
    }
}
