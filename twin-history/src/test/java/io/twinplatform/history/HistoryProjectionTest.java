package io.twinplatform.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import org.axonframework.eventhandling.EventMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code twin-history} projection on a real PostgreSQL, fed events Axon's JDBC store holds: one row per event
 * saying what changed, who did it and what the twin was after it; a redelivery writes nothing twice; a history that
 * starts after its twin folds the earlier events from the store; an event past the retention (a replay) moves the
 * twin's baseline instead of writing a row.
 */
class HistoryProjectionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HistorySide history = HistorySide.start(Duration.ofDays(2));

    @AfterEach
    void close() {
        history.close();
    }

    @Test
    void eachEventWritesOneRowWithWhatChangedWhoDidItAndTheTwinAfterIt() throws Exception {
        Instant t = Instant.now().minus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
        history.store(created("device", "a"), t, "bob");
        history.store(new TwinPatched("device", JSON.createObjectNode().put("site", "b"), null, 1, 2),
                t.plusSeconds(1), "alice");
        history.store(new ReportedPropertiesPatched("device", JSON.createObjectNode().put("fan", 1), 2, 3, null),
                t.plusSeconds(2), "device");
        history.store(new TwinDeleted("device", 4), t.plusSeconds(3), "alice");
        history.project();

        List<Map<String, Object>> rows = history.database.jdbc().queryForList("""
                SELECT h.version, h.event_type, h.principal, array_to_string(h.paths, ',') AS paths, h.time,
                       h.state::text AS state, h.global_index = e.global_index AS indexed
                FROM twin_history h JOIN domain_event_entry e ON e.event_identifier = h.event_id
                WHERE h.twin_id = 'device' ORDER BY h.version""");
        assertThat(rows).extracting(row -> row.get("event_type")).containsExactly("TwinCreated", "TwinPatched",
                "ReportedPropertiesPatched", "TwinDeleted");
        assertThat(rows).extracting(row -> row.get("principal")).containsExactly("bob", "alice", "device", "alice");
        assertThat(rows).extracting(row -> row.get("indexed")).containsOnly(true);
        assertThat(rows.get(1).get("paths")).isEqualTo("tags.site");
        assertThat(((Timestamp) rows.get(1).get("time")).toInstant()).isEqualTo(t.plusSeconds(1));
        JsonNode second = JSON.readTree((String) rows.get(1).get("state"));
        assertThat(second.at("/tags/site").asText()).isEqualTo("b");
        assertThat(second.at("/version").asLong()).isEqualTo(2);
        JsonNode third = JSON.readTree((String) rows.get(2).get("state"));
        assertThat(third.at("/properties/reported/fan").asInt()).isEqualTo(1);
        assertThat(third.at("/tags/site").asText()).isEqualTo("b");
        assertThat(rows.get(3).get("state")).as("the row of a deletion holds no twin").isNull();
    }

    @Test
    void aRedeliveredBatchWritesNothingTwice() {
        Instant t = Instant.now().minus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
        List<EventMessage<?>> batch = List.of(history.store(created("device", "a"), t, "bob"),
                history.store(new TwinPatched("device", JSON.createObjectNode().put("site", "b"), null, 1, 2),
                        t.plusSeconds(1), "alice"));
        history.project(batch);
        history.project(batch);
        assertThat(history.database.jdbc().queryForList("SELECT version FROM twin_history ORDER BY version",
                Long.class)).containsExactly(1L, 2L);
    }

    @Test
    void aHistoryThatStartsAfterItsTwinFoldsTheEarlierEventsFromTheStore() throws Exception {
        Instant t = Instant.now().minus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
        history.store(created("device", "a"), t, "bob");
        EventMessage<?> patch = history.store(new TwinPatched("device", JSON.createObjectNode().put("floor", 3), null,
                1, 2), t.plusSeconds(1), "alice");
        history.project(List.of(patch));
        JsonNode state = JSON.readTree(history.database.jdbc().queryForObject(
                "SELECT state::text FROM twin_history WHERE twin_id = 'device' AND version = 2", String.class));
        assertThat(state.get("tags")).isEqualTo(JSON.readTree("{\"site\":\"a\",\"floor\":3}"));
    }

    @Test
    void anEventPastTheRetentionMovesTheBaselineInsteadOfWritingARow() {
        history.close();
        history = HistorySide.start(Duration.ofHours(1));
        Instant old = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        history.store(created("device", "a"), old, "bob");
        history.store(new TwinPatched("device", JSON.createObjectNode().put("site", "b"), null, 1, 2),
                old.plusSeconds(1), "alice");
        history.project();
        assertThat(history.database.jdbc().queryForObject("SELECT count(*) FROM twin_history", Long.class)).isZero();
        assertThat(history.database.jdbc().queryForObject(
                "SELECT version FROM twin_history_baseline WHERE twin_id = 'device'", Long.class)).isEqualTo(2L);
    }

    static TwinCreated created(String twinId, String site) {
        return new TwinCreated(twinId, twinId, null, JSON.createObjectNode().put("site", site),
                JSON.createObjectNode(), 1, 1, 1);
    }
}
