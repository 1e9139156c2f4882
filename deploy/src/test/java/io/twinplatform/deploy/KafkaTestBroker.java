package io.twinplatform.deploy;

import kafka.server.BrokerServer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/**
 * A real single-node Kafka (KRaft, broker and controller in one node) in this JVM, from spring-kafka-test, on a fixed
 * port so that its broker can be stopped and started again at the same address, as an outage would.
 */
public final class KafkaTestBroker implements AutoCloseable {

    private final int port;
    private final EmbeddedKafkaKraftBroker kafka;

    private KafkaTestBroker(int port, EmbeddedKafkaKraftBroker kafka) {
        this.port = port;
        this.kafka = kafka;
    }

    public static KafkaTestBroker start() {
        int port = freePort();
        EmbeddedKafkaKraftBroker kafka = new EmbeddedKafkaKraftBroker(1, 1);
        kafka.brokerProperty("listeners", "EXTERNAL://localhost:" + port + ",CONTROLLER://localhost:0");
        kafka.afterPropertiesSet();
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::destroy, "kafka-test-broker-stop"));
        return new KafkaTestBroker(port, kafka);
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** Stops the broker (the controller keeps running); clients see the broker as gone. */
    public void stopBroker() {
        BrokerServer broker = broker();
        broker.shutdown();
        broker.awaitShutdown();
    }

    /** Starts the stopped broker again, on the same port with the same logs. */
    public void startBroker() {
        broker().startup();
    }

    private BrokerServer broker() {
        return kafka.getCluster().brokers().values().iterator().next();
    }

    @Override
    public void close() {
        kafka.destroy();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
