package io.twinplatform.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinPatched;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The publisher's twin states: right after every event whatever order it meets events in (in order, after a start
 * with nothing cached, during a replay of older events, with a tiny cache), checked against a fold of the stored
 * events up to the same version.
 */
class TwinStatesTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final Instant T0 = Instant.parse("2026-11-24T08:00:00Z");
    private final EmbeddedEventStore store = EmbeddedEventStore.builder()
            .storageEngine(new InMemoryEventStorageEngine()).build();
    private final EventFold fold = new EventFold(store);
    private final List<Stored> stored = new ArrayList<>();

    private record Stored(TwinEvent event, Instant at) {
    }

    @AfterEach
    void shutDown() {
        store.shutDown();
    }

    @Test
    void inOrderEachStateIsTheFoldUpToThatEvent() {
        history("t1");
        TwinStates states = new TwinStates(fold, 100);

        for (Stored each : stored) {
            assertThat(states.after(each.event(), each.at()).toJson()).isEqualTo(folded(each.event()));
        }
    }

    @Test
    void aTwinNotCachedIsFoldedFromTheStoreUpToTheEvent() {
        history("t1");
        TwinStates cold = new TwinStates(fold, 100);
        Stored third = stored.get(2);

        assertThat(cold.after(third.event(), third.at()).toJson()).isEqualTo(folded(third.event()));
    }

    @Test
    void aReplayedOlderEventGetsTheStateOfItsOwnTimeNotTheLatest() {
        history("t1");
        TwinStates states = new TwinStates(fold, 100);
        stored.forEach(each -> states.after(each.event(), each.at()));

        for (Stored each : stored.subList(1, stored.size())) {
            assertThat(states.after(each.event(), each.at()).toJson()).as("replayed v%d", each.event().version())
                    .isEqualTo(folded(each.event()));
        }
    }

    @Test
    void aTinyCacheStaysRightAcrossTwins() {
        history("t1");
        history("t2");
        TwinStates states = new TwinStates(fold, 1);
        List<Stored> interleaved = new ArrayList<>();
        int half = stored.size() / 2;
        for (int i = 0; i < half; i++) {
            interleaved.add(stored.get(i));
            interleaved.add(stored.get(half + i));
        }

        for (Stored each : interleaved) {
            assertThat(states.after(each.event(), each.at()).toJson()).isEqualTo(folded(each.event()));
        }
    }

    @Test
    void anEventWithoutItsEarlierEventsInTheStoreIsAnError() {
        TwinStates states = new TwinStates(fold, 10);

        assertThatThrownBy(() -> states.after(new TwinPatched("ghost", null, obj("a", 1), 2, 2), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ghost");
    }

    /** Created, patched, reported, deleted and created again: versions 1 to 6. */
    private void history(String twin) {
        append(new TwinCreated(twin, twin, null, obj("site", "north"), obj("interval", 30), 1, 1, 1));
        append(new TwinPatched(twin, null, obj("interval", 45), 2, 2));
        append(new ReportedPropertiesPatched(twin, obj("interval", 45), 2, 3, null));
        append(new TwinPatched(twin, obj("floor", 2), null, 2, 4));
        append(new TwinDeleted(twin, 5));
        append(new TwinCreated(twin, twin, null, obj("site", "south"), obj(), 1, 1, 6));
    }

    private void append(TwinEvent event) {
        Instant at = T0.plusSeconds(stored.size());
        store.publish(new GenericDomainEventMessage<>("Twin", event.twinId(), event.version() - 1, event,
                MetaData.emptyInstance(), UUID.randomUUID().toString(), at));
        stored.add(new Stored(event, at));
    }

    private String folded(TwinEvent event) {
        TwinState state = fold.fold(event.twinId(), event.version(), null);
        return state.toJson();
    }

    private static ObjectNode obj(Object... keyValues) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < keyValues.length; i += 2) {
            node.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
        }
        return node;
    }
}
