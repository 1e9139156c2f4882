package io.twinplatform.simulator;

import io.twinplatform.api.device.DeviceStateMachine;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class StateWalkerTest {

    private static final List<String> STATES = List.of("idle", "running", "paused", "error", "maintenance");

    @Test
    void everyStepIsATransitionThePlatformsDefaultMachineAllows() {
        Random random = new Random(5);
        String state = StateWalker.INITIAL;
        Set<String> visited = new HashSet<>();

        for (int i = 0; i < 100_000; i++) {
            String next = StateWalker.DEFAULT.next(state, random, 0.2);
            assertThat(DeviceStateMachine.DEFAULT.allows(state, next)).as(state + " → " + next).isTrue();
            assertThat(next).isNotEqualTo(state);
            visited.add(next);
            state = next;
        }

        assertThat(visited).containsExactlyInAnyOrderElementsOf(STATES);
        assertThat(DeviceStateMachine.DEFAULT.initial()).isEqualTo(StateWalker.INITIAL);
    }

    @Test
    void withoutFaultsTheWalkNeverEntersError() {
        Random random = new Random(5);
        String state = StateWalker.INITIAL;

        for (int i = 0; i < 100_000; i++) {
            state = StateWalker.DEFAULT.next(state, random, 0);
            assertThat(state).isNotEqualTo("error");
        }
    }

    @Test
    void atFaultRateOneARunningDeviceAlwaysFaultsToError() {
        Random random = new Random(5);

        for (int i = 0; i < 1_000; i++) {
            assertThat(StateWalker.DEFAULT.next("running", random, 1.0)).isEqualTo("error");
        }
    }

    @Test
    void aFaultTakesRunningToErrorAndLeavesEveryOtherStateAlone() {
        assertThat(StateWalker.DEFAULT.fault("running")).isEqualTo("error");
        for (String state : List.of("idle", "paused", "error", "maintenance")) {
            assertThat(StateWalker.DEFAULT.fault(state)).isEqualTo(state);
        }
        assertThat(DeviceStateMachine.DEFAULT.allows("running", "error")).isTrue();
    }

    @Test
    void anUnknownStateWalksBackToTheInitialOne() {
        assertThat(StateWalker.DEFAULT.knows("exploded")).isFalse();
        assertThat(StateWalker.DEFAULT.next("exploded", new Random(1), 0)).isEqualTo("idle");
    }
}
