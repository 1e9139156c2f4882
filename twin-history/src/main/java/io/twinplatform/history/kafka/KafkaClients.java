package io.twinplatform.history.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The publisher's Kafka producer (replaced after a failed send) and its topics (created once when missing). The
 * producer's configuration is {@link KafkaSettings#producerConfig()}.
 */
class KafkaClients implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(KafkaClients.class);
    private final KafkaSettings settings;
    private final Map<String, Object> config;
    private final Duration deliveryTimeout;
    private Producer<String, byte[]> producer;
    private volatile boolean topicsReady;

    KafkaClients(KafkaSettings settings) {
        this.settings = settings;
        settings.producer().keySet().stream().filter(KafkaSettings.FIXED::contains).forEach(key -> log.warn(
                "twin.kafka.producer.{} is ignored: the publisher's delivery guarantee needs its own value", key));
        this.config = Map.copyOf(settings.producerConfig());
        this.deliveryTimeout = Duration.ofMillis(millis(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    }

    /** The current producer, made on first use and after a failure discarded the last one. */
    synchronized Producer<String, byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(config);
        }
        return producer;
    }

    /** Closes {@code failed} if it is still the current producer; the next batch gets a new one. */
    void discard(Producer<String, byte[]> failed) {
        synchronized (this) {
            if (producer != failed) {
                return;
            }
            producer = null;
        }
        failed.close(Duration.ZERO);
    }

    /** How long the broker may take to acknowledge a record before the send fails. */
    Duration deliveryTimeout() {
        return deliveryTimeout;
    }

    private long millis(String key) {
        return Long.parseLong(config.get(key).toString());
    }

    /**
     * Creates the events topic and the (compacted) state and computed topics if they are missing, and waits for their
     * partitions' leaders; throws while the broker is away.
     */
    void ensureTopics() {
        if (topicsReady || !settings.createTopics()) {
            return;
        }
        Map<String, Object> admin = new HashMap<>(config);
        admin.keySet().retainAll(AdminClientConfig.configNames());
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "twin-platform-topics");
        long timeout = millis(ProducerConfig.MAX_BLOCK_MS_CONFIG);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout);
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout, 10_000));
        try (Admin client = Admin.create(admin)) {
            List<NewTopic> topics = List.of(
                    new NewTopic(settings.eventsTopic(), settings.partitions(), settings.replicationFactor()),
                    new NewTopic(settings.stateTopic(), settings.partitions(), settings.replicationFactor())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                    new NewTopic(settings.computedTopic(), settings.partitions(), settings.replicationFactor())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            for (Map.Entry<String, KafkaFuture<Void>> created
                    : client.createTopics(topics).values().entrySet()) {
                try {
                    created.getValue().get(timeout, TimeUnit.MILLISECONDS);
                    log.info("created Kafka topic {}", created.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create Kafka topic " + created.getKey() + ": "
                                + e.getCause(), e.getCause());
                    }
                }
            }
            awaitLeaders(client, topics.stream().map(NewTopic::name).toList(), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + settings.bootstrapServers() + " did not answer within "
                    + timeout + " ms", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not describe the Kafka topics: " + e.getCause(), e.getCause());
        }
        topicsReady = true;
    }

    /**
     * Waits until every partition of the topics has a leader. An idempotent producer that sends to a partition of a
     * topic created moments before can meet it leaderless and then write a later batch before an earlier one
     * (KAFKA-15591); the first batch must not go out before the partitions are ready.
     */
    private static void awaitLeaders(Admin client, List<String> topics, long timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (true) {
            Map<String, TopicDescription> described = client.describeTopics(topics).allTopicNames()
                    .get(timeout, TimeUnit.MILLISECONDS);
            boolean ready = described.values().stream().flatMap(topic -> topic.partitions().stream())
                    .allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty());
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + topics + " have no leader after " + timeout + " ms");
            }
            Thread.sleep(100);
        }
    }

    @Override
    public synchronized void destroy() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }
}
