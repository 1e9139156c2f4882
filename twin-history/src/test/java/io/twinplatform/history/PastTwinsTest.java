package io.twinplatform.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.history.FindPastTwin;
import io.twinplatform.api.history.PastTwin;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static io.twinplatform.history.HistoryProjectionTest.created;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Point-in-time reads on a real PostgreSQL: a twin as of an instant or at a version comes from the history rows
 * within the retention, from the events before it (the same answer), and from the baseline for a twin whose rows left
 * the table; the fleet as it was ({@code twin_fleet_as_of}) holds each live twin's latest row then.
 */
class PastTwinsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HistorySide history = HistorySide.start(Duration.ofDays(2));
    private final Instant t = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);

    @AfterEach
    void close() {
        history.close();
    }

    @Test
    void aTwinAsOfAnInstantOrAtAVersionComesFromItsRows() {
        changedTwice("device");
        PastTwin first = history.pastTwins.find(FindPastTwin.asOf("device", t.plusMillis(500)));
        assertThat(first.version()).isEqualTo(1);
        assertThat(first.rebuiltFromEvents()).isFalse();
        assertThat(first.twin().at("/tags/site").asText()).isEqualTo("a");
        PastTwin second = history.pastTwins.find(new FindPastTwin("device", null, 2L));
        assertThat(second.twin().at("/tags/site").asText()).isEqualTo("b");
        assertThat(history.pastTwins.find(FindPastTwin.asOf("device", t.minusMillis(1)))).as("before it existed")
                .isNull();
        assertThat(history.pastTwins.find(FindPastTwin.asOf("device", t.plusSeconds(5)))).as("after its deletion")
                .isNull();
        assertThat(history.pastTwins.find(new FindPastTwin("device", null, 9L))).as("a version it never had").isNull();
    }

    @Test
    void readsPastTheRetentionAreRebuiltFromTheEventsWithTheSameAnswer() {
        changedTwice("device");
        PastTwin fromRows = history.pastTwins.find(FindPastTwin.asOf("device", t.plusMillis(500)));
        history.stop();

        try (HistorySide shorter = history.restart(Duration.ofHours(1))) {
            PastTwin rebuilt = shorter.pastTwins.find(FindPastTwin.asOf("device", t.plusMillis(500)));
            assertThat(rebuilt.rebuiltFromEvents()).isTrue();
            assertThat(json(rebuilt.twin())).isEqualTo(json(fromRows.twin()));
            assertThat(rebuilt.version()).isEqualTo(1);
            assertThat(shorter.pastTwins.find(FindPastTwin.asOf("device", t.minusMillis(1)))).isNull();
        }
    }

    @Test
    void twinsWhoseRowsLeftTheTableAreReadFromTheBaseline() {
        history.store(created("kept", "a"), t, "bob");
        history.store(new TwinPatched("kept", JSON.createObjectNode().put("site", "b"), null, 1, 2),
                t.plusSeconds(1), "alice");
        history.project();
        PastTwin current = history.pastTwins.find(FindPastTwin.asOf("kept", Instant.now()));
        history.stop();

        try (HistorySide shorter = history.restart(Duration.ofHours(1))) {
            // The retention run carries the twin's latest row into the baseline; then its rows leave the table
            // (what dropping their partition does, which here would take a day).
            shorter.retention.maintain();
            assertThat(shorter.database.jdbc().queryForObject(
                    "SELECT version FROM twin_history_baseline WHERE twin_id = 'kept'", Long.class)).isEqualTo(2L);
            shorter.database.jdbc().update("DELETE FROM twin_history WHERE twin_id = 'kept'");

            PastTwin now = shorter.pastTwins.find(FindPastTwin.asOf("kept", Instant.now()));
            assertThat(now.rebuiltFromEvents()).isFalse();
            assertThat(json(now.twin())).isEqualTo(json(current.twin()));
            assertThat(fleetAsOf(shorter, Instant.now())).containsExactly(Map.of("twin_id", "kept", "version", 2L,
                    "deleted", false));
        }
    }

    @Test
    void theFleetAsItWasHoldsEachTwinsLatestRowThen() {
        changedTwice("device");
        history.store(created("other", "x"), t.plusSeconds(1), "bob");
        history.project();
        assertThat(fleetAsOf(history, t.minusMillis(1))).isEmpty();
        assertThat(fleetAsOf(history, t.plusMillis(500)))
                .containsExactly(Map.of("twin_id", "device", "version", 1L, "deleted", false));
        assertThat(fleetAsOf(history, t.plusSeconds(5))).as("a deleted twin is not in the fleet")
                .containsExactly(Map.of("twin_id", "other", "version", 1L, "deleted", false));
    }

    /** Created at t (site a), patched at t + 1 s (site b), deleted at t + 2 s; projected. */
    private void changedTwice(String twinId) {
        history.store(created(twinId, "a"), t, "bob");
        history.store(new TwinPatched(twinId, JSON.createObjectNode().put("site", "b"), null, 1, 2),
                t.plusSeconds(1), "alice");
        history.store(new TwinDeleted(twinId, 3), t.plusSeconds(2), "alice");
        history.project();
    }

    /** The document as JSON text reads it: numbers compared by value, whatever node type made them. */
    private static JsonNode json(JsonNode document) {
        try {
            return JSON.readTree(document.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Map<String, Object>> fleetAsOf(HistorySide side, Instant at) {
        return side.database.jdbc().queryForList(
                "SELECT twin_id, version, deleted FROM twin_fleet_as_of(?) ORDER BY twin_id", Timestamp.from(at));
    }
}
