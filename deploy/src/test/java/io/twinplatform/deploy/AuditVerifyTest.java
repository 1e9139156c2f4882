package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tamper evidence: the hash chain and the history verify as valid, and editing, deleting or reordering a stored
 * event, or editing or deleting a history row, by SQL is detected at the first broken place. Every test puts the
 * rows back as they were, so the store verifies again afterwards.
 */
class AuditVerifyTest extends PlatformTestSupport {

    @Autowired
    JdbcTemplate jdbc;

    String device;
    List<Long> indexes;

    @BeforeEach
    void aTwinWithAFewEvents() {
        device = createDevice("{'tags':{'site':'a'}}");
        http.patch("/twins/" + device, q("{'tags':{'site':'b'}}"), "X-Principal", "alice");
        http.patch("/twins/" + device + "/properties/reported", q("{'fan':1}"));
        indexes = jdbc.queryForList("SELECT global_index FROM domain_event_entry WHERE aggregate_identifier = ?"
                + " ORDER BY sequence_number", Long.class, device);
        awaitChainAndHistory();
    }

    @Test
    void anUntouchedStoreVerifies() {
        JsonNode whole = verify("{}");
        assertThat(whole.get("valid").asBoolean()).as("%s", whole).isTrue();
        assertThat(whole.get("checked").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(whole.get("firstBrokenAt").isNull()).isTrue();
        JsonNode one = verify("{'twinId':'" + device + "'}");
        assertThat(one.get("valid").asBoolean()).isTrue();
        assertThat(one.get("checked").asLong()).isEqualTo(3);
        assertThat(one.get("historyRowsChecked").asLong()).isEqualTo(3);
        assertThat(verify("{'from':'2000-01-01T00:00:00Z','to':'2100-01-01T00:00:00Z'}").get("valid").asBoolean()).isTrue();
        assertThat(http.get("/audit/head").json().get("hash").asText()).hasSize(64);
    }

    @Test
    void anEditedEventIsFound() {
        long edited = indexes.get(1);
        byte[] original = jdbc.queryForObject("SELECT payload FROM domain_event_entry WHERE global_index = ?",
                byte[].class, edited);
        try {
            asOwner("UPDATE domain_event_entry SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '\"b\"',"
                    + " '\"evil\"'), 'UTF8') WHERE global_index = " + edited);
            JsonNode result = verify("{}");
            assertThat(result.get("valid").asBoolean()).isFalse();
            assertThat(result.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(edited);
            assertThat(result.at("/firstBrokenAt/reason").asText()).contains("altered");
            assertThat(verify("{'twinId':'" + device + "'}").get("valid").asBoolean()).isFalse();
        } finally {
            jdbc.update("ALTER TABLE domain_event_entry DISABLE TRIGGER USER");
            jdbc.update("UPDATE domain_event_entry SET payload = ? WHERE global_index = ?", original, edited);
            jdbc.update("ALTER TABLE domain_event_entry ENABLE TRIGGER USER");
        }
        assertThat(verify("{}").get("valid").asBoolean()).isTrue();
    }

    @Test
    void aDeletedEventIsFound() {
        long deleted = indexes.get(2);
        jdbc.execute("CREATE TABLE saved_event AS SELECT * FROM domain_event_entry WHERE global_index = " + deleted);
        try {
            asOwner("DELETE FROM domain_event_entry WHERE global_index = " + deleted);
            JsonNode result = verify("{}");
            assertThat(result.get("valid").asBoolean()).isFalse();
            assertThat(result.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(deleted);
            assertThat(result.at("/firstBrokenAt/reason").asText()).contains("deleted");
        } finally {
            asOwner("INSERT INTO domain_event_entry SELECT * FROM saved_event");
            jdbc.execute("DROP TABLE saved_event");
        }
        assertThat(verify("{}").get("valid").asBoolean()).isTrue();
    }

    @Test
    void reorderedEventsAreFound() {
        long first = indexes.get(0);
        long second = indexes.get(1);
        jdbc.execute("CREATE TABLE saved_pair AS SELECT global_index, payload FROM domain_event_entry"
                + " WHERE global_index IN (" + first + ", " + second + ")");
        try {
            asOwner("UPDATE domain_event_entry e SET payload = s.payload FROM saved_pair s"
                    + " WHERE s.global_index = CASE e.global_index WHEN " + first + " THEN " + second + " ELSE " + first
                    + " END AND e.global_index IN (" + first + ", " + second + ")");
            JsonNode result = verify("{}");
            assertThat(result.get("valid").asBoolean()).isFalse();
            assertThat(result.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(first);
        } finally {
            asOwner("UPDATE domain_event_entry e SET payload = s.payload FROM saved_pair s"
                    + " WHERE s.global_index = e.global_index");
            jdbc.execute("DROP TABLE saved_pair");
        }
        assertThat(verify("{}").get("valid").asBoolean()).isTrue();
    }

    @Test
    void anEditedOrDeletedHistoryRowIsFound() {
        jdbc.update("UPDATE twin_history SET principal = 'mallory' WHERE twin_id = ? AND version = 2", device);
        JsonNode edited = verify("{'twinId':'" + device + "'}");
        assertThat(edited.get("valid").asBoolean()).isFalse();
        assertThat(edited.at("/firstBrokenAt/reason").asText()).contains("version 2");
        // The chain alone covers the event store, not the history table.
        JsonNode chainOnly = verify("{'twinId':'" + device + "','history':false}");
        assertThat(chainOnly.get("valid").asBoolean()).isTrue();
        assertThat(chainOnly.get("historyRowsChecked").asLong()).isZero();
        jdbc.update("UPDATE twin_history SET principal = 'alice' WHERE twin_id = ? AND version = 2", device);
        assertThat(verify("{'twinId':'" + device + "'}").get("valid").asBoolean()).isTrue();

        jdbc.execute("CREATE TABLE saved_row AS SELECT * FROM twin_history WHERE twin_id = '" + device
                + "' AND version = 3");
        try {
            jdbc.update("DELETE FROM twin_history WHERE twin_id = ? AND version = 3", device);
            JsonNode deleted = verify("{}");
            assertThat(deleted.get("valid").asBoolean()).isFalse();
            assertThat(deleted.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(indexes.get(2));
            assertThat(deleted.at("/firstBrokenAt/reason").asText()).contains("history row missing");
        } finally {
            jdbc.execute("INSERT INTO twin_history SELECT * FROM saved_row");
            jdbc.execute("DROP TABLE saved_row");
        }
        assertThat(verify("{}").get("valid").asBoolean()).isTrue();
    }

    @Test
    void anEditedHistoryStateIsFoundByFoldingTheTwinsEvents() {
        jdbc.update("UPDATE twin_history SET state = jsonb_set(state, '{tags,owner}', '\"mallory\"')"
                + " WHERE twin_id = ? AND version = 2", device);
        try {
            JsonNode edited = verify("{'twinId':'" + device + "'}");
            assertThat(edited.get("valid").asBoolean()).isFalse();
            assertThat(edited.at("/firstBrokenAt/reason").asText())
                    .contains("version 2").contains("its events do not give");
        } finally {
            jdbc.update("UPDATE twin_history SET state = state #- '{tags,owner}' WHERE twin_id = ? AND version = 2",
                    device);
        }
        assertThat(verify("{'twinId':'" + device + "'}").get("valid").asBoolean()).isTrue();
    }

    @Test
    void theChainItselfIsAppendOnly() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> jdbc.update("DELETE FROM event_chain WHERE global_index = ?", indexes.get(0))))
                .hasMessageContaining("append-only");
    }

    @Test
    void refusesABadRequest() {
        TwinHttp.assertProblem(http.post("/audit/verify", q("{'from':'monday'}")), 400, "invalidParameter");
        TwinHttp.assertProblem(http.post("/audit/verify", q("{'twinId':5}")), 400, "invalidParameter");
        TwinHttp.assertProblem(http.post("/audit/verify", q("{'history':'no'}")), 400, "invalidParameter");
        TwinHttp.assertProblem(http.post("/audit/verify", q("{'twin':'" + device + "'}")), 400, "unknownMember");
    }

    private JsonNode verify(String body) {
        Reply reply = http.post("/audit/verify", q(body));
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        return reply.json();
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

    private void awaitChainAndHistory() {
        long last = indexes.get(indexes.size() - 1);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Long chained = jdbc.queryForObject("SELECT count(*) FROM event_chain WHERE global_index = ?", Long.class, last);
            Long rows = jdbc.queryForObject("SELECT count(*) FROM twin_history WHERE twin_id = ?", Long.class, device);
            if (chained != null && chained == 1 && rows != null && rows == indexes.size()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("the chain and the history did not reach global index " + last);
    }
}
