package io.twinplatform.history.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.history.computed.ComputedStore;
import io.twinplatform.history.computed.ComputedValueSink;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.ZoneOffset;

/**
 * Sends each computed value, once saved, to the computed topic ({@code twin.kafka.computed-topic}, compacted): a
 * CloudEvent of type {@value #TYPE}, keyed by {@code <twin id>#<name>} (neither may hold {@code #}), so the topic
 * keeps each twin's latest value of each attribute. Best effort, unlike the events topic: a value that cannot be sent
 * is logged and not sent again, as the next value of the same attribute supersedes it. Alerts are twin events and go
 * to the events topic with the guarantees of every event.
 */
final class ComputedValuePublisher implements ComputedValueSink {

    static final String TYPE = "io.twinplatform.computed.ComputedValue.v1";
    private static final Logger log = LoggerFactory.getLogger(ComputedValuePublisher.class);

    private final KafkaSettings settings;
    private final KafkaClients clients;
    private final EventFormat format = new JsonFormat();

    ComputedValuePublisher(KafkaSettings settings, KafkaClients clients) {
        this.settings = settings;
        this.clients = clients;
    }

    @Override
    public void computed(ComputedStore.Value value) {
        ObjectNode data = value.toJson();
        byte[] record = format.serialize(CloudEventBuilder.v1()
                .withId(RandomIds.uuid())
                .withSource(settings.source())
                .withType(TYPE)
                .withSubject(value.twinId())
                .withTime(value.computedAt().atOffset(ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withExtension("partitionkey", value.twinId())
                .withData(JsonCloudEventData.wrap(data))
                .build());
        try {
            clients.ensureTopics();
            clients.producer().send(new ProducerRecord<>(settings.computedTopic(), null,
                    key(value.twinId(), value.name()), record, KafkaPublisher.EVENT_HEADERS), (metadata, failure) -> {
                if (failure != null) {
                    log.warn("computed value {} of twin {} not sent to {}: {}", value.name(), value.twinId(),
                            settings.computedTopic(), failure.toString());
                }
            });
        } catch (RuntimeException e) {
            log.warn("computed value {} of twin {} not sent to {}: {}", value.name(), value.twinId(),
                    settings.computedTopic(), e.toString());
        }
    }

    static String key(String twinId, String name) {
        return twinId + "#" + name;
    }
}
