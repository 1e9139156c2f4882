package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.twinplatform.api.device.DeviceTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded broker's TLS, as a device meets it: a real broker, devices that are real MQTT 5 clients over TLS
 * checking the broker by the {@code ca.crt} the platform made (or by a configured key store's certificate), and the
 * plain TCP listener closed unless switched on.
 */
class BrokerTlsTest {

    private static final String SECRET = "tls-test-secret-0123456789";
    private static final String DEVICE = "tls-device-1";
    private static final String KEYSTORE_PASSWORD = "operator-keystore-password";

    @TempDir
    Path home;

    @Test
    void devicesConnectOverTlsCheckingTheBrokerByCaCrtAndThePlainPortIsClosed() throws Exception {
        int plainPort = freePort();
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(plainPort, false, MqttSettings.Tls.generated()),
                home)) {
            Path mqtt = home.resolve("mqtt");
            assertThat(broker.plainPort()).isEmpty();
            assertThat(Files.exists(mqtt.resolve("port"))).as("no plain port file").isFalse();
            assertThat(Files.readString(mqtt.resolve("tls-port")).trim()).isEqualTo(Integer.toString(broker.tlsPort()));
            assertThat(broker.tls().caFile()).contains(mqtt.resolve("tls/ca.crt"));
            try (Socket socket = new Socket()) {
                assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", plainPort), 2000))
                        .as("plain TCP port %d", plainPort).isInstanceOf(ConnectException.class);
            }

            // The platform's own client, as MqttConnector connects, sees what the device sends.
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Mqtt5AsyncClient platform = platformClient(broker);
            platform.connect().get(10, TimeUnit.SECONDS);
            platform.subscribeWith().topicFilter("twins/+/telemetry").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(publish -> received.add(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8)))
                    .send().get(10, TimeUnit.SECONDS);

            Mqtt5AsyncClient device = device(broker, "127.0.0.1", broker.tlsPort(),
                    BrokerTls.clientConfig(mqtt.resolve("tls/ca.crt")));
            Mqtt5PublishResult result = device.publishWith().topic("twins/" + DEVICE + "/telemetry")
                    .qos(MqttQos.AT_LEAST_ONCE).payload("{\"t\":21.5}".getBytes(StandardCharsets.UTF_8)).send()
                    .get(10, TimeUnit.SECONDS);
            assertThat(result.getError()).isEmpty();
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"t\":21.5}");
            device.disconnect().get(10, TimeUnit.SECONDS);
            platform.disconnect().get(10, TimeUnit.SECONDS);

            assertThat(mode(mqtt.resolve("tls"))).isEqualTo("rwx------");
            assertThat(mode(mqtt.resolve("tls/ca.crt"))).as("given to devices").isEqualTo("rw-r--r--");
            for (String secret : List.of("tls/ca.key", "tls/server.p12", "tls/server-password", "conf/config.xml")) {
                assertThat(mode(mqtt.resolve(secret))).as(secret).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void theCertificateNamesTheLoopbackTheHostAndTheConfiguredNamesAndTheBrokerSpeaksTls13And12()
            throws Exception {
        MqttSettings.Tls tls = new MqttSettings.Tls("", "", List.of("mqtt.example.com", "192.0.2.10"));
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, tls), home)) {
            Path caFile = home.resolve("mqtt/tls/ca.crt");
            X509Certificate ca = certificate(caFile);
            assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
            assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());

            SSLSocket tls13 = handshake(caFile, broker.tlsPort(), "TLSv1.3", "TLSv1.2");
            X509Certificate server = (X509Certificate) tls13.getSession().getPeerCertificates()[0];
            assertThat(tls13.getSession().getProtocol()).isEqualTo("TLSv1.3");
            tls13.close();
            assertThat(server.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
            List<String> names = new ArrayList<>();
            for (List<?> name : server.getSubjectAlternativeNames()) {
                names.add(name.get(1).toString());
            }
            assertThat(names).contains("localhost", "127.0.0.1", "mqtt.example.com", "192.0.2.10");
            String host = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            if (host.matches("[a-z0-9.-]+")) {
                assertThat(names).contains(host);
            }

            try (SSLSocket tls12 = handshake(caFile, broker.tlsPort(), "TLSv1.2")) {
                assertThat(tls12.getSession().getProtocol()).isEqualTo("TLSv1.2");
            }
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCaOrDoesNotSpeakTlsGetsNowhere() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, MqttSettings.Tls.generated()), home)) {
            // The JVM's trusted CAs do not include this installation's.
            assertThatThrownBy(() -> device(broker, "127.0.0.1", broker.tlsPort(),
                    MqttClientSslConfig.builder().build()))
                    .isInstanceOf(ExecutionException.class)
                    .satisfies(e -> assertThat(e.getCause()).hasCauseInstanceOf(SSLHandshakeException.class));
            // MQTT in clear on the TLS port.
            assertThatThrownBy(() -> device(broker, "127.0.0.1", broker.tlsPort(), null))
                    .isInstanceOf(ExecutionException.class);
        }
    }

    @Test
    void withPlainSwitchedOnADeviceConnectsOverPlainTcpAsWell() throws Exception {
        int plainPort = freePort();
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(plainPort, true, MqttSettings.Tls.generated()),
                home)) {
            assertThat(broker.plainPort()).hasValue(plainPort);
            assertThat(Files.readString(home.resolve("mqtt/port")).trim()).isEqualTo(Integer.toString(plainPort));

            Mqtt5AsyncClient plain = device(broker, "127.0.0.1", plainPort, null);
            assertThat(plain.publishWith().topic("twins/" + DEVICE + "/telemetry").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("{\"t\":1}".getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS)
                    .getError()).isEmpty();
            plain.disconnect().get(10, TimeUnit.SECONDS);
            device(broker, "127.0.0.1", broker.tlsPort(), BrokerTls.clientConfig(home.resolve("mqtt/tls/ca.crt")))
                    .disconnect().get(10, TimeUnit.SECONDS);
        }
        // Switched off again: the plain port file goes with it.
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(plainPort, false, MqttSettings.Tls.generated()),
                home)) {
            assertThat(broker.plainPort()).isEmpty();
            assertThat(Files.exists(home.resolve("mqtt/port"))).isFalse();
        }
    }

    @Test
    void theCaAndTheServerCertificateAreMadeOnceAndKeptAcrossRestarts() throws Exception {
        Path caFile = home.resolve("mqtt/tls/ca.crt");
        Path given = home.resolve("device-ca.crt");
        X509Certificate first;
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, MqttSettings.Tls.generated()), home)) {
            first = broker.tls().certificate();
            // What a device was given at its first start.
            Files.copy(caFile, given);
        }
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, MqttSettings.Tls.generated()), home)) {
            assertThat(Files.readString(caFile)).isEqualTo(Files.readString(given));
            assertThat(broker.tls().certificate()).as("the same server certificate").isEqualTo(first);
            device(broker, "127.0.0.1", broker.tlsPort(), BrokerTls.clientConfig(given))
                    .disconnect().get(10, TimeUnit.SECONDS);
        }
        // A new name: a new server certificate from the same CA, which devices already trust.
        MqttSettings.Tls renamed = new MqttSettings.Tls("", "", List.of("devices.example.org"));
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, renamed), home)) {
            assertThat(Files.readString(caFile)).isEqualTo(Files.readString(given));
            X509Certificate reissued = broker.tls().certificate();
            assertThat(reissued.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
            assertThat(reissued.getSubjectAlternativeNames()).anyMatch(name -> name.get(1).equals("devices.example.org"));
            device(broker, "127.0.0.1", broker.tlsPort(), BrokerTls.clientConfig(given))
                    .disconnect().get(10, TimeUnit.SECONDS);
        }
        // The CA's key lost: no silent new CA that every device would refuse.
        Files.delete(home.resolve("mqtt/tls/ca.key"));
        assertThatThrownBy(() -> EmbeddedBroker.start(settings(0, false, MqttSettings.Tls.generated()), home))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ca.key");
    }

    @Test
    void aConfiguredKeyStoreIsServedAndNoCaIsMade() throws Exception {
        // An operator's key store, made with the JDK's keytool: for broker.example and localhost, not 127.0.0.1.
        Path keystore = home.resolve("operator.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "mqtt", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30",
                "-dname", "CN=broker.example", "-ext", "san=dns:broker.example,dns:localhost",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", KEYSTORE_PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore store = KeyStore.getInstance(keystore.toFile(), KEYSTORE_PASSWORD.toCharArray());
        X509Certificate operators = (X509Certificate) store.getCertificate("mqtt");

        Path dataDir = home.resolve("data");
        MqttSettings.Tls configured = new MqttSettings.Tls(keystore.toString(), KEYSTORE_PASSWORD, List.of());
        try (EmbeddedBroker broker = EmbeddedBroker.start(settings(0, false, configured), dataDir)) {
            assertThat(broker.tls().certificate()).isEqualTo(operators);
            assertThat(broker.tls().caFile()).isEmpty();
            assertThat(Files.exists(dataDir.resolve("mqtt/tls/ca.crt"))).isFalse();

            MqttClientSslConfig trustingIt = MqttClientSslConfig.builder().trustManagerFactory(trusting(operators))
                    .build();
            device(broker, "localhost", broker.tlsPort(), trustingIt).disconnect().get(10, TimeUnit.SECONDS);
            // A device checks the name too: 127.0.0.1 is not in this certificate.
            assertThatThrownBy(() -> device(broker, "127.0.0.1", broker.tlsPort(), trustingIt))
                    .isInstanceOf(ExecutionException.class);
            // The platform's own loopback connection trusts exactly this certificate, whatever its names.
            Mqtt5AsyncClient platform = platformClient(broker);
            platform.connect().get(10, TimeUnit.SECONDS);
            platform.disconnect().get(10, TimeUnit.SECONDS);
        }

        MqttSettings.Tls wrong = new MqttSettings.Tls(keystore.toString(), "not-the-password", List.of());
        assertThatThrownBy(() -> EmbeddedBroker.start(settings(0, false, wrong), dataDir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twin.mqtt.tls.keystore-password");
    }

    private static MqttSettings settings(int plainPort, boolean plainEnabled, MqttSettings.Tls tls) {
        return new MqttSettings(true, "", plainPort, 0, plainEnabled, "", "", "", SECRET, 2048, Duration.ofSeconds(10),
                256, tls, "twin-platform");
    }

    /** A device connected with its key: over TLS with {@code tls}, over plain TCP when it is null. */
    private static Mqtt5AsyncClient device(EmbeddedBroker broker, String host, int port, MqttClientSslConfig tls)
            throws Exception {
        Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(DEVICE).serverHost(host)
                .serverPort(port).sslConfig(tls).simpleAuth().username(DEVICE)
                .password(broker.deviceKeys().password(DEVICE).getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
                .buildAsync();
        client.connect().get(15, TimeUnit.SECONDS);
        return client;
    }

    /** A finished TLS handshake with the broker on 127.0.0.1, trusting {@code caFile}, checking the name. */
    private static SSLSocket handshake(Path caFile, int port, String... protocols) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, DeviceTls.trustManagerFactory(caFile).getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    private static TrustManagerFactory trusting(X509Certificate certificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("broker", certificate);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory;
    }

    private static X509Certificate certificate(Path pemFile) throws Exception {
        try (InputStream in = Files.newInputStream(pemFile)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** A client that connects to the broker as the platform's own MqttConnector does: TLS, the platform's user. */
    private static Mqtt5AsyncClient platformClient(EmbeddedBroker broker) {
        return MqttClient.builder().useMqttVersion5().identifier("platform-stand-in")
                .serverHost("127.0.0.1").serverPort(broker.tlsPort()).sslConfig(broker.tls().clientConfig())
                .simpleAuth().username(EmbeddedBroker.PLATFORM_USER)
                .password(broker.platformPassword().getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
                .buildAsync();
    }
}
