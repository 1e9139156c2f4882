package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens the platform's MQTT 5 connections to one broker, each with its own client id ({@code <clientId>-<n>}), over
 * TLS when given a configuration for it (the embedded broker), and closes them all when the platform stops.
 */
final class MqttConnector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MqttConnector.class);

    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final String clientId;
    private final MqttClientSslConfig tls;
    private final AtomicInteger count = new AtomicInteger();
    private final List<Mqtt5AsyncClient> open = new CopyOnWriteArrayList<>();

    /** @param tls the TLS configuration, or null for plain TCP */
    MqttConnector(String host, int port, String username, String password, String clientId, MqttClientSslConfig tls) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.clientId = clientId;
        this.tls = tls;
    }

    Mqtt5AsyncClient connect() {
        String id = clientId + "-" + count.incrementAndGet();
        var builder = Mqtt5Client.builder().identifier(id).serverHost(host).serverPort(port)
                .automaticReconnectWithDefaultConfig();
        if (tls != null) {
            builder = builder.sslConfig(tls);
        }
        if (!username.isBlank()) {
            builder = builder.simpleAuth().username(username).password(password.getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth();
        }
        Mqtt5AsyncClient client = builder.buildAsync();
        try {
            client.connectWith().cleanStart(true).send().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not connect to the MQTT broker " + host + ":" + port, e);
        }
        open.add(client);
        log.info("device channel connected to MQTT broker {}:{} as {}{}", host, port, id,
                tls != null ? " over TLS" : "");
        return client;
    }

    /** Disconnects every client opened so far (up to 5 s each); a second call finds none left. */
    @Override
    public void close() {
        List<Mqtt5AsyncClient> clients = List.copyOf(open);
        open.removeAll(clients);
        for (Mqtt5AsyncClient client : clients) {
            try {
                client.disconnect().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("MQTT disconnect at shutdown failed", e);
            }
        }
    }
}
