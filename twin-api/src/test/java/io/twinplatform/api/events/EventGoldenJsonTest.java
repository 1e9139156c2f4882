package io.twinplatform.api.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.ConfigurationAdmitted;
import io.twinplatform.api.configuration.ConfigurationCreated;
import io.twinplatform.api.configuration.ConfigurationDeleted;
import io.twinplatform.api.configuration.ConfigurationUpdated;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.DirectMethodCompleted;
import io.twinplatform.api.twin.DirectMethodInvoked;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.job.JobCancelled;
import io.twinplatform.api.job.JobCompleted;
import io.twinplatform.api.job.JobFailed;
import io.twinplatform.api.job.JobScheduled;
import io.twinplatform.api.job.JobStarted;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.RolloutStarted;
import io.twinplatform.api.twin.ConfiguredKey;
import io.twinplatform.api.twin.ReleasedKey;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
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
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire contract of the twin and configuration events: each event, serialized as the event store serializes it, must equal its
 * committed golden file {@code golden/<EventName>.json}, and the golden file must read back into the same event.
 * A change to an event's shape fails here; such a change needs a new revision and an upcaster, not an edited
 * golden file.
 */
class EventGoldenJsonTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final JacksonSerializer SERIALIZER = JacksonSerializer.builder().objectMapper(MAPPER).build();

    static Stream<Named<Object>> events() {
        return Stream.<Object>of(
                new TwinCreated("thermostat-0042/climate", "thermostat-0042", "climate",
                        json("{\"site\":\"berlin-01\",\"floor\":3,\"labels\":[\"hvac\",\"critical\"]}"),
                        json("{\"targetTemp\":21.5,\"mode\":\"eco\","
                                + "\"schedule\":{\"weekday\":\"06:30\",\"weekend\":\"08:00\"}}"),
                        1, 1, 1),
                new TwinReplaced("thermostat-0042",
                        json("{\"site\":\"berlin-02\","
                                + "\"owner\":{\"team\":\"facilities\",\"contact\":\"ops@example.com\"}}"),
                        null, 3, 7),
                new TwinPatched("thermostat-0042", null,
                        json("{\"targetTemp\":22,\"schedule\":{\"weekend\":null}}"), 4, 8),
                new ReportedPropertiesPatched("thermostat-0042",
                        json("{\"currentTemp\":21.8,\"firmware\":{\"version\":\"2.4.1\"},\"battery\":null,"
                                + "\"online\":true}"),
                        12, 9, "7f3c9a2e-5b1d-4c8e-9a6f-0d2b4e8c1a37"),
                new TwinStatusChanged("thermostat-0042", TwinStatus.DISABLED, "taken out of service for maintenance",
                        10),
                new TwinDeleted("thermostat-0042", 11),
                new ConfigurationCreated("telemetry-5m", "tags.environment='prod' AND tags.deviceType='thermostat'",
                        10, json("{\"properties.desired.telemetryConfig\":{\"sendFrequency\":\"5m\"}}"),
                        json("{}"),
                        Map.of("compliant", "SELECT deviceId FROM devices WHERE"
                                + " properties.reported.telemetryConfig.status='Success'"),
                        Map.of("team", "ops"), false, 1),
                new ConfigurationUpdated("telemetry-5m", "tags.environment IN ['prod','staging']", 20,
                        Map.of("compliant", "SELECT deviceId FROM devices WHERE"
                                + " properties.reported.telemetryConfig.status='Success'"),
                        Map.of("team", "ops", "ticket", "CHG-1042"), 2),
                new ConfigurationDeleted("telemetry-5m", 3),
                new ConfigurationAdmitted("telemetry-5m",
                        new Admission("firmware-2-5", List.of(5.0, 25.0, 100.0), 1), false, 4),
                new TwinConfigurationsApplied("thermostat-0042",
                        Map.of("telemetry-5m", new TwinConfigurationStatus("Applied", "firmware-2-5", 0),
                                "telemetry-1h", new TwinConfigurationStatus("Targeted", null, null)),
                        List.of(new ConfiguredKey("properties.desired.telemetryConfig", "telemetry-5m",
                                "firmware-2-5", json("{\"sendFrequency\":\"5m\"}"),
                                json("{\"sendFrequency\":\"1h\"}"), "telemetry-1h")),
                        List.of(new ReleasedKey("properties.desired.logLevel", "debug-logging", "removed")),
                        json("{\"telemetryConfig\":{\"sendFrequency\":\"5m\"},\"logLevel\":null}"), 5, 12),
                new TwinConnectionChanged("thermostat-0042", TwinConnectionChanged.CONNECTED, 13),
                new InvalidStateTransitionReported("thermostat-0042", "thermostat", "idle", "paused", 15),
                new DirectMethodInvoked("thermostat-0042", "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d31", "calibrate",
                        json("{\"sensor\":\"temperature\",\"offset\":-0.4}"), 30, 16),
                new DirectMethodCompleted("thermostat-0042", "4b8d2f6a-1c3e-4a5b-9d7f-0e2c4a6b8d31", "calibrate",
                        DirectMethodCompleted.ANSWERED, 200, json("{\"offset\":-0.4,\"applied\":true}"), 842, 17),
                new AlertRaised("thermostat-0042", "vibrationAnomaly", 4.2, 3.0, "above", "2026-11-23T10:31:00Z", 18),
                new AlertCleared("thermostat-0042", "vibrationAnomaly", 1.6, 2.0, "2026-11-23T11:05:00Z", 19),
                new RolloutStarted("firmware-2-5", new RolloutSpec("firmware-2-5-config",
                        List.of(new RolloutSpec.Phase("canary", 5), new RolloutSpec.Phase("phase-2", 25),
                                new RolloutSpec.Phase("phase-3", 100)),
                        new RolloutSpec.Success("compliant", 95, 600),
                        new RolloutSpec.Failure("properties.reported.firmware.state = 'Error'", 2),
                        RolloutSpec.OnFailure.ROLLBACK, 3600),
                        "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '2.5'", 1),
                new RolloutDecided("firmware-2-5", "phaseStarted", "running", 1,
                        "the success metric held at 100.00% (5 of 5 twins, at least 95.00%) for 600 s", false, 3),
                new RolloutObserved("firmware-2-5", 1, Map.of(0, new PhaseCounts(5, 5, 5, 0),
                        1, new PhaseCounts(20, 18, 17, 1)), 4),
                new RolloutPhaseAdmitted("firmware-2-5", 1, 25, 5),
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
        String name = "/golden/" + event.getClass().getSimpleName() + ".json";
        try (InputStream in = EventGoldenJsonTest.class.getResourceAsStream(name)) {
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
