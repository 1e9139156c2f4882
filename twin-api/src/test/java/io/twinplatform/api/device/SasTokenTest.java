package io.twinplatform.api.device;

import io.twinplatform.api.twin.TwinId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Azure's SAS tokens as a device of Azure's SDKs sends them, checked against the device's symmetric key, which is the
 * platform's device key in Azure's form. The expected values were computed apart from this code, with Python's
 * {@code hmac} over the same secret.
 */
class SasTokenTest {

    private static final String SECRET = "fleet-secret-2026-rotation-1";
    private static final String DEVICE = "thermostat-0042";
    private static final DeviceKeys KEYS = new DeviceKeys(SECRET);
    /** {@code sr} URL-encoded, as Azure's SDKs for Java and C# send it. */
    private static final String ENCODED = "SharedAccessSignature sr=hub.example.net%2Fdevices%2Fthermostat-0042"
            + "&sig=HEcbICKVIVk4%2F5e5X%2BGPFTMqE%2BL6zL5Meq1PHVcgTIk%3D&se=1900000000";
    /** {@code sr} as plain text and the fields in another order, as some other SDKs send it. */
    private static final String PLAIN = "SharedAccessSignature se=1900000000"
            + "&sig=DfAvlkMFRTnC9cGtRppRN8gAlus7L96rERBw79N2xgg%3D&sr=hub.example.net/devices/thermostat-0042";

    @Test
    void theSymmetricKeyIsTheDeviceKeysDigestInStandardBase64() {
        assertThat(KEYS.symmetricKey(DEVICE, 0)).isEqualTo("/iEs5ozR3E0QAuYf78z/V3vCW5aSkgDAe+epRK61cCs=");
        assertThat(Base64.getDecoder().decode(KEYS.symmetricKey(DEVICE, 0)))
                .isEqualTo(Base64.getUrlDecoder().decode(KEYS.password(DEVICE)));
        assertThat(KEYS.symmetricKey(DEVICE, 1)).isNotEqualTo(KEYS.symmetricKey(DEVICE, 0));
    }

    @Test
    void aTokenIsCheckedOverItsResourceAsSentEncodedOrNot() {
        for (String password : new String[]{ENCODED, PLAIN}) {
            SasToken token = SasToken.parse(password).orElseThrow();
            assertThat(token.signedWith(KEYS.keyBytes(DEVICE, 0))).as(password).isTrue();
            assertThat(token.signedWith(KEYS.keyBytes(DEVICE, 1))).as("another generation's key").isFalse();
            assertThat(token.signedWith(KEYS.keyBytes("thermostat-0043", 0))).as("another device's key").isFalse();
            assertThat(token.names(TwinId.device(DEVICE))).isTrue();
            assertThat(token.names(TwinId.device("thermostat-0043"))).isFalse();
            assertThat(token.names(TwinId.module(DEVICE, "climate"))).as("a module needs its own token").isFalse();
            assertThat(token.expiry()).isEqualTo(1_900_000_000L);
            assertThat(token.expiredAt(Instant.ofEpochSecond(1_899_999_999L))).isFalse();
            assertThat(token.expiredAt(Instant.ofEpochSecond(1_900_000_000L))).isTrue();
        }
    }

    @Test
    void aTokenItMakesIsTheOneAzuresSdkMakes() {
        String made = SasToken.create("hub.example.net/devices/thermostat-0042", KEYS.symmetricKey(DEVICE, 0),
                Instant.ofEpochSecond(1_900_000_000L));
        assertThat(made).isEqualTo(ENCODED);
        String module = SasToken.create("hub.example.net/devices/thermostat-0042/modules/climate",
                KEYS.symmetricKey(DEVICE + "/climate", 0), Instant.ofEpochSecond(1_900_000_000L));
        SasToken token = SasToken.parse(module).orElseThrow();
        assertThat(token.names(TwinId.module(DEVICE, "climate"))).isTrue();
        assertThat(token.names(TwinId.device(DEVICE))).isFalse();
        assertThat(token.signedWith(KEYS.keyBytes(DEVICE + "/climate", 0))).isTrue();
    }

    @Test
    void aTamperedTokenDoesNotVerify() {
        SasToken longer = SasToken.parse(ENCODED.replace("se=1900000000", "se=1900000001")).orElseThrow();
        assertThat(longer.signedWith(KEYS.keyBytes(DEVICE, 0))).as("a later expiry").isFalse();
        SasToken other = SasToken.parse(ENCODED.replace("thermostat-0042", "thermostat-0043")).orElseThrow();
        assertThat(other.signedWith(KEYS.keyBytes(DEVICE, 0))).as("another resource").isFalse();
    }

    @Test
    void whatIsNotATokenIsNotParsed() {
        assertThat(SasToken.looksLikeOne(KEYS.password(DEVICE))).isFalse();
        assertThat(SasToken.parse(KEYS.password(DEVICE))).isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sig=abc%3D&se=1900000000")).as("no sr").isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sr=a%2Fdevices%2Fb&se=1900000000")).as("no sig").isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sr=a%2Fdevices%2Fb&sig=abc%3D")).as("no se").isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sr=a&sig=abc%3D&se=soon")).as("se not a number").isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sr=a&sig=*&se=1")).as("sig not base64").isEmpty();
        assertThat(SasToken.parse("SharedAccessSignature sr=a&sig&se=1")).as("a field without =").isEmpty();
        assertThat(SasToken.parse(null)).isEmpty();
    }
}
