package io.twinplatform.command.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.job.JobCancelled;
import io.twinplatform.api.job.JobCompleted;
import io.twinplatform.api.job.JobFailed;
import io.twinplatform.api.job.JobScheduled;
import io.twinplatform.api.job.JobStarted;
import io.twinplatform.api.model.TwinJson;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire contract of the job events: each, serialized as the event store serializes it (the platform's Jackson
 * serializer), must equal its committed golden file {@code golden/job/<EventName>.json}, and the file must read back
 * into the same event. A change to an event's shape fails here; it needs a new revision and an upcaster, not an
 * edited golden file.
 */
class JobEventGoldenJsonTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final JacksonSerializer SERIALIZER = JacksonSerializer.builder().objectMapper(MAPPER).build();

    static Stream<Named<Object>> events() {
        return Stream.<Object>of(
                new JobScheduled("fw-ring-early-2026-11", "scheduleUpdateTwin",
                        "tags.building = 'b1' AND tags.deviceType = 'thermostat'",
                        json("{\"firmwareRing\":\"early\",\"maintenance\":null}"),
                        json("{\"firmware\":{\"version\":\"2.4.1\",\"url\":\"https://example.com/fw/2.4.1.bin\"},"
                                + "\"telemetryInterval\":30}"),
                        Instant.parse("2026-11-24T03:00:00Z"), 3600),
                new JobStarted("fw-ring-early-2026-11", 1250),
                new JobCompleted("fw-ring-early-2026-11", 1250, 1247, 3),
                new JobFailed("fw-ring-early-2026-11",
                        "maxExecutionTimeInSeconds (3600) ran out at 2026-11-24T04:00:00Z after 900 of 1250 twins",
                        1250, 898, 2),
                new JobCancelled("fw-ring-early-2026-11"))
                .map(event -> Named.of(event.getClass().getSimpleName(), event));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void serializesToItsGoldenJson(Object event) throws IOException {
        SerializedObject<String> serialized = SERIALIZER.serialize(event, String.class);

        assertThat(MAPPER.readTree(serialized.getData())).isEqualTo(MAPPER.readTree(golden(event)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void readsItsGoldenJsonBack(Object event) throws IOException {
        Object read = SERIALIZER.deserialize(new SimpleSerializedObject<>(golden(event), String.class,
                event.getClass().getName(), "1"));

        assertThat(read).isEqualTo(event);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void isStoredUnderItsClassNameAtRevision1(Object event) {
        SerializedObject<String> serialized = SERIALIZER.serialize(event, String.class);

        assertThat(serialized.getType().getName()).isEqualTo(event.getClass().getName());
        assertThat(serialized.getType().getRevision()).isEqualTo("1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void goldenJsonListsTheRecordComponentsInOrder(Object event) throws IOException {
        JsonNode golden = MAPPER.readTree(golden(event));
        List<String> fields = new ArrayList<>();
        golden.fieldNames().forEachRemaining(fields::add);

        assertThat(fields).containsExactlyElementsOf(Arrays.stream(event.getClass().getRecordComponents())
                .map(RecordComponent::getName).toList());
    }

    private static String golden(Object event) throws IOException {
        String name = "/golden/job/" + event.getClass().getSimpleName() + ".json";
        try (InputStream in = JobEventGoldenJsonTest.class.getResourceAsStream(name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
