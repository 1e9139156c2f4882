package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;

import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A device in a test: an MQTT 5 client with its twin id as client id and user name, a last will on its
 * {@code connection} topic, and what the platform sent it, queued per topic kind ({@code desired},
 * {@code reported/accepted}, ...). It connects the way a device does: over TLS, checking the broker's certificate
 * against the CA file it was given ({@code <TWIN_DATA_DIR>/mqtt/tls/ca.crt}), or over plain TCP to an external
 * broker that offers nothing else.
 */
final class MqttDevice implements AutoCloseable {

    private final TwinId twinId;
    private final Mqtt5AsyncClient client;
    private final Map<String, BlockingQueue<JsonNode>> received = new ConcurrentHashMap<>();

    private MqttDevice(TwinId twinId, Mqtt5AsyncClient client) {
        this.twinId = twinId;
        this.client = client;
    }

    /**
     * Where a device connects: a host and port, over TLS trusting the certificates in {@code caFile} (PEM), or over
     * plain TCP when {@code caFile} is null.
     */
    record Broker(String host, int port, Path caFile) {

        static Broker tls(String host, int port, Path caFile) {
            return new Broker(host, port, caFile);
        }

        static Broker plain(String host, int port) {
            return new Broker(host, port, null);
        }

        /** A client builder for this broker: its address, and TLS 1.3 or 1.2 trusting the CA file, if any. */
        Mqtt5ClientBuilder client(String clientId) {
            Mqtt5ClientBuilder builder = Mqtt5Client.builder().identifier(clientId).serverHost(host).serverPort(port);
            return caFile == null ? builder : builder.sslConfig().trustManagerFactory(trusting(caFile))
                    .protocols(List.of("TLSv1.3", "TLSv1.2")).applySslConfig();
        }
    }

    /** Trust in exactly the certificates of a PEM file, as a device that was given the file has. */
    static TrustManagerFactory trusting(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int n = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("ca-" + n++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + pemFile, e);
        }
    }

    /** A device with a clean session and a last will, subscribed to everything under its own twin. */
    static MqttDevice connect(Broker broker, String twinId, String password) {
        return connect(broker, twinId, password, true, 0);
    }

    static MqttDevice connect(Broker broker, String twinId, String password, boolean cleanStart,
                              long sessionExpirySeconds) {
        TwinId id = TwinId.parse(twinId);
        var builder = broker.client(twinId);
        if (password != null) {
            builder = builder.simpleAuth().username(twinId).password(password.getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth();
        }
        Mqtt5AsyncClient client = builder.willPublish().topic(new TwinTopic(id, "connection").text())
                .qos(MqttQos.AT_LEAST_ONCE).payload("{\"state\":\"Disconnected\"}".getBytes(StandardCharsets.UTF_8))
                .applyWillPublish().buildAsync();
        MqttDevice device = new MqttDevice(id, client);
        client.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL, publish -> {
            String kind = publish.getTopic().toString().substring(TwinTopic.prefix(id).length());
            JsonNode message;
            try {
                message = TwinHttp.JSON.readTree(publish.getPayloadAsBytes());
            } catch (IOException e) {
                // Kept as text, for the test to fail on; throwing here would end the client's callbacks.
                message = TwinHttp.JSON.getNodeFactory().textNode(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8));
            }
            device.queue(kind).add(message);
        });
        client.connectWith().cleanStart(cleanStart).sessionExpiryInterval(sessionExpirySeconds).send()
                .orTimeout(10, TimeUnit.SECONDS).join();
        return device;
    }

    MqttDevice subscribe() {
        subscribe(TwinTopic.prefix(twinId) + "#").join();
        return this;
    }

    java.util.concurrent.CompletableFuture<?> subscribe(String filter) {
        // No local: a device does not want its own messages back.
        return client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).noLocal(true).send()
                .orTimeout(10, TimeUnit.SECONDS);
    }

    /** Publishes (QoS 1) on one of this twin's topics and waits for the broker's acknowledgement. */
    Mqtt5PublishResult publish(String kind, String payload) {
        return publishTo(new TwinTopic(twinId, kind).text(), payload);
    }

    Mqtt5PublishResult publishTo(String topic, String payload) {
        return publishTo(topic, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes these bytes as they are (a payload that is not UTF-8, for instance). */
    Mqtt5PublishResult publish(String kind, byte[] payload) {
        return publishTo(new TwinTopic(twinId, kind).text(), payload);
    }

    Mqtt5PublishResult publishTo(String topic, byte[] payload) {
        return client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload).send().orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Publishes (QoS 1) without waiting: the future completes with the broker's PUBACK, or fails with its error. */
    java.util.concurrent.CompletableFuture<Mqtt5PublishResult> publishAsync(String kind, String payload) {
        return client.publishWith().topic(new TwinTopic(twinId, kind).text()).qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    }

    /** The next message of {@code kind}, or an assertion failure after {@code timeout}. */
    JsonNode await(String kind, Duration timeout) {
        try {
            JsonNode message = queue(kind).poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                throw new AssertionError("no message on " + TwinTopic.prefix(twinId) + kind + " within " + timeout);
            }
            return message;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    JsonNode await(String kind) {
        return await(kind, Duration.ofSeconds(10));
    }

    /** The message of {@code kind} that arrives within {@code wait}, or null. */
    JsonNode poll(String kind, Duration wait) throws InterruptedException {
        return queue(kind).poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    BlockingQueue<JsonNode> queue(String kind) {
        return received.computeIfAbsent(kind, k -> new LinkedBlockingQueue<>());
    }

    /** Drops the connection the way a failing device does: the broker publishes the last will. */
    void drop() {
        client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send()
                .orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Whether the broker still holds this device's connection (the client does not reconnect on its own). */
    boolean connected() {
        return client.getState().isConnected();
    }

    @Override
    public void close() {
        // The broker may have closed the connection already (it does after a refused publish).
        client.disconnect().orTimeout(10, TimeUnit.SECONDS).exceptionally(failure -> null).join();
    }
}
