package io.twinplatform.history.computed;

import io.twinplatform.history.computed.AlertHysteresis.Side;
import io.twinplatform.history.computed.AlertHysteresis.Transition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A threshold alert with two thresholds, so that it does not flap. */
class AlertHysteresisTest {

    private final AlertHysteresis above = new AlertHysteresis(Side.ABOVE, 3.0, 2.0);
    private final AlertHysteresis below = new AlertHysteresis(Side.BELOW, 10.0, 12.0);

    @Test
    void anAboveAlertRaisesAtRaiseAndClearsOnlyAtClear() {
        assertThat(above.next(false, 2.9)).isEqualTo(Transition.NONE);
        assertThat(above.next(false, 3.0)).isEqualTo(Transition.RAISE);
        assertThat(above.next(true, 3.5)).isEqualTo(Transition.NONE);
        assertThat(above.next(true, 2.5)).isEqualTo(Transition.NONE);
        assertThat(above.next(true, 2.0)).isEqualTo(Transition.CLEAR);
        assertThat(above.next(false, 2.5)).isEqualTo(Transition.NONE);
    }

    @Test
    void aBelowAlertRaisesAtRaiseAndClearsOnlyAtClear() {
        assertThat(below.next(false, 10.5)).isEqualTo(Transition.NONE);
        assertThat(below.next(false, 9.0)).isEqualTo(Transition.RAISE);
        assertThat(below.next(true, 11.9)).isEqualTo(Transition.NONE);
        assertThat(below.next(true, 12.0)).isEqualTo(Transition.CLEAR);
    }

    @Test
    void aValueHoveringAroundOneThresholdDoesNotFlap() {
        boolean raised = false;
        int transitions = 0;
        for (double value : new double[] {2.9, 3.1, 2.9, 3.1, 2.8, 3.2, 2.1, 3.0}) {
            Transition next = above.next(raised, value);
            if (next != Transition.NONE) {
                transitions++;
                raised = next == Transition.RAISE;
            }
        }

        assertThat(transitions).isEqualTo(1);
        assertThat(raised).isTrue();
    }

    @Test
    void aNanChangesNothing() {
        assertThat(above.next(false, Double.NaN)).isEqualTo(Transition.NONE);
        assertThat(above.next(true, Double.NaN)).isEqualTo(Transition.NONE);
    }

    @Test
    void refusesAClearOnTheWrongSideOrEqualToRaise() {
        assertThatThrownBy(() -> new AlertHysteresis(Side.ABOVE, 3.0, 4.0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AlertHysteresis(Side.ABOVE, 3.0, 3.0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AlertHysteresis(Side.BELOW, 10.0, 9.0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AlertHysteresis(Side.BELOW, 10.0, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(AlertHysteresis.valid(Side.BELOW, 10.0, 12.0)).isTrue();
    }
}
