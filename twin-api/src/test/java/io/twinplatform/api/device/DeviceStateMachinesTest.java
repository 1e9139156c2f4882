package io.twinplatform.api.device;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A device type gets its own machine, else the configured {@code default} one, else the article's. */
class DeviceStateMachinesTest {

    private static final DeviceStateMachine PUMP = DeviceStateMachine.of("off",
            Map.of("off", List.of("on"), "on", List.of("off")));
    private static final DeviceStateMachine SITE_DEFAULT = DeviceStateMachine.of("stopped",
            Map.of("stopped", List.of("started"), "started", List.of("stopped")));

    @Test
    void aTypeWithItsOwnMachineGetsIt() {
        DeviceStateMachines machines = new DeviceStateMachines(Map.of("pump", PUMP));

        assertThat(machines.forType("pump")).isSameAs(PUMP);
    }

    @Test
    void anotherTypeAndATwinWithoutATypeGetTheConfiguredDefault() {
        DeviceStateMachines machines = new DeviceStateMachines(Map.of("pump", PUMP,
                DeviceStateMachines.DEFAULT_TYPE, SITE_DEFAULT));

        assertThat(machines.forType("fan")).isSameAs(SITE_DEFAULT);
        assertThat(machines.forType(null)).isSameAs(SITE_DEFAULT);
        assertThat(machines.forType("default")).isSameAs(SITE_DEFAULT);
        assertThat(machines.forType("pump")).isSameAs(PUMP);
    }

    @Test
    void withoutAConfiguredDefaultEveryOtherTypeGetsTheArticlesMachine() {
        DeviceStateMachines machines = new DeviceStateMachines(Map.of("pump", PUMP));

        assertThat(machines.forType("fan")).isSameAs(DeviceStateMachine.DEFAULT);
        assertThat(machines.forType(null)).isSameAs(DeviceStateMachine.DEFAULT);
        assertThat(machines.forType("")).isSameAs(DeviceStateMachine.DEFAULT);
    }

    @Test
    void theDefaultsHaveOnlyTheArticlesMachine() {
        DeviceStateMachines machines = DeviceStateMachines.defaults();

        assertThat(machines.forType("pump")).isSameAs(DeviceStateMachine.DEFAULT);
        assertThat(machines.forType(null)).isSameAs(DeviceStateMachine.DEFAULT);
        assertThat(machines.forType(null).initial()).isEqualTo("idle");
    }

    @Test
    void keepsTheMachinesItWasGivenWhenTheMapChangesLater() {
        Map<String, DeviceStateMachine> configured = new HashMap<>(Map.of("pump", PUMP));
        DeviceStateMachines machines = new DeviceStateMachines(configured);

        configured.put("fan", SITE_DEFAULT);
        configured.remove("pump");

        assertThat(machines.forType("pump")).isSameAs(PUMP);
        assertThat(machines.forType("fan")).isSameAs(DeviceStateMachine.DEFAULT);
    }
}
