package io.twinplatform.history.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Revision;

import java.net.URI;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Writes a twin event as a CloudEvents 1.0 structured JSON record (the Kafka binding's structured mode): {@code id}
 * the event id, {@code type} {@code io.twinplatform.twin.<Event>.v<revision>}, {@code subject} and the
 * {@code partitionkey} extension the twin id, {@code time} the event's time, and {@code data} the event as stored with
 * its metadata and the twin's versions after it. docs/events.md is the reader's contract.
 */
public final class TwinCloudEvents {

    /** The {@code content-type} header of a structured record. */
    public static final String CONTENT_TYPE = JsonFormat.CONTENT_TYPE + "; charset=UTF-8";
    public static final String TYPE_PREFIX = "io.twinplatform.twin.";
    /** The metadata keys copied into {@code data.metadata}, in this order, when the event has them. */
    static final List<String> METADATA_KEYS = List.of(AuditMetadata.PRINCIPAL, AuditMetadata.CHANNEL,
            AuditMetadata.TRANSPORT, AuditMetadata.CORRELATION_ID, AuditMetadata.CAUSATION_ID, AuditMetadata.REASON);

    private final ObjectMapper mapper;
    private final URI source;
    private final EventFormat format = new JsonFormat();

    public TwinCloudEvents(ObjectMapper mapper, URI source) {
        this.mapper = mapper;
        this.source = source;
    }

    /** The CloudEvents type of an event class: its simple name and its {@code @Revision}, e.g. {@code …TwinPatched.v1}. */
    public static String type(Class<?> eventClass) {
        Revision revision = eventClass.getAnnotation(Revision.class);
        return TYPE_PREFIX + eventClass.getSimpleName() + ".v" + (revision == null ? "0" : revision.value());
    }

    /** The structured record's bytes for one event, given the twin right after it and the event's global index. */
    public byte[] encode(EventMessage<?> message, TwinEvent event, TwinState after, long globalIndex) {
        return format.serialize(cloudEvent(message, event, after, globalIndex));
    }

    CloudEvent cloudEvent(EventMessage<?> message, TwinEvent event, TwinState after, long globalIndex) {
        return CloudEventBuilder.v1()
                .withId(message.getIdentifier())
                .withSource(source)
                .withType(type(event.getClass()))
                .withSubject(event.twinId())
                .withTime(message.getTimestamp().atOffset(ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withExtension("partitionkey", event.twinId())
                .withData(JsonCloudEventData.wrap(data(message, event, after, globalIndex)))
                .build();
    }

    private ObjectNode data(EventMessage<?> message, TwinEvent event, TwinState after, long globalIndex) {
        TwinId twin = TwinId.parse(event.twinId());
        ObjectNode data = mapper.createObjectNode();
        data.put("twinId", event.twinId());
        data.put("deviceId", twin.deviceId());
        data.put("moduleId", twin.moduleId());
        data.put("version", event.version());
        data.put("desiredVersion", after.desired().version());
        data.put("reportedVersion", after.reported().version());
        data.put("deleted", after.deleted());
        data.put("globalIndex", globalIndex);
        data.set("event", mapper.valueToTree(event));
        ObjectNode metadata = data.putObject("metadata");
        MetaData meta = message.getMetaData();
        for (String key : METADATA_KEYS) {
            Object value = meta.get(key);
            if (value != null) {
                metadata.put(key, value.toString());
            }
        }
        return data;
    }
}
