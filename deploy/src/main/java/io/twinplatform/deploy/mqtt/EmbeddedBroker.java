package io.twinplatform.deploy.mqtt;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.configuration.service.InternalConfigurations;
import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.session.ClientService;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.DeviceTls;
import io.twinplatform.deploy.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The default run's MQTT broker: HiveMQ Community Edition, embedded, with in-memory persistence,
 * {@link DeviceAuthorisation} and (when the platform reads device topics here) {@link BrokerAdmission}. Devices
 * connect over TLS 1.3 or 1.2 ({@link BrokerTls}); a plain TCP listener opens only with
 * {@code twin.mqtt.plain-enabled}. Its files live in {@code <TWIN_DATA_DIR>/mqtt} (0700): {@code device-secret} (mode
 * 0600, made on first start unless {@code twin.mqtt.device-secret} is set), {@code tls/} (the CA devices are given,
 * {@code tls/ca.crt}, and the broker's key store), {@code tls-port}, the TLS listener's port, and {@code port}, the
 * plain listener's, only while it is on; the simulator reads them.
 *
 * <p>Persistence must stay in memory: the jar carries RocksDB's classes without their native library
 * ({@code rocksdbjni-classes}), and HiveMQ's file persistence would fail to start for want of it.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);
    /**
     * Messages the broker holds for one client (or one shared subscription) beyond those in flight. HiveMQ's default
     * (1,000) drops device reports during a burst while the platform works through its backlog; a fleet's burst is
     * far larger.
     */
    private static final int QUEUE_SIZE = 1_000_000;
    /**
     * QoS 1 publishes a client may have unacknowledged at the broker. HiveMQ's default (10) caps the platform's
     * answers (one per device message) at 10 per round trip, a few hundred a second; MQTT's maximum lifts the cap.
     */
    private static final int RECEIVE_MAXIMUM = 65_535;
    /** The user name the platform connects with; no device can use it. */
    public static final String PLATFORM_USER = DeviceAuthorisation.PLATFORM_USER;

    private final EmbeddedHiveMQ hivemq;
    private final int tlsPort;
    private final int plainPort;
    private final BrokerTls tls;
    private final String platformPassword;
    private final DeviceKeys deviceKeys;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Edge edge;

    private EmbeddedBroker(EmbeddedHiveMQ hivemq, int tlsPort, int plainPort, BrokerTls tls, String platformPassword,
                           DeviceKeys deviceKeys, Edge edge) {
        this.edge = edge;
        this.hivemq = hivemq;
        this.tlsPort = tlsPort;
        this.plainPort = plainPort;
        this.tls = tls;
        this.platformPassword = platformPassword;
        this.deviceKeys = deviceKeys;
    }

    /**
     * Starts a broker with its files under {@code dataDir/mqtt} and the platform's device authorisation, without
     * admission control (for a broker no platform reads from, such as the simulator's tests).
     */
    public static EmbeddedBroker start(MqttSettings settings, Path dataDir) {
        return start(settings, dataDir, null, DeviceGate.OPEN);
    }

    /**
     * As {@link #start(MqttSettings, Path)}, with {@code admission} (null: none) at the broker's edge and
     * {@code gate} deciding whether a device with a right key may connect.
     */
    static EmbeddedBroker start(MqttSettings settings, Path dataDir, BrokerAdmission admission, DeviceGate gate) {
        try {
            Path home = SecretFiles.privateDirectory(dataDir.resolve("mqtt").toAbsolutePath());
            Path conf = Files.createDirectories(home.resolve("conf"));
            Path data = Files.createDirectories(home.resolve("data"));
            Path extensions = Files.createDirectories(home.resolve("extensions"));
            String secret = settings.deviceSecret().isBlank() ? storedSecret(home.resolve("device-secret"))
                    : settings.deviceSecret();
            BrokerTls tls = BrokerTls.prepare(settings.tls(), home);
            int tlsPort = choosePort(settings.tlsPort(), "TLS", "TWIN_MQTT_TLSPORT", 0);
            int plainPort = settings.plainEnabled()
                    ? choosePort(settings.port(), "plain TCP", "TWIN_MQTT_PORT", tlsPort) : 0;
            String plainListener = plainPort == 0 ? "" : """
                        <tcp-listener><port>%d</port><bind-address>0.0.0.0</bind-address></tcp-listener>
                    """.formatted(plainPort);
            // A device may present a certificate of the made CA instead of its password: the listener asks for one.
            String deviceTrust = tls.deviceTruststore().map(store -> """
                            <truststore><path>%s</path><password>%s</password></truststore>
                    """.formatted(xml(store.toString()), xml(tls.keystorePassword()))).orElse("");
            String protocols = DeviceTls.PROTOCOLS.stream().map(p -> "<protocol>" + p + "</protocol>")
                    .collect(Collectors.joining());
            // 0600: it holds the key store's password.
            SecretFiles.write(conf.resolve("config.xml"), """
                    <?xml version="1.0"?>
                    <hivemq>
                      <listeners>
                    %s    <tls-tcp-listener>
                          <port>%d</port><bind-address>0.0.0.0</bind-address>
                          <tls>
                            <keystore>
                              <path>%s</path><password>%s</password><private-key-password>%s</private-key-password>
                            </keystore>
                    %s        <protocols>%s</protocols>
                            <client-authentication-mode>%s</client-authentication-mode>
                          </tls>
                        </tls-tcp-listener>
                      </listeners>
                      <persistence><mode>in-memory</mode></persistence>
                      <mqtt>
                        <receive-maximum><server-receive-maximum>%d</server-receive-maximum></receive-maximum>
                        <queued-messages><max-queue-size>%d</max-queue-size><strategy>discard</strategy></queued-messages>
                      </mqtt>
                      <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                    </hivemq>""".formatted(plainListener, tlsPort, xml(tls.keystore().toString()),
                    xml(tls.keystorePassword()), xml(tls.keystorePassword()), deviceTrust, protocols,
                    tls.deviceTruststore().isPresent() ? "OPTIONAL" : "NONE", RECEIVE_MAXIMUM, QUEUE_SIZE));
            // A port file left from a run with the plain listener on must not send the simulator there.
            Files.deleteIfExists(home.resolve("port"));
            String platformPassword = SecretFiles.newSecret();
            DeviceKeys keys = new DeviceKeys(secret);
            DeviceMethods methods = new DeviceMethods();
            Edge edge = new Edge(new DeviceAuthorisation(keys, platformPassword, gate), admission,
                    new AzureDevices(admission, methods), methods, new AwsDevices(admission), new AtomicReference<>());
            // Azure's device protocol publishes on $iothub/… and AWS's on $aws/…, which HiveMQ refuses unless told
            // otherwise; no client publishes there but devices, on the topics DeviceAuthorisation grants them, and the
            // edge takes those before they are routed.
            InternalConfigurations.MQTT_ALLOW_DOLLAR_TOPICS.set(true);
            EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(conf)
                    .withDataFolder(data)
                    .withExtensionsFolder(extensions)
                    .withoutLoggingBootstrap()
                    .withEmbeddedExtension(EmbeddedExtension.builder()
                            .withId("twin-device-authorisation").withName("Twin device authorisation")
                            .withVersion("1").withAuthor("twin platform").withPriority(1000).withStartPriority(1000)
                            .withExtensionMain(edge)
                            .build())
                    .build();
            hivemq.start().get(60, TimeUnit.SECONDS);
            try {
                // HiveMQ starts while one listener binds: make sure the TLS one serves this certificate.
                tls.handshake(tlsPort);
            } catch (IOException e) {
                hivemq.stop().get(10, TimeUnit.SECONDS);
                hivemq.close();
                throw new IllegalStateException("the embedded MQTT broker's TLS listener on port " + tlsPort
                        + " does not answer with its certificate", e);
            }
            Files.writeString(home.resolve("tls-port"), Integer.toString(tlsPort));
            log.info("embedded MQTT broker listening for devices over TLS on port {} (devices check it with {}; "
                            + "device secret in {})", tlsPort,
                    tls.caFile().map(Path::toString).orElse("the CA that issued twin.mqtt.tls.keystore"),
                    settings.deviceSecret().isBlank() ? home.resolve("device-secret") : "twin.mqtt.device-secret");
            if (plainPort != 0) {
                Files.writeString(home.resolve("port"), Integer.toString(plainPort));
                log.info("embedded MQTT broker listening on plain TCP port {} too (twin.mqtt.plain-enabled): device "
                        + "passwords cross the network in clear there", plainPort);
            }
            return new EmbeddedBroker(hivemq, tlsPort, plainPort, tls, platformPassword, keys, edge);
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the embedded MQTT broker's files", e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the embedded MQTT broker did not start", e);
        }
    }

    /** The port of the TLS listener, which devices connect to. */
    public int tlsPort() {
        return tlsPort;
    }

    /** The port of the plain TCP listener, if {@code twin.mqtt.plain-enabled} opened one. */
    public OptionalInt plainPort() {
        return plainPort == 0 ? OptionalInt.empty() : OptionalInt.of(plainPort);
    }

    /** The broker's certificate, the CA file devices are given, and the platform's own client configuration. */
    public BrokerTls tls() {
        return tls;
    }

    /** The platform's own password at this broker (made at start); for in-process clients such as benchmarks. */
    public String platformPassword() {
        return platformPassword;
    }

    /** Direct methods to this broker's devices. */
    DeviceMethods methods() {
        return edge.methods();
    }

    /** Azure IoT Hub's device protocol at this broker: desired patches go to its devices through it. */
    AzureDevices azure() {
        return edge.azure();
    }

    /** AWS IoT's Device Shadow protocol at this broker: shadow changes go to its devices through it. */
    AwsDevices aws() {
        return edge.aws();
    }

    /** The keys devices connect with; tests and the simulator derive passwords from the same secret. */
    public DeviceKeys deviceKeys() {
        return deviceKeys;
    }

    /**
     * Disconnects the device connected as {@code twinId}, if any, with reason Not authorized: its twin was disabled
     * or deleted. Its last will is not sent.
     */
    void disconnect(String twinId, String why) {
        if (closed.get()) {
            return;
        }
        ClientService clients = edge.clients().get();
        if (clients == null) {
            return;
        }
        clients.disconnectClient(twinId, false, DisconnectReasonCode.NOT_AUTHORIZED, why)
                .whenComplete((found, failure) -> {
                    if (failure != null) {
                        log.warn("could not disconnect device {}", twinId, failure);
                    } else if (Boolean.TRUE.equals(found)) {
                        log.info("disconnected device {}: {}", twinId, why);
                    }
                });
    }

    /** Stops the broker (waiting up to 10 s); later calls do nothing. */
    @Override
    public void close() throws Exception {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            hivemq.stop().get(10, TimeUnit.SECONDS);
        } finally {
            hivemq.close();
        }
    }

    /**
     * The one embedded extension HiveMQ takes: who may connect and use which topic, then (if any) admission
     * control.
     */
    private record Edge(DeviceAuthorisation authorisation, BrokerAdmission admission, AzureDevices azure,
                        DeviceMethods methods, AwsDevices aws, AtomicReference<ClientService> clients)
            implements ExtensionMain {

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            // HiveMQ's Services are static: taken now, they are this broker's, not the one started last in the JVM.
            clients.set(Services.clientService());
            authorisation.extensionStart(input, output);
            azure.start(Services.publishService());
            methods.start(Services.publishService(), Services.clientService());
            aws.start(Services.publishService());
            ClientLifecycleEventListener lifecycle = new BothLifecycles(azure.lifecycle(), aws.lifecycle());
            Services.eventRegistry().setClientLifecycleEventListener(provider -> lifecycle);
            Services.initializerRegistry().setClientInitializer(this::initialize);
            if (admission != null) {
                admission.start();
            }
        }

        /**
         * A device connection gets its protocol's edge: Azure's, or AWS's shadow topics and (with a write side here)
         * the platform's own topics'. The platform's own connections publish as any client does.
         */
        private void initialize(InitializerInput input, ClientContext context) {
            ConnectionInformation connection = input.getConnectionInformation();
            if (DeviceAuthorisation.isPlatform(connection)) {
                return;
            }
            if (DeviceAuthorisation.protocol(connection) == DeviceAuthorisation.Protocol.AZURE) {
                context.addPublishInboundInterceptor(azure.publishes());
                return;
            }
            context.addPublishInboundInterceptor(methods.nativeAnswers());
            context.addPublishInboundInterceptor(aws.publishes());
            context.addSubscribeInboundInterceptor(aws.subscriptions());
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            authorisation.extensionStop(input, output);
        }
    }

    /** HiveMQ takes one lifecycle listener per extension: Azure's connection states and AWS's shadow watchers. */
    private record BothLifecycles(ClientLifecycleEventListener first, ClientLifecycleEventListener second)
            implements ClientLifecycleEventListener {

        @Override
        public void onMqttConnectionStart(ConnectionStartInput input) {
            first.onMqttConnectionStart(input);
            second.onMqttConnectionStart(input);
        }

        @Override
        public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {
            first.onAuthenticationSuccessful(input);
            second.onAuthenticationSuccessful(input);
        }

        @Override
        public void onDisconnect(DisconnectEventInput input) {
            first.onDisconnect(input);
            second.onDisconnect(input);
        }
    }

    /**
     * {@code wanted} when it is free, else (with a log line naming {@code variable}) any free port; 0 asks for any
     * free port. Never {@code other} (the other listener's port).
     */
    private static int choosePort(int wanted, String listener, String variable, int other) throws IOException {
        if (wanted > 0) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(wanted));
                if (wanted != other) {
                    return wanted;
                }
            } catch (IOException taken) {
                // below
            }
            int free = freePort(other);
            log.warn("MQTT {} port {} is taken; the embedded broker listens on port {} instead (set {})", listener,
                    wanted, free, variable);
            return free;
        }
        return freePort(other);
    }

    private static int freePort(int other) throws IOException {
        int port;
        do {
            port = freePort();
        } while (port == other);
        return port;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** {@code text} as XML character data. */
    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The fleet secret kept in {@code file} (0600; a wider file from an older version is tightened), made once. */
    private static String storedSecret(Path file) throws IOException {
        return SecretFiles.readOrCreate(file);
    }
}
