package io.twinplatform.api.device;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operating states a device type may move through, and which moves are allowed (the device channel's issue:
 * a reported {@code state} that breaks them is still recorded, and flagged). The default is the one the device twin
 * article describes: idle → running | maintenance; running → paused | idle | error; paused → running | idle;
 * error → maintenance | idle; maintenance → idle. Groundwork for the device channel: nothing reports through it yet.
 */
public final class DeviceStateMachine {

    /** The default machine, for device types without their own. */
    public static final DeviceStateMachine DEFAULT = of("idle", Map.of(
            "idle", List.of("running", "maintenance"),
            "running", List.of("paused", "idle", "error"),
            "paused", List.of("running", "idle"),
            "error", List.of("maintenance", "idle"),
            "maintenance", List.of("idle")));

    private final String initial;
    private final Map<String, Set<String>> transitions;

    private DeviceStateMachine(String initial, Map<String, Set<String>> transitions) {
        this.initial = initial;
        this.transitions = transitions;
    }

    /**
     * A machine from configuration: its initial state and, per state, the states it may move to. Refused (422) when
     * a transition leads to a state that is not listed, or the initial state is not one.
     */
    public static DeviceStateMachine of(String initial, Map<String, List<String>> transitions) {
        Map<String, Set<String>> copy = new LinkedHashMap<>();
        transitions.forEach((from, to) -> copy.put(from, Set.copyOf(to)));
        if (!copy.containsKey(initial)) {
            throw invalid("the initial state '" + initial + "' is not one of " + copy.keySet());
        }
        copy.forEach((from, to) -> to.forEach(target -> {
            if (!copy.containsKey(target)) {
                throw invalid("'" + from + "' may move to '" + target + "', which is not one of " + copy.keySet());
            }
        }));
        return new DeviceStateMachine(initial, Map.copyOf(copy));
    }

    public String initial() {
        return initial;
    }

    /**
     * Whether a device may move from {@code from} to {@code to}. Staying in a state is always allowed; from no state
     * yet ({@code null}) the initial state is; an unknown state is never a valid end.
     */
    public boolean allows(String from, String to) {
        if (!transitions.containsKey(to)) {
            return false;
        }
        if (from == null) {
            return to.equals(initial);
        }
        return from.equals(to) || transitions.getOrDefault(from, Set.of()).contains(to);
    }

    private static TwinException invalid(String detail) {
        return new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "invalidStateMachine", detail));
    }
}
