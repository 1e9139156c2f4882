package io.twinplatform.api.device;

import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The default machine allows exactly the article's moves; a configured one is checked when it is made. */
class DeviceStateMachineTest {

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource({
            "idle, running, true", "idle, maintenance, true", "idle, error, false", "idle, paused, false",
            "running, paused, true", "running, idle, true", "running, error, true", "running, maintenance, false",
            "paused, running, true", "paused, idle, true", "paused, error, false",
            "error, maintenance, true", "error, idle, true", "error, running, false",
            "maintenance, idle, true", "maintenance, running, false",
            "running, running, true", "idle, exploded, false"})
    void theDefaultMachineAllowsTheArticlesMoves(String from, String to, boolean allowed) {
        assertThat(DeviceStateMachine.DEFAULT.allows(from, to)).isEqualTo(allowed);
    }

    @Test
    void aDeviceWithoutAStateMayOnlyStartInTheInitialOne() {
        assertThat(DeviceStateMachine.DEFAULT.allows(null, "idle")).isTrue();
        assertThat(DeviceStateMachine.DEFAULT.allows(null, "running")).isFalse();
    }

    @Test
    void aMachineLeadingToAnUnlistedStateIsRefused() {
        assertThatThrownBy(() -> DeviceStateMachine.of("off", Map.of("off", List.of("on"))))
                .isInstanceOfSatisfying(TwinException.class,
                        e -> assertThat(e.error().code()).isEqualTo("invalidStateMachine"));
        assertThatThrownBy(() -> DeviceStateMachine.of("start", Map.of("off", List.of())))
                .isInstanceOf(TwinException.class);
    }
}
