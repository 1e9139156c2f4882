package io.twinplatform.api.rollout;

import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Phase membership: stable, in the proportions asked for, nested as phases grow, and different per rollout. */
class PhaseMembershipTest {

    private static final List<String> FLEET = IntStream.range(0, 20_000).mapToObj(i -> "device-" + i).toList();

    @Test
    void theSameTwinLandsInTheSamePhaseEveryTime() {
        PhaseMembership first = new PhaseMembership("rollout-a", List.of(5.0, 25.0, 100.0));
        PhaseMembership again = new PhaseMembership("rollout-a", List.of(5.0, 25.0, 100.0));

        assertThat(FLEET).allSatisfy(twin -> assertThat(again.phaseOf(twin)).isEqualTo(first.phaseOf(twin)));
        // The hash is SHA-256 of "<rolloutId>\n<twinId>", its first 8 bytes unsigned big-endian, modulo 10,000; these
        // buckets were computed outside Java (Python's hashlib). Changing the hash would move running rollouts' twins.
        assertThat(first.bucket("device-0")).isEqualTo(6231);
        assertThat(first.bucket("device-1")).isEqualTo(1386);
        assertThat(first.bucket("thermostat-0042/climate")).isEqualTo(906);
    }

    @Test
    void phasesTakeTheirSharesAndNestAsTheyGrow() {
        PhaseMembership phases = new PhaseMembership("rollout-a", List.of(5.0, 25.0, 100.0));

        long canary = FLEET.stream().filter(twin -> phases.inOrBefore(twin, 0)).count();
        long quarter = FLEET.stream().filter(twin -> phases.inOrBefore(twin, 1)).count();
        long all = FLEET.stream().filter(twin -> phases.inOrBefore(twin, 2)).count();

        assertThat(canary).isBetween(800L, 1200L);
        assertThat(quarter).isBetween(4600L, 5400L);
        assertThat(all).isEqualTo(FLEET.size());
        assertThat(FLEET).filteredOn(twin -> phases.inOrBefore(twin, 0))
                .allSatisfy(twin -> assertThat(phases.inOrBefore(twin, 1)).isTrue());
    }

    @Test
    void anotherRolloutPicksAnotherCanary() {
        PhaseMembership a = new PhaseMembership("rollout-a", List.of(5.0, 100.0));
        PhaseMembership b = new PhaseMembership("rollout-b", List.of(5.0, 100.0));

        long inBoth = FLEET.stream().filter(twin -> a.phaseOf(twin) == 0 && b.phaseOf(twin) == 0).count();

        assertThat(inBoth).as("about 5% of 5%").isLessThan(150);
    }

    @Test
    void aLastPhaseBelowAHundredLeavesTwinsOut() {
        PhaseMembership half = new PhaseMembership("r", List.of(50.0));

        assertThat(FLEET.stream().filter(twin -> half.phaseOf(twin) == -1).count()).isBetween(9_500L, 10_500L);
    }

    @Test
    void phasesMustRiseAndStayWithinAHundred() {
        assertThatThrownBy(() -> new PhaseMembership("r", List.of())).isInstanceOf(TwinException.class);
        assertThatThrownBy(() -> new PhaseMembership("r", List.of(25.0, 5.0))).isInstanceOf(TwinException.class)
                .hasMessageContaining("phase 1");
        assertThatThrownBy(() -> new PhaseMembership("r", List.of(5.0, 101.0))).isInstanceOf(TwinException.class);
        assertThatThrownBy(() -> new PhaseMembership("r", List.of(0.0))).isInstanceOf(TwinException.class);
        assertThatThrownBy(() -> new PhaseMembership("r", List.of(5.001))).isInstanceOf(TwinException.class);
    }
}
