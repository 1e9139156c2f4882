package io.twinplatform.history.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.ConfiguredKey;
import io.twinplatform.api.twin.DirectMethodCompleted;
import io.twinplatform.api.twin.DirectMethodInvoked;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of the Kafka events topic. One module twin's life, eleven events, is encoded as the publisher encodes
 * it; each record must equal its golden file {@code cloudevents/<EventName>.json}. The golden records and the
 * platform's stored-event golden files must satisfy the JSON Schemas in {@code docs/schemas/events}, the schemas
 * must refuse what the contract rules out, and {@code docs/events.md} must show every golden record and schema as
 * they are stored.
 */
class TwinCloudEventsTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final URI SOURCE = URI.create("/twin-platform");
    private static final String TWIN = "thermostat-0042/climate";
    /** Surefire runs in the module directory: the repository's files are one level up. */
    private static final Path SCHEMAS = Path.of("..", "docs", "schemas", "events");
    private static final Path STORED_GOLDEN = Path.of("..", "twin-api", "src", "test", "resources", "golden");
    private static final Path DOC = Path.of("..", "docs", "events.md");
    private static final String ENVELOPE_SCHEMA = "cloudevent.schema.json";
    /** A metadata key Axon adds to messages, which is not part of the record. */
    private static final String TRACE_ID = "traceId";

    private static final JsonSchemaFactory SCHEMA_FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    /** Draft 2020-12 makes {@code format} an annotation only; the contract means it, so it is asserted. */
    private static final SchemaValidatorsConfig SCHEMA_CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .build();

    /** One event of the story: its message, the audit metadata it carries, and the record made of it. */
    record Step(String name, TwinEvent event, DomainEventMessage<TwinEvent> message, Map<String, String> audit,
                JsonNode record) {
    }

    /**
     * The module twin {@value #TWIN}: commissioned, connected over MQTT, reporting a first state its machine does not
     * start in (flagged right after the report, by the same command), re-scheduled, moved, taken out of service,
     * configured by a rollout and deleted. The twin is folded along, so each record carries the versions the twin had
     * right after its event.
     */
    static List<Step> story() {
        return new Story()
                .then(new TwinCreated(TWIN, "thermostat-0042", "climate",
                                json("{\"site\":\"berlin-01\",\"floor\":3,\"labels\":[\"hvac\",\"critical\"]}"),
                                json("{\"targetTemp\":21.5,\"mode\":\"eco\"}"), 1, 1, 1),
                        "5f0c1d2a-8b3e-4f61-9a7d-2c4e6b8f0a11", "2026-03-02T08:15:04.217Z", 1187,
                        audit("alice", "api", "c0a8f3e2-1b4d-4e6f-8a9b-0c1d2e3f4a51",
                                "9e4d2c1b-7a6f-4b3e-8d2c-1a0b9c8d7e61", "commissioning floor 3"))
                .then(new TwinConnectionChanged(TWIN, TwinConnectionChanged.CONNECTED, 2),
                        "b6d8f0a2-4c6e-4a8b-9d1f-3e5a7c9b1d28", "2026-03-02T08:15:29.604Z", 1189,
                        deviceAudit("2a4c6e8f-0b1d-4f3a-8c5e-7a9b1c3d5e09", "9c1e3a5b-7d9f-4b2d-8e4a-6c8e0a2b4d10"))
                .then(new ReportedPropertiesPatched(TWIN,
                                json("{\"currentTemp\":20.9,\"targetTemp\":21.5,\"mode\":\"eco\","
                                        + "\"firmware\":{\"version\":\"2.4.1\"},\"state\":\"running\"}"),
                                2, 3, "7f3c9a2e-5b1d-4c8e-9a6f-0d2b4e8c1a37"),
                        "a3e9b7c1-2d4f-4e58-b6a0-7c1d3e5f9b22", "2026-03-02T08:15:31.842Z", 1190,
                        deviceAudit("7f3c9a2e-5b1d-4c8e-9a6f-0d2b4e8c1a37", "6c2a8e4f-0b9d-4c1e-9f3a-7d5b1e9c3a82"))
                .then(new InvalidStateTransitionReported(TWIN, "default", null, "running", 4),
                        "e1f3a5c7-9b2d-4e6f-a8c0-2d4f6b8a0c39", "2026-03-02T08:15:31.842Z", 1191,
                        deviceAudit("7f3c9a2e-5b1d-4c8e-9a6f-0d2b4e8c1a37", "6c2a8e4f-0b9d-4c1e-9f3a-7d5b1e9c3a82"))
                .then(new TwinPatched(TWIN, null,
                                json("{\"targetTemp\":22,\"mode\":null,"
                                        + "\"schedule\":{\"weekday\":\"06:30\",\"weekend\":\"08:00\"}}"),
                                2, 5),
                        "0d7e2f94-6c1b-4a3d-8e5f-b2a4c6d8e033", "2026-03-02T09:02:10.005Z", 1342,
                        audit("bob", "api", "e2f4a6b8-9c1d-4e3f-8a5b-6c7d8e9f0a93",
                                "1f3b5d7e-2a4c-4e6f-b8d0-9e1c3a5b7d94", "winter schedule"))
                .then(new TwinReplaced(TWIN,
                                json("{\"site\":\"berlin-02\",\"floor\":1,\"labels\":[\"hvac\"]}"), null, 2, 6),
                        "e8b14c6d-3f2a-4b97-a1c5-d6e8f0a2b444", "2026-03-05T14:40:00.731Z", 2718,
                        audit("alice", "api", "4d6f8a0c-1e3b-4d5f-9a7c-8b0d2f4e6a15",
                                "7a9c1e3f-5b7d-4f9a-8c2e-0d4f6a8c0e25", "moved to berlin-02"))
                .then(new DirectMethodInvoked(TWIN, "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d31", "calibrate",
                                json("{\"sensor\":\"temperature\",\"offset\":-0.4}"), 30, 7),
                        "5a7c9e1b-3d5f-4b7d-9f1b-3d5f7a9c1e62", "2026-03-06T10:12:03.551Z", 3120,
                        audit("bob", "api", "0c2e4a6c-8e0a-4c2e-8a4c-6e8a0c2e4a73",
                                "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d31", "sensor drift after the move"))
                .then(new DirectMethodCompleted(TWIN, "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d31", "calibrate",
                                DirectMethodCompleted.ANSWERED, 200,
                                json("{\"offset\":-0.4,\"applied\":true}"), 842, 8),
                        "6b8d0f2c-4e6a-4c8e-8a2c-4e6a8c0e2a84", "2026-03-06T10:12:04.393Z", 3122,
                        audit("bob", "api", "0c2e4a6c-8e0a-4c2e-8a4c-6e8a0c2e4a73",
                                "7d9f1b3d-5f7b-4d9f-8b3d-5f7b9d1f3b95", "sensor drift after the move"))
                .then(new TwinStatusChanged(TWIN, TwinStatus.DISABLED, "taken out of service for maintenance", 9),
                        "72c5d9e1-4a6b-4c8d-9f0e-1a3b5c7d9e55", "2026-03-09T07:30:12.400Z", 4051,
                        audit("carol", "api", "8e0a2c4e-6f1b-4d3a-b5c7-d9e1f3a5c736",
                                "b1d3f5a7-9c2e-4a6b-8d0f-2c4e6a8b0d46", "ticket OPS-1182"))
                .then(new TwinConfigurationsApplied(TWIN,
                                Map.of("telemetry-5m", new TwinConfigurationStatus(TwinConfigurationStatus.APPLIED,
                                        "telemetry-5m-eu", 0)),
                                List.of(new ConfiguredKey("properties.desired.telemetryConfig", "telemetry-5m",
                                        "telemetry-5m-eu", json("{\"sendFrequency\":\"5m\"}"), null, null)),
                                List.of(),
                                json("{\"telemetryConfig\":{\"sendFrequency\":\"5m\"}}"), 3, 10),
                        "3e6a9c2f-7b1d-4f4e-a8c0-5d7f9b1e3a77", "2026-03-09T07:38:41.903Z", 4055,
                        configurationAudit("telemetry-5m", "telemetry-5m-eu", "f2a4c6e8-0b3d-4f5a-9c7e-1b3d5f7a9c68",
                                "configuration telemetry-5m admitted to phase 0 by rollout telemetry-5m-eu"))
                .then(new AlertRaised(TWIN, "vibrationAnomaly", 4.2, 3.0, "above", "2026-03-09T07:40:00Z", 11),
                        "1d3f5b7d-9f1b-4d3f-8b5d-7f9b1d3f5b88", "2026-03-09T07:40:00.412Z", 4057,
                        computedAudit("vibrationAnomaly", "2b4d6f8b-0d2f-4b4d-9f6b-8d0f2b4d6f99",
                                "vibrationAnomaly 4.2 is above 3.0"))
                .then(new AlertCleared(TWIN, "vibrationAnomaly", 1.6, 2.0, "2026-03-09T07:44:00Z", 12),
                        "3c5e7a9c-1e3a-4c5e-9a7c-9e1a3c5e7aa0", "2026-03-09T07:44:00.377Z", 4059,
                        computedAudit("vibrationAnomaly", "4d6f8b0d-2f4b-4d6f-8b0d-0f2b4d6f8bb1",
                                "vibrationAnomaly 1.6 is back below 2.0"))
                .then(new TwinDeleted(TWIN, 13),
                        "c49a0b3d-5e7f-4d12-b8c6-e0f2a4b6c866", "2026-03-09T07:45:55.118Z", 4060,
                        audit("carol", "api", "8e0a2c4e-6f1b-4d3a-b5c7-d9e1f3a5c736",
                                "d5f7b9c1-3e5a-4c7e-9b1d-4f6a8c0e2b57", "decommissioned"))
                .steps;
    }

    static Stream<Named<Step>> steps() {
        return story().stream().map(step -> Named.of(step.name(), step));
    }

    static Stream<String> eventNames() {
        return eventTypes().stream().map(Class::getSimpleName);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void encodesToItsGoldenRecord(Step step) throws IOException {
        assertThat(step.record()).isEqualTo(MAPPER.readTree(goldenRecord(step.name())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void envelopeNamesTheEventItsTypeAndItsTwin(Step step) {
        JsonNode record = step.record();

        assertThat(TwinCloudEvents.type(step.event().getClass()))
                .isEqualTo("io.twinplatform.twin." + step.name() + ".v1");
        assertThat(record.path("type").textValue()).isEqualTo(TwinCloudEvents.type(step.event().getClass()));
        assertThat(record.path("specversion").textValue()).isEqualTo("1.0");
        assertThat(record.path("id").textValue()).isEqualTo(step.message().getIdentifier());
        assertThat(record.path("source").textValue()).isEqualTo(SOURCE.toString());
        assertThat(record.path("subject").textValue()).isEqualTo(TWIN);
        assertThat(record.path("partitionkey").textValue()).isEqualTo(TWIN);
        assertThat(record.path("datacontenttype").textValue()).isEqualTo("application/json");
        assertThat(Instant.parse(record.path("time").textValue())).isEqualTo(step.message().getTimestamp());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void dataCarriesTheEventAsStoredAndItsTwinsVersions(Step step) {
        JsonNode data = step.record().path("data");
        String stored = JacksonSerializer.builder().objectMapper(MAPPER).build()
                .serialize(step.event(), String.class).getData();

        assertThat(data.path("event")).isEqualTo(readTree(stored));
        assertThat(data.path("twinId").textValue()).isEqualTo(TWIN);
        assertThat(data.path("version").longValue()).isEqualTo(step.event().version());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void dataCarriesTheAuditMetadataAndNothingElseOfTheMessages(Step step) {
        JsonNode metadata = step.record().path("data").path("metadata");

        assertThat(step.message().getMetaData()).containsKey(TRACE_ID);
        assertThat(metadata).isEqualTo(MAPPER.valueToTree(step.audit()));
        assertThat(metadata.has(TRACE_ID)).isFalse();
        assertThat(fieldNames(metadata)).isSubsetOf(TwinCloudEvents.METADATA_KEYS);
    }

    @Test
    void theStoryFoldsTheTwinAlong() {
        List<JsonNode> data = story().stream().map(step -> step.record().path("data")).toList();

        assertThat(data).extracting(d -> d.path("version").longValue())
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L);
        assertThat(data).extracting(d -> d.path("desiredVersion").longValue())
                .containsExactly(1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L, 2L, 3L, 3L, 3L, 3L);
        assertThat(data).extracting(d -> d.path("reportedVersion").longValue())
                .containsExactly(1L, 1L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L);
        assertThat(data).extracting(d -> d.path("deleted").booleanValue())
                .containsExactly(false, false, false, false, false, false, false, false, false, false, false, false,
                        true);
    }

    @Test
    void aFlaggedTransitionFollowsTheReportThatCarriedItWithItsMetadata() {
        List<Step> story = story();
        Step report = story.stream().filter(step -> step.event() instanceof ReportedPropertiesPatched)
                .findFirst().orElseThrow();
        Step flag = story.get(story.indexOf(report) + 1);

        assertThat(flag.event()).isInstanceOf(InvalidStateTransitionReported.class);
        assertThat(flag.event().version()).isEqualTo(report.event().version() + 1);
        assertThat(flag.record().path("data").path("metadata"))
                .isEqualTo(report.record().path("data").path("metadata"));
        assertThat(flag.record().at("/data/event/to").textValue())
                .isEqualTo(report.record().at("/data/event/patch/state").textValue());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventNames")
    void goldenRecordSatisfiesTheEnvelopeAndItsDataSchema(String name) throws IOException {
        JsonNode record = MAPPER.readTree(goldenRecord(name));

        assertThat(schema(ENVELOPE_SCHEMA).validate(record)).isEmpty();
        assertThat(dataSchema(name).validate(record.path("data"))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventNames")
    void storedEventGoldenSatisfiesTheEventSchema(String name) throws IOException {
        JsonNode stored = MAPPER.readTree(STORED_GOLDEN.resolve(name + ".json").toFile());

        assertThat(eventSchema(name).validate(stored)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventNames")
    void eventSchemaRequiresExactlyTheRecordComponentsInOrder(String name) {
        JsonNode event = schemaNode(name + ".v1.schema.json").at("/properties/event");
        List<String> components = Arrays.stream(eventType(name).getRecordComponents())
                .map(RecordComponent::getName).toList();

        assertThat(fieldNames(event.path("properties"))).containsExactlyElementsOf(components);
        assertThat(event.path("required")).extracting(JsonNode::textValue).containsExactlyElementsOf(components);
        assertThat(event.path("additionalProperties").isBoolean()).isTrue();
        assertThat(event.path("additionalProperties").booleanValue()).isFalse();
    }

    @Test
    void everyEventTypeHasASchemaAndAGoldenRecord() throws IOException {
        Set<String> names = eventNames().collect(Collectors.toSet());
        Set<String> schemaFiles;
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            schemaFiles = files.map(file -> file.getFileName().toString()).collect(Collectors.toSet());
        }

        assertThat(schemaFiles).containsExactlyInAnyOrderElementsOf(Stream.concat(Stream.of(ENVELOPE_SCHEMA),
                names.stream().map(name -> name + ".v1.schema.json")).toList());
        assertThat(story()).extracting(Step::name).containsExactlyInAnyOrderElementsOf(names);
        for (String name : names) {
            assertThat(TwinCloudEventsTest.class.getResource("/cloudevents/" + name + ".json")).as(name).isNotNull();
        }
    }

    static Stream<Arguments> invalidRecords() {
        return Stream.of(
                invalid("data without version", "TwinCreated", "TwinCreated", "required",
                        data -> data.remove("version")),
                invalid("data with a member it does not define", "TwinPatched", "TwinPatched", "additionalProperties",
                        data -> data.put("tenant", "acme")),
                invalid("event with a field it does not have", "TwinPatched", "TwinPatched", "additionalProperties",
                        data -> event(data).put("desiredPatch", "x")),
                invalid("event without a field", "ReportedPropertiesPatched", "ReportedPropertiesPatched",
                        "required", data -> event(data).remove("idempotencyKey")),
                invalid("status in upper case", "TwinStatusChanged", "TwinStatusChanged", "enum",
                        data -> event(data).put("status", "DISABLED")),
                invalid("a connection state in lower case", "TwinConnectionChanged", "TwinConnectionChanged", "enum",
                        data -> event(data).put("connectionState", "connected")),
                invalid("a connection without its state", "TwinConnectionChanged", "TwinConnectionChanged",
                        "required", data -> event(data).remove("connectionState")),
                invalid("a transition without the state it led to", "InvalidStateTransitionReported",
                        "InvalidStateTransitionReported", "type", data -> event(data).putNull("to")),
                invalid("a transition without its from", "InvalidStateTransitionReported",
                        "InvalidStateTransitionReported", "required", data -> event(data).remove("from")),
                invalid("a transition from a state that is not a string", "InvalidStateTransitionReported",
                        "InvalidStateTransitionReported", "type", data -> event(data).put("from", 3)),
                invalid("a transition flagged before any report", "InvalidStateTransitionReported",
                        "InvalidStateTransitionReported", "minimum", data -> data.put("reportedVersion", 1)),
                invalid("tags an array", "TwinCreated", "TwinCreated", "type",
                        data -> event(data).putArray("tags").add("hvac")),
                invalid("a patch that changes nothing", "TwinPatched", "TwinPatched", "anyOf",
                        data -> event(data).putNull("desired")),
                invalid("another type's event", "TwinDeleted", "TwinCreated", "required", data -> { }),
                invalid("a deleted twin after a patch", "TwinPatched", "TwinPatched", "const",
                        data -> data.put("deleted", true)),
                invalid("a module id with a slash", "TwinCreated", "TwinCreated", "pattern",
                        data -> data.put("moduleId", "climate/zone-1")),
                invalid("a channel not in the list", "TwinCreated", "TwinCreated", "enum",
                        data -> metadata(data).put("channel", "email")),
                invalid("metadata without principal", "TwinDeleted", "TwinDeleted", "required",
                        data -> metadata(data).remove("principal")),
                invalid("metadata with a key it does not define", "TwinDeleted", "TwinDeleted", "additionalProperties",
                        data -> metadata(data).put(TRACE_ID, "1d9c7b5a-3e1f-4a2c-8b6d-0f2e4a6c8e01")),
                invalid("a type without its version", "TwinCreated", null, "pattern",
                        record -> record.put("type", "io.twinplatform.twin.TwinCreated")),
                invalid("a time that is not a date-time", "TwinCreated", null, "format",
                        record -> record.put("time", "2026-03-02 08:15")),
                invalid("an id that is not a UUID", "TwinCreated", null, "format",
                        record -> record.put("id", "event-1")),
                invalid("a record without data", "TwinCreated", null, "required",
                        record -> record.remove("data")),
                invalid("a configuration status a twin document shows only", "TwinConfigurationsApplied",
                        "TwinConfigurationsApplied", "enum",
                        data -> configuration(data, "telemetry-5m").put("status", "Error")),
                invalid("a rollout without its phase", "TwinConfigurationsApplied", "TwinConfigurationsApplied",
                        "dependentRequired", data -> configuration(data, "telemetry-5m").remove("phase")),
                invalid("a configured key outside desired properties", "TwinConfigurationsApplied",
                        "TwinConfigurationsApplied", "pattern",
                        data -> ((ObjectNode) event(data).get("configured").get(0)).put("key", "tags.site")),
                invalid("a configured key without its value", "TwinConfigurationsApplied",
                        "TwinConfigurationsApplied", "required",
                        data -> ((ObjectNode) event(data).get("configured").get(0)).remove("value")),
                invalid("a released key with an outcome not in the list", "TwinConfigurationsApplied",
                        "TwinConfigurationsApplied", "enum",
                        data -> ((ArrayNode) event(data).get("released")).addObject()
                                .put("key", "properties.desired.telemetryConfig")
                                .put("configurationId", "telemetry-5m")
                                .put("outcome", "dropped")));
    }

    /** Each case breaks one rule of a valid golden record; the schema must refuse it for that rule. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRecords")
    void schemasRefuseWhatTheContractRulesOut(String what, String golden, String schema, String keyword,
                                              Consumer<ObjectNode> breakIt) throws IOException {
        ObjectNode record = (ObjectNode) MAPPER.readTree(goldenRecord(golden));
        ObjectNode instance = schema == null ? record : (ObjectNode) record.get("data");
        JsonSchema validator = schema == null ? schema(ENVELOPE_SCHEMA) : dataSchema(schema);

        breakIt.accept(instance);
        Set<ValidationMessage> messages = validator.validate(instance);

        assertThat(messages).as(what).isNotEmpty();
        assertThat(messages).as(what).extracting(message -> message.getType() + " at " + message.getEvaluationPath())
                .anySatisfy(failure -> assertThat(failure).contains(keyword));
    }

    @Test
    void storedEventWithAnExtraFieldFailsTheEventSchema() throws IOException {
        ObjectNode stored = (ObjectNode) MAPPER.readTree(STORED_GOLDEN.resolve("TwinDeleted.json").toFile());
        stored.put("reason", "decommissioned");

        assertThat(eventSchema("TwinDeleted").validate(stored)).extracting(ValidationMessage::getType)
                .contains("additionalProperties");
    }

    /** The reader's page shows every golden record and every schema exactly as they are stored. */
    @Test
    void eventsDocShowsEveryGoldenRecordAndSchemaVerbatim() throws IOException {
        String doc = normalized(Files.readString(DOC));
        List<String> embedded = new ArrayList<>();
        embedded.add(Files.readString(SCHEMAS.resolve(ENVELOPE_SCHEMA)));
        for (String name : eventNames().toList()) {
            embedded.add(goldenRecord(name));
            embedded.add(Files.readString(SCHEMAS.resolve(name + ".v1.schema.json")));
        }

        for (String text : embedded) {
            String block = "```json\n" + normalized(text).strip() + "\n```\n";
            assertThat(doc).as("docs/events.md shows\n%s", text).contains(block);
        }
    }

    private static Arguments invalid(String what, String golden, String schema, String keyword,
                                     Consumer<ObjectNode> breakIt) {
        return Arguments.of(Named.of(what, what), golden, schema, keyword, breakIt);
    }

    private static ObjectNode event(ObjectNode data) {
        return (ObjectNode) data.get("event");
    }

    private static ObjectNode configuration(ObjectNode data, String configurationId) {
        return (ObjectNode) event(data).get("configurations").get(configurationId);
    }

    private static ObjectNode metadata(ObjectNode data) {
        return (ObjectNode) data.get("metadata");
    }

    private static List<Class<?>> eventTypes() {
        return List.of(TwinEvent.class.getPermittedSubclasses());
    }

    private static Class<?> eventType(String name) {
        return eventTypes().stream().filter(type -> type.getSimpleName().equals(name)).findFirst().orElseThrow();
    }

    private static JsonSchema schema(String file) {
        return SCHEMA_FACTORY.getSchema(schemaNode(file), SCHEMA_CONFIG);
    }

    private static JsonSchema dataSchema(String name) {
        return schema(name + ".v1.schema.json");
    }

    /** The {@code event} member's schema on its own: it has no references, so it stands alone. */
    private static JsonSchema eventSchema(String name) {
        JsonNode event = schemaNode(name + ".v1.schema.json").at("/properties/event");
        assertThat(event.isObject()).as("%s has /properties/event", name).isTrue();
        return SCHEMA_FACTORY.getSchema(event, SCHEMA_CONFIG);
    }

    private static JsonNode schemaNode(String file) {
        try {
            return MAPPER.readTree(SCHEMAS.resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String goldenRecord(String name) throws IOException {
        String resource = "/cloudevents/" + name + ".json";
        try (InputStream in = TwinCloudEventsTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("golden record %s", resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String normalized(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** The audit metadata of a command that went through the HTTP API. */
    private static Map<String, String> audit(String principal, String channel, String correlationId,
                                             String causationId, String reason) {
        return audit(principal, channel, "http", correlationId, causationId, reason);
    }

    /**
     * The audit metadata of a device's MQTT message: the device is the principal, and its {@code clientToken}, if it
     * sent one, the correlation id (else a new UUID).
     */
    private static Map<String, String> deviceAudit(String correlationId, String causationId) {
        return audit("device:" + TWIN, "device", "mqtt", correlationId, causationId, null);
    }

    /** The audit metadata of a command the configuration applier sent on behalf of a configuration. */
    private static Map<String, String> configurationAudit(String configurationId, String correlationId,
                                                          String causationId, String reason) {
        return audit("configuration:" + configurationId, "configuration", "applier", correlationId, causationId,
                reason);
    }

    /** The audit metadata of a computed attribute's alert: the attribute is the principal. */
    private static Map<String, String> computedAudit(String name, String correlationId, String reason) {
        return audit("computed:" + name, "computed", "telemetry", correlationId, correlationId, reason);
    }

    private static Map<String, String> audit(String principal, String channel, String transport,
                                             String correlationId, String causationId, String reason) {
        Map<String, String> audit = new LinkedHashMap<>();
        audit.put(AuditMetadata.PRINCIPAL, principal);
        audit.put(AuditMetadata.CHANNEL, channel);
        audit.put(AuditMetadata.TRANSPORT, transport);
        audit.put(AuditMetadata.CORRELATION_ID, correlationId);
        audit.put(AuditMetadata.CAUSATION_ID, causationId);
        if (reason != null) {
            audit.put(AuditMetadata.REASON, reason);
        }
        return audit;
    }

    private static ObjectNode json(String text) {
        return (ObjectNode) readTree(text);
    }

    private static JsonNode readTree(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** Folds the twin event by event and encodes each event right after, as the publisher does. */
    private static final class Story {

        private final TwinCloudEvents cloudEvents = new TwinCloudEvents(TwinJson.newMapper(), SOURCE);
        private final List<Step> steps = new ArrayList<>();
        private TwinState twin;

        Story then(TwinEvent event, String eventId, String at, long globalIndex, Map<String, String> audit) {
            Instant time = Instant.parse(at);
            if (event instanceof TwinCreated created) {
                twin = TwinState.created(created, time);
            } else {
                twin.apply(event, time);
            }
            Map<String, Object> metaData = new HashMap<>(audit);
            metaData.put(TRACE_ID, "1d9c7b5a-3e1f-4a2c-8b6d-0f2e4a6c8e01");
            DomainEventMessage<TwinEvent> message = new GenericDomainEventMessage<>("Twin", event.twinId(),
                    event.version() - 1, event, metaData, eventId, time);
            JsonNode record = readTree(new String(cloudEvents.encode(message, event, twin, globalIndex),
                    StandardCharsets.UTF_8));
            steps.add(new Step(event.getClass().getSimpleName(), event, message, audit, record));
            return this;
        }
    }
}
