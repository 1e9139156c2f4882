package io.twinplatform.simulator;

import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Walks a device through its operating states by allowed transitions only, so that the platform never flags a
 * simulated device unless a fault is injected on purpose. The default walk is the platform's default machine
 * ({@link io.twinplatform.api.device.DeviceStateMachine#DEFAULT}): idle → running | maintenance; running → paused |
 * idle | error; paused → running | idle; error → maintenance | idle; maintenance → idle. A fault is the one move
 * that ends in {@code error}, which the machine allows from {@code running} only.
 */
final class StateWalker {

    static final String INITIAL = "idle";
    static final String RUNNING = "running";
    static final String ERROR = "error";

    /** The platform's default machine; a step to {@code error} is left to {@link #fault}. */
    static final StateWalker DEFAULT = new StateWalker(Map.of(
            "idle", List.of("running", "maintenance"),
            "running", List.of("paused", "idle", "error"),
            "paused", List.of("running", "idle"),
            "error", List.of("maintenance", "idle"),
            "maintenance", List.of("idle")));

    private final Map<String, List<String>> transitions;

    private StateWalker(Map<String, List<String>> transitions) {
        this.transitions = transitions;
    }

    boolean knows(String state) {
        return transitions.containsKey(state);
    }

    /**
     * The next state: with chance {@code faultRate} a fault (see {@link #fault}) when one is possible, otherwise one
     * of the allowed moves other than into {@code error}, each equally likely. An unknown state goes back to
     * {@value #INITIAL}.
     */
    String next(String current, Random random, double faultRate) {
        if (!knows(current)) {
            return INITIAL;
        }
        if (faultRate > 0 && canFault(current) && random.nextDouble() < faultRate) {
            return ERROR;
        }
        List<String> moves = transitions.get(current).stream().filter(state -> !state.equals(ERROR)).toList();
        return moves.get(random.nextInt(moves.size()));
    }

    /** The state a fault leaves the device in: {@value #ERROR} from {@value #RUNNING}; elsewhere it stays put. */
    String fault(String current) {
        return canFault(current) ? ERROR : current;
    }

    private boolean canFault(String current) {
        return transitions.getOrDefault(current, List.of()).contains(ERROR);
    }
}
