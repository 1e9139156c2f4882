package io.twinplatform.api.device;

import io.twinplatform.api.twin.TwinId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Twin topics name the twin and the kind; anything else is not a twin topic. */
class TwinTopicTest {

    @Test
    void deviceAndModuleTopicsRoundTrip() {
        TwinTopic device = new TwinTopic(TwinId.device("thermostat-0042"), "reported/accepted");
        TwinTopic module = new TwinTopic(TwinId.module("thermostat-0042", "climate"), "desired");

        assertThat(device.text()).isEqualTo("twins/thermostat-0042/reported/accepted");
        assertThat(module.text()).isEqualTo("twins/thermostat-0042/modules/climate/desired");
        assertThat(TwinTopic.parse(device.text())).contains(device);
        assertThat(TwinTopic.parse(module.text())).contains(module);
        assertThat(TwinTopic.parse("twins/thermostat-0042/telemetry")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"twins/thermostat-0042", "devices/thermostat-0042/reported", "twins//reported",
            "twins/thermostat-0042/secrets", "twins/thermostat-0042/modules/climate/telemetry",
            "twins/thermostat-0042/modules//reported"})
    void otherTopicsAreNotTwinTopics(String topic) {
        assertThat(TwinTopic.parse(topic)).isEmpty();
    }

    @Test
    void anUnknownKindCannotBeMade() {
        assertThatThrownBy(() -> new TwinTopic(TwinId.device("d"), "everything"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
