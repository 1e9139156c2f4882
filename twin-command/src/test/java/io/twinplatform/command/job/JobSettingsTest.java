package io.twinplatform.command.job;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings that would stall or double-run jobs are refused when the platform starts, not found out later. */
class JobSettingsTest {

    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration CLAIM = Duration.ofSeconds(30);

    @Test
    void theDefaultsAndASlowButWorkableRateAreAccepted() {
        assertThatCode(() -> new JobSettings(100, SECOND, 2, CLAIM)).doesNotThrowAnyException();
        assertThatCode(() -> new JobSettings(0.1, SECOND, 1, CLAIM)).doesNotThrowAnyException();
    }

    @Test
    void refusesNoRateNoJobsAndClaimsThatLapseBetweenTwoUpdates() {
        assertThatThrownBy(() -> new JobSettings(0, SECOND, 2, CLAIM)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobSettings(100, Duration.ZERO, 2, CLAIM))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobSettings(100, SECOND, 0, CLAIM)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobSettings(100, SECOND, 2, Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobSettings(0.05, SECOND, 2, CLAIM))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
