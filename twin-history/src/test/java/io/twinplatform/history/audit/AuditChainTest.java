package io.twinplatform.history.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.testsupport.database.TestDatabase;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Tamper evidence of the event store on a real PostgreSQL: the audit chain links every stored event once, and the
 * verifier finds an edited, deleted, reordered or inserted event at the first broken place. The history table's
 * checks need the history projection and the event store's reader: deploy's AuditVerifyTest covers them.
 */
class AuditChainTest {

    private static final ObjectMapper EVENTS = TwinJson.newMapper();
    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    private final TestDatabase database = TestDatabase.fresh(TestDatabase.PLATFORM, TestDatabase.HISTORY);
    private final JdbcTemplate jdbc = database.jdbc();
    private final AuditChain chain = new AuditChain(jdbc);
    // Chain checks only (history = false): the retention and the event fold serve the history checks alone.
    private final AuditVerifier verifier = new AuditVerifier(jdbc, database.transactions(), null, null, null);
    private final List<EventMessage<?>> stored = new ArrayList<>();
    private List<Long> indexes;

    @BeforeEach
    void aTwinWithAFewEventsChained() {
        store(new TwinCreated("device", "device", null, EVENTS.createObjectNode().put("site", "a"),
                EVENTS.createObjectNode(), 1, 1, 1), "bob");
        store(new TwinPatched("device", EVENTS.createObjectNode().put("site", "b"), null, 1, 2), "alice");
        store(new TwinCreated("other", "other", null, EVENTS.createObjectNode(), EVENTS.createObjectNode(), 1, 1, 1),
                "bob");
        // A hole in the indexes, as a rolled-back transaction leaves one.
        jdbc.queryForObject("SELECT nextval(pg_get_serial_sequence('domain_event_entry', 'global_index'))", Long.class);
        store(new ReportedPropertiesPatched("device", EVENTS.createObjectNode().put("fan", 1), 2, 3, null), "device");
        chain(stored.subList(0, 2));
        chain(stored.subList(2, 4));
        indexes = jdbc.queryForList("SELECT global_index FROM domain_event_entry WHERE aggregate_identifier = 'device'"
                + " ORDER BY sequence_number", Long.class);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void anUntouchedStoreVerifiesWholeByTwinAndByTime() {
        AuditVerifier.Result whole = verify(null);
        assertThat(whole.valid()).as("%s", whole).isTrue();
        assertThat(whole.checked()).isEqualTo(4);
        assertThat(whole.firstBrokenAt()).isNull();
        AuditVerifier.Result one = verify("device");
        assertThat(one.valid()).isTrue();
        assertThat(one.checked()).isEqualTo(3);
        AuditVerifier.Result range = verifier.verify(null, T.plusSeconds(2), T.plusSeconds(4), false);
        assertThat(range.valid()).isTrue();
        assertThat(range.checked()).isEqualTo(2);
        assertThat(jdbc.queryForList("SELECT position FROM event_chain ORDER BY global_index", Long.class))
                .containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aRedeliveredEventIsNotChainedAgain() {
        List<String> hashes = jdbc.queryForList("SELECT hash FROM event_chain ORDER BY position", String.class);
        chain(stored);
        assertThat(jdbc.queryForList("SELECT hash FROM event_chain ORDER BY position", String.class))
                .isEqualTo(hashes);
        assertThat(verify(null).valid()).isTrue();
    }

    @Test
    void anEditedEventIsFound() {
        long edited = indexes.get(1);
        asOwner("UPDATE domain_event_entry SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '\"b\"',"
                + " '\"evil\"'), 'UTF8') WHERE global_index = " + edited);
        AuditVerifier.Result result = verify(null);
        assertThat(result.valid()).isFalse();
        assertThat(result.firstBrokenAt().globalIndex()).isEqualTo(edited);
        assertThat(result.firstBrokenAt().reason()).contains("altered");
        assertThat(result.checked()).isEqualTo(2);
        assertThat(verify("device").valid()).isFalse();
        assertThat(verify("other").valid()).as("another twin's events are intact").isTrue();
    }

    @Test
    void anEditedMetadataEntryIsFound() {
        long edited = indexes.get(1);
        asOwner("UPDATE domain_event_entry SET meta_data = convert_to('{\"principal\":\"mallory\"}', 'UTF8')"
                + " WHERE global_index = " + edited);
        assertThat(verify(null).firstBrokenAt().globalIndex()).isEqualTo(edited);
    }

    @Test
    void aDeletedEventIsFound() {
        long deleted = indexes.get(2);
        asOwner("DELETE FROM domain_event_entry WHERE global_index = " + deleted);
        AuditVerifier.Result result = verify(null);
        assertThat(result.valid()).isFalse();
        assertThat(result.firstBrokenAt().globalIndex()).isEqualTo(deleted);
        assertThat(result.firstBrokenAt().reason()).contains("deleted");
    }

    @Test
    void reorderedEventsAreFound() {
        long first = indexes.get(0);
        long second = indexes.get(1);
        asOwner("UPDATE domain_event_entry e SET payload = s.payload"
                + " FROM (SELECT global_index, payload FROM domain_event_entry WHERE global_index IN (" + first + ", "
                + second + ")) s WHERE s.global_index = CASE e.global_index WHEN " + first + " THEN " + second
                + " ELSE " + first + " END AND e.global_index IN (" + first + ", " + second + ")");
        AuditVerifier.Result result = verify(null);
        assertThat(result.valid()).isFalse();
        assertThat(result.firstBrokenAt().globalIndex()).isEqualTo(first);
    }

    @Test
    void anEventInsertedBelowTheChainsHeadIsFound() {
        long hole = indexes.get(2) - 1;
        jdbc.update("INSERT INTO domain_event_entry (global_index, event_identifier, meta_data, payload, payload_type,"
                + " time_stamp, aggregate_identifier, sequence_number) VALUES (?, 'forged', ?, ?, 'java.lang.String',"
                + " ?, 'forged', 0)", hole, "{}".getBytes(StandardCharsets.UTF_8),
                "\"forged\"".getBytes(StandardCharsets.UTF_8), T.toString());
        AuditVerifier.Result result = verify(null);
        assertThat(result.valid()).as("%s", result).isFalse();
        assertThat(result.firstBrokenAt().globalIndex()).isEqualTo(hole);
        assertThat(result.firstBrokenAt().reason()).contains("inserted");
    }

    @Test
    void anEventTheChainHasNotReachedYetIsNoBreak() {
        store(new TwinPatched("device", EVENTS.createObjectNode().put("site", "c"), null, 1, 4), "alice");
        assertThat(verify(null).valid()).isTrue();
        chain(stored.subList(4, 5));
        assertThat(verify(null).checked()).isEqualTo(5);
    }

    @Test
    void newLinksHashTheStoredBytesAndTheDatabaseComputesTheSameHash() {
        // Columns as another writer might leave them: no aggregate type, a payload that is not JSON, text beyond
        // ASCII and beyond 16 bits.
        jdbc.update("INSERT INTO domain_event_entry (event_identifier, meta_data, payload, payload_type, time_stamp,"
                + " aggregate_identifier, sequence_number) VALUES ('odd', NULL, ?, 'é.Type', ?, 'odd-twin-😀', 0)",
                new byte[]{(byte) 0xff, 0, 1}, T.toString());
        stored.add(new GenericEventMessage<>("odd", "odd", MetaData.emptyInstance(), T));
        chain(stored.subList(4, 5));
        assertThat(jdbc.queryForList("SELECT DISTINCT form FROM event_chain", Integer.class)).containsExactly(2);
        List<Map<String, Object>> links = jdbc.queryForList("""
                SELECT c.hash, event_chain_link(coalesce(p.hash, ?), e.global_index, e.event_identifier,
                    e.aggregate_identifier, e.sequence_number, e.type, e.payload_type, e.payload_revision, e.time_stamp,
                    e.payload, e.meta_data) AS computed
                FROM event_chain c LEFT JOIN event_chain p ON p.position = c.position - 1
                JOIN domain_event_entry e ON e.global_index = c.global_index ORDER BY c.position""", StoredEvent.ZERO);
        assertThat(links).hasSize(5).allSatisfy(link -> assertThat(link.get("computed")).isEqualTo(link.get("hash")));
        assertThat(verify(null).valid()).isTrue();
        assertThat(verify("odd-twin-😀").valid()).isTrue();
    }

    @Test
    void linksOfTheFirstFormStillVerifyBeforeAndAmongLinksOfTheSecond() {
        // A store chained before V28: the same events linked in the canonical form, as form-1 links.
        jdbc.execute("ALTER TABLE event_chain DISABLE TRIGGER USER");
        jdbc.execute("DELETE FROM event_chain");
        jdbc.execute("ALTER TABLE event_chain ENABLE TRIGGER USER");
        List<StoredEvent> events = jdbc.query("SELECT " + StoredEvent.COLUMNS + " FROM domain_event_entry"
                + " ORDER BY global_index", (rs, n) -> StoredEvent.read(rs));
        String hash = StoredEvent.ZERO;
        for (int i = 0; i < 3; i++) {
            hash = events.get(i).canonicalLink(hash);
            jdbc.update("INSERT INTO event_chain (position, global_index, event_id, twin_id, hash)"
                            + " VALUES (?, ?, ?, ?, ?)",
                    i + 1, events.get(i).globalIndex(), events.get(i).eventId(), events.get(i).aggregateId(), hash);
        }
        chain(stored.subList(3, 4));
        assertThat(jdbc.queryForList("SELECT form FROM event_chain ORDER BY position", Integer.class))
                .containsExactly(1, 1, 1, 2);
        verifier.range = 2;
        AuditVerifier.Result intact = verify(null);
        assertThat(intact.valid()).as("%s", intact).isTrue();
        assertThat(intact.checked()).isEqualTo(4);
        assertThat(verify("device").valid()).isTrue();

        asOwner("UPDATE domain_event_entry SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '\"b\"',"
                + " '\"evil\"'), 'UTF8') WHERE global_index = " + indexes.get(1));
        AuditVerifier.Result result = verify(null);
        assertThat(result.firstBrokenAt().position()).as("%s", result).isEqualTo(2);
        assertThat(result.firstBrokenAt().reason()).contains("altered");
        assertThat(result.checked()).isEqualTo(2);
        assertThat(verify("device").firstBrokenAt().position()).isEqualTo(2);
    }

    @Test
    void aBreakIsFoundInWhicheverRangeOfTheChainItLies() {
        store(new TwinPatched("device", EVENTS.createObjectNode().put("site", "c"), null, 1, 4), "alice");
        store(new TwinPatched("device", EVENTS.createObjectNode().put("site", "d"), null, 1, 5), "alice");
        chain(stored.subList(4, 6));
        verifier.range = 2;
        assertThat(verify(null).valid()).isTrue();
        assertThat(verify(null).checked()).isEqualTo(6);
        long fifth = jdbc.queryForObject("SELECT global_index FROM event_chain WHERE position = 5", Long.class);
        asOwner("UPDATE domain_event_entry SET meta_data = convert_to('{\"principal\":\"mallory\"}', 'UTF8')"
                + " WHERE global_index = " + fifth);
        AuditVerifier.Result result = verify(null);
        assertThat(result.firstBrokenAt().position()).as("%s", result).isEqualTo(5);
        assertThat(result.checked()).isEqualTo(5);
        long third = jdbc.queryForObject("SELECT global_index FROM event_chain WHERE position = 3", Long.class);
        asOwner("UPDATE domain_event_entry SET event_identifier = 'swapped' WHERE global_index = " + third);
        result = verify(null);
        assertThat(result.firstBrokenAt().position()).as("the earlier break wins").isEqualTo(3);
        assertThat(result.firstBrokenAt().reason()).contains("another event");
    }

    @Test
    void aDeletedLinkIsFound() {
        jdbc.execute("ALTER TABLE event_chain DISABLE TRIGGER USER");
        try {
            jdbc.execute("DELETE FROM event_chain WHERE position = 3");
        } finally {
            jdbc.execute("ALTER TABLE event_chain ENABLE TRIGGER USER");
        }
        AuditVerifier.Result whole = verify(null);
        assertThat(whole.valid()).isFalse();
        assertThat(whole.firstBrokenAt().position()).isEqualTo(3);
        assertThat(whole.firstBrokenAt().reason()).contains("link missing");
        AuditVerifier.Result one = verify("device");
        assertThat(one.firstBrokenAt().position()).as("%s", one).isEqualTo(3);
        assertThat(one.firstBrokenAt().reason()).contains("link missing");
    }

    @Test
    void theChainItselfIsAppendOnly() {
        assertThat(catchThrowable(() -> jdbc.update("DELETE FROM event_chain WHERE global_index = ?", indexes.get(0))))
                .hasMessageContaining("append-only");
        assertThat(catchThrowable(() -> jdbc.update("UPDATE event_chain SET hash = ?", "0".repeat(64))))
                .hasMessageContaining("append-only");
    }

    private AuditVerifier.Result verify(String twinId) {
        return verifier.verify(twinId, null, null, false);
    }

    /** Stores {@code event} as Axon's JDBC store writes it (Jackson JSON), a second after the previous one. */
    private void store(TwinEvent event, String principal) {
        String eventId = UUID.randomUUID().toString();
        Instant at = T.plusSeconds(stored.size() + 1);
        try {
            jdbc.update("INSERT INTO domain_event_entry (event_identifier, meta_data, payload, payload_revision,"
                            + " payload_type, time_stamp, aggregate_identifier, sequence_number, type)"
                            + " VALUES (?, ?, ?, '1', ?, ?, ?, ?, 'Twin')", eventId,
                    EVENTS.writeValueAsBytes(Map.of("principal", principal)), EVENTS.writeValueAsBytes(event),
                    event.getClass().getName(), at.toString(), event.twinId(), event.version() - 1);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        stored.add(new GenericEventMessage<>(eventId, event, MetaData.with("principal", principal), at));
    }

    /** Hands {@code events} to the chain as one batch of its processor: one unit of work, one transaction. */
    private void chain(List<EventMessage<?>> events) {
        database.transaction().executeWithoutResult(status -> {
            DefaultUnitOfWork<EventMessage<?>> unitOfWork = DefaultUnitOfWork.startAndGet(events.get(0));
            events.forEach(chain::on);
            unitOfWork.commit();
        });
    }

    /** Runs SQL on the event store as its owner can: with its append-only triggers off for the moment. */
    private void asOwner(String sql) {
        jdbc.execute("ALTER TABLE domain_event_entry DISABLE TRIGGER USER");
        try {
            jdbc.execute(sql);
        } finally {
            jdbc.execute("ALTER TABLE domain_event_entry ENABLE TRIGGER USER");
        }
    }
}
