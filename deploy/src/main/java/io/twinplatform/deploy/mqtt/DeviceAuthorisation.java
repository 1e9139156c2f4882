package io.twinplatform.deploy.mqtt;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.SasToken;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.function.IntPredicate;

/**
 * The embedded broker's authentication and authorisation, as an embedded HiveMQ extension. The platform connects as
 * {@value #PLATFORM_USER} with a password made at each start and may use every topic. A device (or module) connects
 * with its twin id as client id and user name and its derived key ({@link DeviceKeys}) as password; it may publish
 * only its own {@code reported}, {@code get}, {@code telemetry} and {@code connection} topics and subscribe only
 * under its own {@code twins/{twinId}/}. Anything else is refused by the broker (MQTT 5: reason code Not
 * authorized), so a device can neither write nor read another device's twin. The {@link DeviceGate} says which
 * generation of its key a device must present (a revoked key: none), and refuses a device whose twin is disabled
 * (Not authorized) even with the right key; {@link DeviceCredentials#judge} weighs the password against it, as it
 * does for the device's own HTTP access.
 * <p>
 * <b>AWS IoT's Device Shadow protocol.</b> A device (not a module) connected so may also use its thing's shadow
 * topics, {@code $aws/things/{deviceId}/shadow/…}: publish its {@code get}, {@code update} and {@code delete}
 * requests (of its classic and its named shadows) and subscribe to anything under them ({@link AwsDevices} answers).
 * AWS's device SDKs append {@code ?SDK=…&Version=…} to the user name; what follows the client id and a {@code ?} is
 * not read.
 * <p>
 * <b>Client certificates.</b> A device (or module) that presents a certificate the made CA issued
 * ({@link BrokerTls#issueDeviceCertificate}) and no password is the twin its certificate names, under the same gate and
 * with the same topics as with its password.
 * <p>
 * <b>Azure IoT Hub's device protocol.</b> A device of Azure's SDKs connects with client id {@code {deviceId}} or
 * {@code {deviceId}/{moduleId}}, user name {@code {host}/{deviceId}[/{moduleId}]/?api-version=…} (the rest of the
 * query is not read) and a SAS token for password ({@link SasToken}), signed with its symmetric key, which is derived
 * as every device key is ({@link DeviceKeys#symmetricKey}). The token must not have expired and must name the
 * connecting device or module. Such a connection is marked {@link Protocol#AZURE}; it may publish only Azure's twin
 * requests, method answers and its own telemetry, and subscribe only to Azure's answers, desired patches, method
 * calls and its own cloud-to-device topics ({@link AzureDevices} answers it, on its connection alone).
 */
final class DeviceAuthorisation implements ExtensionMain {

    static final String PLATFORM_USER = "twin-platform";
    /** The connection attribute that marks a connection authenticated as the platform ({@link #isPlatform}). */
    private static final String USER_ATTRIBUTE = "twin-user";
    /** The connection attribute that names a device connection's protocol ({@link #protocol}). */
    private static final String PROTOCOL_ATTRIBUTE = "twin-protocol";

    /** The device protocol a connection speaks. */
    enum Protocol {
        /** The platform's own topics, {@code twins/{id}/…}. */
        NATIVE,
        /** Azure IoT Hub's MQTT device protocol, {@code $iothub/…} and {@code devices/{id}/…}. */
        AZURE
    }

    /** How long a connect waits for the gate's answer before it is refused (Server unavailable). */
    private static final Duration GATE_TIMEOUT = Duration.ofSeconds(10);

    private final DeviceKeys keys;
    private final byte[] platformPassword;
    private final DeviceGate gate;
    private final Clock clock = Clock.systemUTC();

    DeviceAuthorisation(DeviceKeys keys, String platformPassword, DeviceGate gate) {
        this.keys = keys;
        this.platformPassword = platformPassword.getBytes(StandardCharsets.UTF_8);
        this.gate = gate;
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        SimpleAuthenticator authenticator = this::authenticate;
        Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    }

    private void authenticate(SimpleAuthInput input, SimpleAuthOutput output) {
        ConnectPacket connect = input.getConnectPacket();
        String user = connect.getUserName().orElse(null);
        byte[] password = connect.getPassword().map(DeviceAuthorisation::bytes).orElse(null);
        X509Certificate certificate = input.getConnectionInformation().getClientTlsInformation()
                .flatMap(ClientTlsInformation::getClientCertificate).orElse(null);
        if (password == null && certificate != null) {
            authenticateCertificate(connect, certificate, input, output);
            return;
        }
        if (user == null || password == null) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD,
                    "a user name (the twin id) and password are required");
            return;
        }
        if (user.equals(PLATFORM_USER)) {
            if (MessageDigest.isEqual(platformPassword, password)) {
                input.getConnectionInformation().getConnectionAttributeStore()
                        .putAsString(USER_ATTRIBUTE, PLATFORM_USER);
                output.authenticateSuccessfully();
            } else {
                output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "wrong platform password");
            }
            return;
        }
        String passwordText = new String(password, StandardCharsets.UTF_8);
        if (SasToken.looksLikeOne(passwordText)) {
            authenticateAzure(connect, user, passwordText, input, output);
            return;
        }
        if (user.startsWith(connect.getClientId() + "?")) {
            // AWS's device SDKs add ?SDK=…&Version=… to the user name (their usage metrics): not part of the id.
            user = connect.getClientId();
        }
        TwinId twinId;
        try {
            twinId = TwinId.parse(user);
        } catch (RuntimeException e) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "the user name is not a twin id");
            return;
        }
        if (!connect.getClientId().equals(twinId.value())) {
            output.failAuthentication(ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                    "a device's client id is its twin id");
            return;
        }
        decide(twinId, generation -> keys.matches(twinId.value(), generation, password), Protocol.NATIVE, input,
                output);
    }

    /**
     * An Azure device: its user name {@code {host}/{twinId}/?…} must name its client id, and its SAS token must be
     * unexpired, name it, and be signed with the key of the generation the gate names.
     */
    private void authenticateAzure(ConnectPacket connect, String user, String password, SimpleAuthInput input,
                                   SimpleAuthOutput output) {
        // Azure's SDKs send {host}/{id}/?api-version=…; older ones {host}/{id}/api-version=….
        int query = user.indexOf("/?") >= 0 ? user.indexOf("/?") : user.indexOf("/api-version=");
        int host = user.indexOf('/');
        TwinId twinId;
        try {
            twinId = TwinId.parse(user.substring(host + 1, query));
        } catch (RuntimeException e) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD,
                    "an Azure device's user name is {host}/{deviceId}[/{moduleId}]/?api-version=…");
            return;
        }
        if (!connect.getClientId().equals(twinId.value())) {
            output.failAuthentication(ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                    "a device's client id is its device id, or {deviceId}/{moduleId} for a module, as in its user name");
            return;
        }
        SasToken token = SasToken.parse(password).orElse(null);
        if (token == null) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD,
                    "the password is not a SAS token: SharedAccessSignature sr=…&sig=…&se=…");
            return;
        }
        if (token.expiredAt(clock.instant())) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "the SAS token has expired");
            return;
        }
        if (!token.names(twinId)) {
            output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED,
                    "the SAS token's resource (sr) names another device or module");
            return;
        }
        decide(twinId, generation -> token.signedWith(keys.keyBytes(twinId.value(), generation)), Protocol.AZURE,
                input, output);
    }

    /**
     * A device with a certificate of the made CA, which the TLS listener checked ({@link BrokerTls#deviceCertificate}):
     * its client id must be the twin id the certificate names, and the certificate must have been issued under the
     * generation of the device's key the gate names (a rotated or revoked key retires it). The user name is not read.
     */
    private void authenticateCertificate(ConnectPacket connect, X509Certificate certificate, SimpleAuthInput input,
                                         SimpleAuthOutput output) {
        BrokerTls.DeviceCertificate named = BrokerTls.deviceCertificate(certificate).orElse(null);
        if (named == null) {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD,
                    "the client certificate names no device: CN=<twin id>, OU=key generation <g>");
            return;
        }
        if (!connect.getClientId().equals(named.twinId().value())) {
            output.failAuthentication(ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                    "a device's client id is the twin id its certificate names");
            return;
        }
        decide(named.twinId(), generation -> generation == named.generation(), Protocol.NATIVE, input, output);
    }

    /** Asks the gate about the device, then lets it in with its protocol's topics, or refuses it. */
    private void decide(TwinId twinId, IntPredicate rightKey, Protocol protocol, SimpleAuthInput input,
                        SimpleAuthOutput output) {
        Async<SimpleAuthOutput> async = output.async(GATE_TIMEOUT, TimeoutFallback.FAILURE);
        gate.decide(twinId).whenComplete((decision, failure) -> {
            if (failure != null) {
                output.failAuthentication(ConnackReasonCode.SERVER_UNAVAILABLE,
                        "the platform cannot tell now whether the device may connect; try again later");
                async.resume();
                return;
            }
            DeviceCredentials.Verdict verdict = DeviceCredentials.judge(twinId, rightKey, decision);
            DeviceGate.Provisioning provisioning = decision.provisioning();
            switch (verdict.outcome()) {
                case UNKNOWN_TWIN -> {
                    if (provisioning == null) {
                        // A twin not created yet lets its device in (its messages are answered twinNotFound).
                        allow(twinId, protocol, input, output);
                    } else if (!provisioning.enabled()) {
                        output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "enrollment "
                                + provisioning.enrollmentId() + " is disabled: it takes no new devices");
                    } else {
                        // Zero-touch provisioning: the twin comes first, so the device's first request finds it.
                        provisioning.provision().whenComplete((done, failed) -> {
                            if (failed != null) {
                                output.failAuthentication(ConnackReasonCode.SERVER_UNAVAILABLE,
                                        "the device's twin could not be created now; try again later");
                            } else {
                                allow(twinId, protocol, input, output);
                            }
                            async.resume();
                        });
                        return;
                    }
                }
                case ACCEPTED -> allow(twinId, protocol, input, output);
                case DISABLED -> output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, verdict.reason());
                default -> output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, verdict.reason());
            }
            async.resume();
        });
    }

    /** Lets the device in with its protocol's topics. */
    private static void allow(TwinId twinId, Protocol protocol, SimpleAuthInput input, SimpleAuthOutput output) {
        input.getConnectionInformation().getConnectionAttributeStore().putAsString(PROTOCOL_ATTRIBUTE, protocol.name());
        if (protocol == Protocol.AZURE) {
            allowAzure(twinId, output);
        } else {
            allow(twinId, output);
        }
    }

    /** Lets the device in, with its own topics. */
    private static void allow(TwinId twinId, SimpleAuthOutput output) {
        ModifiableDefaultPermissions permissions = output.getDefaultPermissions();
        String prefix = TwinTopic.prefix(twinId);
        for (String kind : TwinTopic.DEVICE_KINDS) {
            permissions.add(permission(prefix + kind, TopicPermission.MqttActivity.PUBLISH));
        }
        permissions.add(permission(prefix + "#", TopicPermission.MqttActivity.SUBSCRIBE));
        if (!twinId.isModule()) {
            // AWS IoT's Device Shadow topics of the thing (AwsDevices takes the requests), its named shadows too.
            String shadows = AwsDevices.shadowPrefix(twinId);
            for (String operation : new String[]{"get", "update", "delete"}) {
                permissions.add(permission(shadows + operation, TopicPermission.MqttActivity.PUBLISH));
                permissions.add(permission(shadows + "name/+/" + operation, TopicPermission.MqttActivity.PUBLISH));
            }
            permissions.add(permission(shadows + "#", TopicPermission.MqttActivity.SUBSCRIBE));
        }
        permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
        output.authenticateSuccessfully();
    }

    /** Azure's topics for the device or module. */
    private static void allowAzure(TwinId twinId, SimpleAuthOutput output) {
        ModifiableDefaultPermissions permissions = output.getDefaultPermissions();
        String own = AzureDevices.devicePrefix(twinId);
        for (String filter : new String[]{"$iothub/twin/GET/#", "$iothub/twin/PATCH/properties/reported/#",
                "$iothub/methods/res/#", own + "messages/events/#", own + "messages/events"}) {
            permissions.add(permission(filter, TopicPermission.MqttActivity.PUBLISH));
        }
        // Where AzureDevices routes the device's telemetry on: HiveMQ authorises the publish as rewritten.
        permissions.add(permission(AzureDevices.telemetryTopic(twinId), TopicPermission.MqttActivity.PUBLISH));
        for (String filter : new String[]{"$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#",
                "$iothub/methods/POST/#", own + "messages/devicebound/#", own + "inputs/#"}) {
            permissions.add(permission(filter, TopicPermission.MqttActivity.SUBSCRIBE));
        }
        permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
        output.authenticateSuccessfully();
    }

    /** The protocol a device connection speaks (known from its authentication on). */
    static Protocol protocol(ConnectionInformation connection) {
        return connection.getConnectionAttributeStore().getAsString(PROTOCOL_ATTRIBUTE).map(Protocol::valueOf)
                .orElse(Protocol.NATIVE);
    }

    /** Whether this connection authenticated as the platform (known from its authentication on). */
    static boolean isPlatform(ConnectionInformation connection) {
        return connection.getConnectionAttributeStore().getAsString(USER_ATTRIBUTE).filter(PLATFORM_USER::equals)
                .isPresent();
    }

    private static TopicPermission permission(String filter, TopicPermission.MqttActivity activity) {
        return Builders.topicPermission().topicFilter(filter).activity(activity)
                .type(TopicPermission.PermissionType.ALLOW).build();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }
}
