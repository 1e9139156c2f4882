package io.twinplatform.deploy.mqtt;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * The device channel's broker ({@code twin.mqtt.*}). With no {@code host} the platform starts an embedded broker that
 * devices reach over TLS on {@code tlsPort} ({@code TWIN_MQTT_TLSPORT}, default 8883), and over plain TCP on
 * {@code port} ({@code TWIN_MQTT_PORT}, default 1883) only when {@code plainEnabled}; a port that is taken gives way
 * to a free one, with a log line. The platform connects to it over TLS. With a {@code host} the platform connects to
 * that broker on {@code port} as {@code username}/{@code password}.
 *
 * @param enabled          false runs the platform without a device channel
 * @param host             an external broker's host; empty starts the embedded broker
 * @param port             the broker's port: an external broker's, or the embedded broker's plain TCP port when
 *                         {@code plainEnabled} (0: any free port, for tests)
 * @param tlsPort          (embedded broker) the port of its TLS listener (0: any free port, for tests)
 * @param plainEnabled     (embedded broker) true opens the plain TCP listener on {@code port} as well; off by
 *                         default, since a device's password would cross the network in clear
 * @param username         the platform's user name at an external broker
 * @param password         the platform's password at an external broker
 * @param clientId         the platform's MQTT client id; empty gives a random one per start (several instances)
 * @param deviceSecret     the fleet secret device passwords derive from (embedded broker); empty keeps one in
 *                         {@code <TWIN_DATA_DIR>/mqtt/device-secret}, made on first start
 * @param maxBacklog       (embedded broker, write side on) device messages on {@code reported}, {@code get} and
 *                         {@code connection} in the platform's hands at once (taken at the broker's edge, not yet
 *                         answered); over it, device publishes wait unacknowledged ({@link BrokerAdmission}). Default
 *                         512: enough to fill every group-commit batch, and each one in hand is held at the broker as
 *                         a waiting one is (see {@code maxWaiting}); at 2048 the commits fell under a long overload
 *                         (docs/performance.md). An external broker has no such limit
 * @param admissionTimeout (embedded broker) how long a device publish may wait for a place before the broker refuses
 *                         it with PUBACK {@code QUOTA_EXCEEDED} (nothing taken; the device may send it again).
 *                         Default 10 s
 * @param maxWaiting       (embedded broker) device publishes that may wait for a place at once; over it, a publish is
 *                         refused at once with PUBACK {@code QUOTA_EXCEEDED}. Each waiting publish costs HiveMQ's
 *                         extension threads a visit whenever they look for work, so waiting publishes must stay few:
 *                         5,000 of them took half the CPU and the commits fell tenfold (docs/performance.md).
 *                         Default 256
 * @param tls              (embedded broker) its certificate: a configured key store, else one made in
 *                         {@code <TWIN_DATA_DIR>/mqtt/tls} ({@link BrokerTls})
 * @param sharedGroup      the shared subscription group every instance reads device topics through, so that each
 *                         message is handled by one instance; empty: plain subscriptions (one instance only)
 */
@ConfigurationProperties("twin.mqtt")
public record MqttSettings(@DefaultValue("true") boolean enabled,
                           @DefaultValue("") String host,
                           @DefaultValue("1883") int port,
                           @DefaultValue("8883") int tlsPort,
                           @DefaultValue("false") boolean plainEnabled,
                           @DefaultValue("") String username,
                           @DefaultValue("") String password,
                           @DefaultValue("") String clientId,
                           @DefaultValue("") String deviceSecret,
                           @DefaultValue("512") int maxBacklog,
                           @DefaultValue("10s") Duration admissionTimeout,
                           @DefaultValue("256") int maxWaiting,
                           @DefaultValue Tls tls,
                           @DefaultValue("twin-platform") String sharedGroup) {

    boolean embedded() {
        return host == null || host.isBlank();
    }

    /**
     * The embedded broker's certificate ({@code twin.mqtt.tls.*}).
     *
     * @param keystore         a PKCS12 (or JKS) key store holding the broker's key and certificate chain, its key
     *                         under the store's password; empty makes a CA and a server certificate in
     *                         {@code <TWIN_DATA_DIR>/mqtt/tls} on first start and uses them from then on
     * @param keystorePassword the key store's password (with {@code keystore})
     * @param hostNames        (made certificate) names and addresses devices reach the broker by, beyond
     *                         {@code localhost}, {@code 127.0.0.1} and this machine's host name, which it always has
     */
    public record Tls(@DefaultValue("") String keystore,
                      @DefaultValue("") String keystorePassword,
                      @DefaultValue List<String> hostNames) {

        public Tls {
            keystore = keystore == null ? "" : keystore;
            keystorePassword = keystorePassword == null ? "" : keystorePassword;
            hostNames = hostNames == null ? List.of() : List.copyOf(hostNames);
        }

        /** No key store configured and no extra names: the made certificate. */
        public static Tls generated() {
            return new Tls("", "", List.of());
        }
    }
}
