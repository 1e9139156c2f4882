package io.twinplatform.api.device;

import io.twinplatform.api.twin.TwinId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

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
            "twins/thermostat-0042/secrets", "twins/thermostat-0042/modules/climate/secrets",
            "twins/thermostat-0042/modules//reported"})
    void otherTopicsAreNotTwinTopics(String topic) {
        assertThat(TwinTopic.parse(topic)).isEmpty();
    }

    @Test
    void anUnknownKindCannotBeMade() {
        assertThatThrownBy(() -> new TwinTopic(TwinId.device("d"), "everything"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"get/rejected", "connection", "connection/rejected"})
    void theDeviceChannelsNewKindsRoundTripForDevicesAndModules(String kind) {
        TwinTopic device = new TwinTopic(TwinId.device("thermostat-0042"), kind);
        TwinTopic module = new TwinTopic(TwinId.module("thermostat-0042", "climate"), kind);

        assertThat(device.text()).isEqualTo("twins/thermostat-0042/" + kind);
        assertThat(module.text()).isEqualTo("twins/thermostat-0042/modules/climate/" + kind);
        assertThat(TwinTopic.parse(device.text())).contains(device);
        assertThat(TwinTopic.parse(module.text())).contains(module);
    }

    @Test
    void telemetryRejectionsRoundTripForDevices() {
        TwinTopic rejected = new TwinTopic(TwinId.device("thermostat-0042"), "telemetry/rejected");

        assertThat(rejected.text()).isEqualTo("twins/thermostat-0042/telemetry/rejected");
        assertThat(TwinTopic.parse(rejected.text())).contains(rejected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"telemetry", "telemetry/rejected"})
    void modulesSendTelemetryUnderTheirOwnTopics(String kind) {
        TwinTopic module = new TwinTopic(TwinId.module("thermostat-0042", "climate"), kind);

        assertThat(module.text()).isEqualTo("twins/thermostat-0042/modules/climate/" + kind);
        assertThat(TwinTopic.parse(module.text())).contains(module);
    }

    @Test
    void aSiblingIsTheSameTwinsTopicOfAnotherKind() {
        TwinTopic device = new TwinTopic(TwinId.device("thermostat-0042"), "reported");
        TwinTopic module = new TwinTopic(TwinId.module("thermostat-0042", "climate"), "connection");

        assertThat(device.sibling("reported/accepted"))
                .isEqualTo(new TwinTopic(TwinId.device("thermostat-0042"), "reported/accepted"));
        assertThat(device.sibling(device.kind() + "/rejected").text())
                .isEqualTo("twins/thermostat-0042/reported/rejected");
        assertThat(module.sibling("connection/rejected").text())
                .isEqualTo("twins/thermostat-0042/modules/climate/connection/rejected");
        assertThat(device.sibling("telemetry").twinId()).isEqualTo(device.twinId());
        assertThatThrownBy(() -> device.sibling("reported/ignored")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thePrefixIsWhatEveryTopicOfTheTwinStartsWith() {
        TwinId device = TwinId.device("thermostat-0042");
        TwinId module = TwinId.module("thermostat-0042", "climate");

        assertThat(TwinTopic.prefix(device)).isEqualTo("twins/thermostat-0042/");
        assertThat(TwinTopic.prefix(module)).isEqualTo("twins/thermostat-0042/modules/climate/");
        assertThat(new TwinTopic(device, "get/accepted").text()).startsWith(TwinTopic.prefix(device));
        assertThat(new TwinTopic(module, "delta").text()).startsWith(TwinTopic.prefix(module));
    }

    @Test
    void devicesPublishOnlyReportedGetConnectionTelemetryAndMethodAnswers() {
        assertThat(TwinTopic.DEVICE_KINDS).isEqualTo(Set.of("reported", "get", "connection", "telemetry",
                "methods/response"));
        for (String kind : TwinTopic.DEVICE_KINDS) {
            assertThat(new TwinTopic(TwinId.device("d"), kind).kind()).isEqualTo(kind);
            assertThat(TwinTopic.DEVICE_KINDS).doesNotContain(kind + "/accepted", kind + "/rejected");
        }
    }
}
