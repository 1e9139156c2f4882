package io.twinplatform.command.twin;

import io.twinplatform.api.device.DeviceStateMachines;
import static io.twinplatform.command.twin.TwinTest.empty;
import static io.twinplatform.command.twin.TwinTest.json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.JsonValues;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinLimits;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.AggregateFactory;
import org.axonframework.eventsourcing.GenericAggregateFactory;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.TestExecutor;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.twinplatform.command.twin.Satisfies.satisfies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot is the aggregate itself serialized with the event serializer (as Axon's snapshotter does). A twin
 * restored from one must be the twin it was: same document, same remembered idempotency keys in the same order,
 * and the same decisions on the next command as the twin folded from all its events.
 */
class TwinSnapshotTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final JacksonSerializer SERIALIZER = JacksonSerializer.builder().objectMapper(MAPPER).build();

    private static final String DEVICE = "dev-1";
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00.123456Z");
    private static final Instant T1 = Instant.parse("2024-05-01T10:05:00.5Z");

    /** A twin's history touching every piece of state: tags, desired, reported with keys, status. */
    private static List<Object> history() {
        return List.of(
                new TwinCreated(DEVICE, DEVICE, null, json("{\"site\":\"north\",\"floor\":3}"),
                        json("{\"t\":20,\"mode\":\"eco\",\"light\":{\"on\":true,\"level\":3}}"), 1, 1, 1),
                new TwinPatched(DEVICE, json("{\"floor\":null}"), json("{\"light\":{\"level\":4},\"fan\":1.5}"), 2, 2),
                new ReportedPropertiesPatched(DEVICE, json("{\"t\":19.5,\"fw\":{\"v\":\"1.0\"}}"), 2, 3, "msg-1"),
                new ReportedPropertiesPatched(DEVICE, json("{\"t\":20}"), 3, 4, "msg-2"),
                new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 5),
                new ReportedPropertiesPatched(DEVICE, json("{\"fw\":{\"v\":\"1.1\"}}"), 4, 6, "msg-3"));
    }

    @Test
    void restoresTheSameTwinFromItsSnapshot() {
        Twin original = folded(history(), T0);

        Twin restored = roundTrip(original);

        assertThat(field(restored, "twinId")).isEqualTo(DEVICE);
        assertThat(rendered(restored)).isEqualTo(rendered(original));
        assertThat(JsonValues.same(state(restored).render(), state(original).render())).isTrue();
        assertThat(keys(restored)).containsExactly("msg-1", "msg-2", "msg-3");
        assertThat(state(restored).deleted()).isFalse();
        assertThat(state(restored).status()).isEqualTo(TwinStatus.DISABLED);
        // Nothing is lost or added: the restored twin snapshots to the same bytes.
        assertThat(new String(snapshot(restored).getData(), StandardCharsets.UTF_8))
                .isEqualTo(new String(snapshot(original).getData(), StandardCharsets.UTF_8));
    }

    @Test
    void ignoresAnIdempotencyKeyRememberedBeforeTheSnapshot() {
        PatchReportedProperties redelivery = new PatchReportedProperties(DEVICE, json("{\"t\":99}"), "msg-2");

        Outcome fromEvents = run(fixture().givenCurrentTime(T0).andGiven(history()), redelivery);
        Outcome fromSnapshot = run(fixture().givenCurrentTime(T0).andGiven(snapshotOf(history())), redelivery);

        assertThat(fromSnapshot.events()).isEmpty();
        assertThat(fromSnapshot.result().changed()).isFalse();
        assertThat(fromSnapshot.result().version()).isEqualTo(6);
        assertThat(fromSnapshot.renderedTwin()).isEqualTo(fromEvents.renderedTwin());
        assertThat(fromEvents.events()).isEmpty();
    }

    @Test
    void appliesANewReportedPatchAsTheEventSourcedTwinDoes() {
        PatchReportedProperties report = new PatchReportedProperties(DEVICE, json("{\"t\":21,\"fw\":null}"), "msg-4");

        assertSameOutcome(report);
    }

    @Test
    void appliesADesiredPatchAsTheEventSourcedTwinDoes() {
        PatchTwin patch = new PatchTwin(DEVICE, json("{\"site\":\"south\"}"),
                json("{\"light\":{\"on\":false,\"level\":4},\"mode\":null}"), 6L);

        assertSameOutcome(patch);
    }

    @Test
    void appliesAShadowUpdateAsTheEventSourcedTwinDoes() {
        UpdateShadow update = new UpdateShadow(DEVICE, json("{\"fan\":2}"),
                NullNode.instance, 6L, "tok");

        assertSameOutcome(update);
    }

    @Test
    void keepsTheOrderOfIdempotencyKeysAcrossTheSnapshot() {
        List<Object> full = new ArrayList<>();
        full.add(new TwinCreated(DEVICE, DEVICE, null, empty(), empty(), 1, 1, 1));
        for (int i = 0; i < Twin.IDEMPOTENCY_KEYS_KEPT; i++) {
            full.add(new ReportedPropertiesPatched(DEVICE, MAPPER.createObjectNode().put("n", i), i + 2, i + 2,
                    "key-" + i));
        }
        int next = Twin.IDEMPOTENCY_KEYS_KEPT;
        ReportedPropertiesPatched afterSnapshot = new ReportedPropertiesPatched(DEVICE,
                MAPPER.createObjectNode().put("n", next), next + 2, next + 2, "key-" + next);

        // The key added after the snapshot pushes out the oldest key remembered in it, and only that one.
        fixture().givenCurrentTime(T0).andGiven(snapshotOf(full)).andGiven(afterSnapshot)
                .when(new PatchReportedProperties(DEVICE, json("{\"n\":-1}"), "key-0"))
                .expectEvents(new ReportedPropertiesPatched(DEVICE, json("{\"n\":-1}"), next + 3, next + 3, "key-0"));
        fixture().givenCurrentTime(T0).andGiven(snapshotOf(full)).andGiven(afterSnapshot)
                .when(new PatchReportedProperties(DEVICE, json("{\"n\":-1}"), "key-1"))
                .expectNoEvents();
    }

    @Test
    void restoresADeletedTwinThatIsCreatedAgainAtTheNextVersion() {
        List<Object> deleted = new ArrayList<>(history());
        deleted.add(new TwinDeleted(DEVICE, 7));

        fixture().givenCurrentTime(T0).andGiven(snapshotOf(deleted))
                .when(new PutTwin(DEVICE, null, json("{\"t\":18}"), null, true))
                .expectEvents(new TwinCreated(DEVICE, DEVICE, null, empty(), json("{\"t\":18}"), 1, 1, 8));
    }

    // --- running a command on a twin from its events and on the same twin from its snapshot -----------------------

    private record Outcome(List<EventMessage<?>> events, TwinWriteResult result) {

        List<Object> payloads() {
            return events.stream().map(EventMessage::getPayload).map(Object.class::cast).toList();
        }

        String renderedTwin() {
            return result.twin() == null ? null : write(result.twin());
        }
    }

    private void assertSameOutcome(Object command) {
        Outcome fromEvents = run(fixture().givenCurrentTime(T0).andGiven(history()).andGivenCurrentTime(T1), command);
        Outcome fromSnapshot = run(fixture().givenCurrentTime(T0).andGiven(snapshotOf(history()))
                .andGivenCurrentTime(T1), command);

        assertThat(fromEvents.events()).isNotEmpty();
        assertThat(fromSnapshot.payloads()).isEqualTo(fromEvents.payloads());
        assertThat(fromSnapshot.result().version()).isEqualTo(fromEvents.result().version());
        assertThat(fromSnapshot.result().changed()).isEqualTo(fromEvents.result().changed());
        assertThat(fromSnapshot.renderedTwin()).isEqualTo(fromEvents.renderedTwin());
    }

    private static Outcome run(TestExecutor<Twin> given, Object command) {
        AtomicReference<List<EventMessage<?>>> events = new AtomicReference<>();
        AtomicReference<TwinWriteResult> result = new AtomicReference<>();
        given.when(command)
                .expectSuccessfulHandlerExecution()
                .expectEventsMatching(capture(events))
                .expectResultMessagePayloadMatching(satisfies(TwinWriteResult.class, "is captured", result::set));
        return new Outcome(events.get(), result.get());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Matcher<List<EventMessage<?>>> capture(AtomicReference<List<EventMessage<?>>> into) {
        return satisfies((Class<List<EventMessage<?>>>) (Class) List.class, "is captured",
                list -> into.set(List.copyOf(list)));
    }

    private static AggregateTestFixture<Twin> fixture() {
        AggregateTestFixture<Twin> fixture = new AggregateTestFixture<>(Twin.class);
        // Resources first: registering the factory builds the fixture's repository and its handler resolvers.
        fixture.registerInjectableResource(new TwinValidator(TwinLimits.AZURE));
        fixture.registerInjectableResource(DeviceStateMachines.defaults());
        fixture.registerInjectableResource(new InMemoryTwinRegistry());
        fixture.registerAggregateFactory(new SnapshotAwareTwinFactory());
        return fixture;
    }

    /**
     * The payload of a "snapshot event" given to the fixture: the serialized aggregate. Restoring deserializes a
     * fresh instance each time, because the fixture loads the aggregate twice (to handle the command, and again to
     * check that the events reproduce its state).
     */
    private record TwinSnapshot(SerializedObject<byte[]> serialized) {

        Twin restore() {
            return SERIALIZER.deserialize(serialized);
        }
    }

    /** Like Axon's own aggregate factories: a snapshot as the first event is the aggregate to start from. */
    private static final class SnapshotAwareTwinFactory implements AggregateFactory<Twin> {

        private final GenericAggregateFactory<Twin> fromEvents = new GenericAggregateFactory<>(Twin.class);

        @Override
        public Twin createAggregateRoot(String aggregateIdentifier, DomainEventMessage<?> firstEvent) {
            if (firstEvent.getPayload() instanceof TwinSnapshot snapshot) {
                return snapshot.restore();
            }
            return fromEvents.createAggregateRoot(aggregateIdentifier, firstEvent);
        }

        @Override
        public Class<Twin> getAggregateType() {
            return Twin.class;
        }
    }

    private static TwinSnapshot snapshotOf(List<Object> events) {
        return new TwinSnapshot(snapshot(folded(events, T0)));
    }

    // --- the aggregate outside Axon ------------------------------------------------------------------------------

    /** A twin folded from {@code events} through its own event-sourcing handlers, each event happening at {@code at}. */
    private static Twin folded(List<Object> events, Instant at) {
        Twin twin = new Twin();
        for (Object event : events) {
            if (event instanceof TwinCreated e) {
                twin.on(e, at);
            } else if (event instanceof TwinPatched e) {
                twin.on(e, at);
            } else if (event instanceof ReportedPropertiesPatched e) {
                twin.on(e, at);
            } else if (event instanceof TwinStatusChanged e) {
                twin.on(e, at);
            } else if (event instanceof TwinDeleted e) {
                twin.on(e, at);
            } else {
                throw new IllegalArgumentException("no handler in this test for " + event);
            }
        }
        return twin;
    }

    private static SerializedObject<byte[]> snapshot(Twin twin) {
        return SERIALIZER.serialize(twin, byte[].class);
    }

    private static Twin roundTrip(Twin twin) {
        SerializedObject<byte[]> serialized = snapshot(twin);
        assertThat(serialized.getType().getName()).isEqualTo(Twin.class.getName());
        return SERIALIZER.deserialize(serialized);
    }

    private static TwinState state(Twin twin) {
        return (TwinState) field(twin, "state");
    }

    @SuppressWarnings("unchecked")
    private static List<String> keys(Twin twin) {
        return new ArrayList<>((Collection<String>) field(twin, "idempotencyKeys"));
    }

    private static String rendered(Twin twin) {
        return write(state(twin).render());
    }

    private static Object field(Twin twin, String name) {
        try {
            Field field = Twin.class.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(twin);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }
}
