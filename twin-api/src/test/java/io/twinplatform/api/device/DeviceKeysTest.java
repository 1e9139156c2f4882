package io.twinplatform.api.device;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A device's password is derived from the fleet secret and its twin id alone, so the broker can check it without a
 * stored key. The derivation is a contract with every provisioned device: if it changed, no device could connect.
 */
class DeviceKeysTest {

    private static final String SECRET = "fleet-secret-2026-rotation-1";
    private static final String OTHER_SECRET = "fleet-secret-2026-rotation-2";
    private static final String DEVICE = "thermostat-0042";
    private static final String MODULE = "thermostat-0042/climate";

    @Test
    void derivesTheUnpaddedBase64UrlOfHmacSha256OfTheTwinId() {
        // echo -n thermostat-0042 | openssl dgst -sha256 -hmac fleet-secret-2026-rotation-1 -binary | base64url
        assertThat(new DeviceKeys(SECRET).password(DEVICE)).isEqualTo("_iEs5ozR3E0QAuYf78z_V3vCW5aSkgDAe-epRK61cCs");
        assertThat(new DeviceKeys(SECRET).password(MODULE)).isEqualTo("iWNpmcTbpSqRPTG1MldVMSH_1rultO2eCcauVqY1lf4");
    }

    @Test
    void theSameSecretAndTwinIdGiveTheSamePassword() {
        assertThat(new DeviceKeys(SECRET).password(DEVICE)).isEqualTo(new DeviceKeys(SECRET).password(DEVICE));
    }

    @Test
    void anotherTwinIdGivesAnotherPassword() {
        DeviceKeys keys = new DeviceKeys(SECRET);

        assertThat(keys.password("thermostat-0043")).isNotEqualTo(keys.password(DEVICE));
        assertThat(keys.password(MODULE)).isNotEqualTo(keys.password(DEVICE));
    }

    @Test
    void anotherSecretGivesAnotherPassword() {
        assertThat(new DeviceKeys(OTHER_SECRET).password(DEVICE)).isNotEqualTo(new DeviceKeys(SECRET).password(DEVICE));
    }

    @Test
    void matchesTheDerivedPasswordOnly() {
        DeviceKeys keys = new DeviceKeys(SECRET);
        String password = keys.password(DEVICE);

        assertThat(keys.matches(DEVICE, bytes(password))).isTrue();
        assertThat(keys.matches(MODULE, bytes(password))).as("another twin's id").isFalse();
        assertThat(keys.matches(DEVICE, bytes(keys.password(MODULE)))).as("another twin's password").isFalse();
        assertThat(keys.matches(DEVICE, bytes(new DeviceKeys(OTHER_SECRET).password(DEVICE))))
                .as("derived from another secret").isFalse();
        assertThat(keys.matches(DEVICE, bytes(password.substring(1)))).as("truncated").isFalse();
        assertThat(keys.matches(DEVICE, bytes(password + "="))).as("padded").isFalse();
        assertThat(keys.matches(DEVICE, new byte[0])).as("empty").isFalse();
        assertThat(keys.matches(DEVICE, null)).as("no password").isFalse();
    }

    @Test
    void eachGenerationOfADevicesKeyIsItsOwnAndGenerationZeroIsTheFleetDerivedOne() {
        DeviceKeys keys = new DeviceKeys(SECRET);
        String first = keys.password(DEVICE, 1);
        String second = keys.password(DEVICE, 2);
        assertThat(keys.password(DEVICE, 0)).isEqualTo(keys.password(DEVICE));
        assertThat(first).isNotEqualTo(keys.password(DEVICE)).isNotEqualTo(second);
        assertThat(keys.matches(DEVICE, 1, bytes(first))).isTrue();
        assertThat(keys.matches(DEVICE, 2, bytes(first))).as("an older generation").isFalse();
        assertThat(keys.matches(DEVICE, 1, bytes(keys.password(DEVICE)))).as("the fleet-derived key").isFalse();
        assertThatThrownBy(() -> keys.password(DEVICE, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesASecretShorterThanSixteenCharacters() {
        assertThatThrownBy(() -> new DeviceKeys("0123456789abcde")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceKeys("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceKeys(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new DeviceKeys("0123456789abcdef").password(DEVICE)).hasSize(43);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
