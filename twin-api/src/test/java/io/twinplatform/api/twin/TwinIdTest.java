package io.twinplatform.api.twin;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TwinIdTest {

    @Test
    void parsesADeviceIdAndGivesItBackAsItsValue() {
        TwinId id = TwinId.parse("thermostat-42");

        assertThat(id.deviceId()).isEqualTo("thermostat-42");
        assertThat(id.moduleId()).isNull();
        assertThat(id.isModule()).isFalse();
        assertThat(id.value()).isEqualTo("thermostat-42");
        assertThat(id.toString()).isEqualTo("thermostat-42");
    }

    @Test
    void parsesAModuleIdAndGivesItBackAsItsValue() {
        TwinId id = TwinId.parse("gateway-1/modbus");

        assertThat(id.deviceId()).isEqualTo("gateway-1");
        assertThat(id.moduleId()).isEqualTo("modbus");
        assertThat(id.isModule()).isTrue();
        assertThat(id.value()).isEqualTo("gateway-1/modbus");
    }

    @Test
    void roundTripsThroughValueAndParse() {
        TwinId device = TwinId.device("dev.1");
        TwinId module = TwinId.module("dev.1", "mod_A");

        assertThat(TwinId.parse(device.value())).isEqualTo(device);
        assertThat(TwinId.parse(module.value())).isEqualTo(module);
    }

    @Test
    void namesTheDeviceOfAModule() {
        TwinId module = TwinId.module("gateway-1", "modbus");

        assertThat(module.device()).isEqualTo(TwinId.device("gateway-1"));
    }

    @Test
    void acceptsEveryCharacterOfAzuresIdCharacterSet() {
        String all = "AZaz09-.%_*?!(),:=@$'";

        TwinId id = TwinId.module(all, all);

        assertThat(TwinId.parse(id.value())).isEqualTo(id);
    }

    @Test
    void acceptsAnIdOf128Characters() {
        String longest = "d".repeat(128);

        assertThat(TwinId.parse(longest + "/" + longest).value()).isEqualTo(longest + "/" + longest);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "dev#1", "dev 1", "dev\t1", "dév", "dev\"1", "dev\\1"})
    void refusesAnInvalidDeviceId(String deviceId) {
        TwinError error = refusal(() -> TwinId.device(deviceId));

        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).isEqualTo("invalidId");
        assertThat(error.path()).isEqualTo("$.deviceId");
    }

    @Test
    void refusesADeviceIdOf129Characters() {
        TwinError error = refusal(() -> TwinId.device("d".repeat(129)));

        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).isEqualTo("invalidId");
    }

    @Test
    void refusesADeviceIdContainingASlash() {
        TwinError error = refusal(() -> TwinId.device("a/b"));

        assertThat(error.code()).isEqualTo("invalidId");
        assertThat(error.path()).isEqualTo("$.deviceId");
    }

    @Test
    void refusesANullDeviceId() {
        assertThat(refusal(() -> TwinId.device(null)).code()).isEqualTo("invalidId");
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "mod#1", "mod 1", "mod/1"})
    void refusesAnInvalidModuleId(String moduleId) {
        TwinError error = refusal(() -> TwinId.module("dev-1", moduleId));

        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).isEqualTo("invalidId");
        assertThat(error.path()).isEqualTo("$.moduleId");
    }

    @Test
    void refusesAModuleIdOf129Characters() {
        TwinError error = refusal(() -> TwinId.module("dev-1", "m".repeat(129)));

        assertThat(error.code()).isEqualTo("invalidId");
        assertThat(error.path()).isEqualTo("$.moduleId");
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "/mod", "dev/", "dev/mod/extra", "dev#1", "dev 1", "dev/mod#1"})
    void refusesToParseAnInvalidValue(String value) {
        TwinError error = refusal(() -> TwinId.parse(value));

        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(error.code()).isEqualTo("invalidId");
    }

    @Test
    void refusesToParseAValueWithA129CharacterDeviceId() {
        assertThat(refusal(() -> TwinId.parse("d".repeat(129))).code()).isEqualTo("invalidId");
    }

    private static TwinError refusal(ThrowingCallable creation) {
        TwinException thrown = catchThrowableOfType(TwinException.class, creation);
        assertThat(thrown).as("expected the id to be refused").isNotNull();
        return thrown.error();
    }
}
