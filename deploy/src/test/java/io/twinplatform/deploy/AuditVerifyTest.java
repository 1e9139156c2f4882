package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tamper evidence through {@code POST /audit/verify} on the running platform: the hash chain and the history verify
 * as valid, editing or deleting a history row by SQL is detected, and an event that committed late, behind one the
 * chain processor already chained, is not taken for an inserted one. Every test puts the rows back as they were, so
 * the store verifies again afterwards. Edited, deleted, reordered and inserted events are twin-history's own test
 * ({@code io.twinplatform.history.audit.AuditChainTest}).
 */
class AuditVerifyTest extends PlatformTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    DataSource dataSource;

    @Autowired
    EventProcessingConfiguration processing;

    String device;
    List<Long> indexes;

    @BeforeEach
    void aTwinWithAFewEvents() {
        device = createDevice("{'tags':{'site':'a'}}");
        http.as("alice").http().patch("/twins/" + device, q("{'tags':{'site':'b'}}"));
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
    void anEventCommittedAfterALaterOneWasChainedIsPendingNotInserted() throws SQLException {
        try (Connection late = dataSource.getConnection()) {
            late.setAutoCommit(false);
            // This transaction draws its global index first and commits last, as a slow writer's can.
            long pending = insertEvent(late, null, Instant.now());
            http.patch("/twins/" + device, q("{'tags':{'site':'c'}}"));
            long later = jdbc.queryForObject("SELECT max(global_index) FROM domain_event_entry"
                    + " WHERE aggregate_identifier = ?", Long.class, device);
            assertThat(later).isGreaterThan(pending);
            awaitChained(later);
            EventProcessor chain = processing.eventProcessor("audit-chain").orElseThrow();
            chain.shutDown();
            try {
                late.commit();
                JsonNode result = verify("{}");
                assertThat(chained(pending)).as("chained while its processor is stopped").isFalse();
                assertThat(result.get("valid").asBoolean()).as("%s", result).isTrue();
            } finally {
                chain.start();
            }
            awaitChained(pending);
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
        jdbc.update("UPDATE twin_history SET principal = ? WHERE twin_id = ? AND version = 2", http.as("alice").principal(),
                device);
        assertThat(verify("{'twinId':'" + device + "'}").get("valid").asBoolean()).isTrue();

        jdbc.execute("CREATE TABLE saved_row AS SELECT * FROM twin_history WHERE twin_id = '" + device
                + "' AND version = 3");
        try {
            jdbc.update("DELETE FROM twin_history WHERE twin_id = ? AND version = 3", device);
            JsonNode deleted = verify("{}");
            assertThat(deleted.get("valid").asBoolean()).isFalse();
            assertThat(deleted.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(indexes.get(2));
            assertThat(deleted.at("/firstBrokenAt/reason").asText()).contains("history row missing");
            // Without the twin's head either, the row is known missing because the history's processor (twin-state,
            // which it shares with current state) has passed its event.
            jdbc.execute("CREATE TABLE saved_head AS SELECT * FROM twin_history_head WHERE twin_id = '" + device + "'");
            try {
                jdbc.update("DELETE FROM twin_history_head WHERE twin_id = ?", device);
                // (once every segment's token has passed the event: an idle segment stores its token a moment later)
                JsonNode headless = await("the missing row found").atMost(WAIT).pollInterval(POLL)
                        .until(() -> verify("{}"), result -> !result.get("valid").asBoolean());
                assertThat(headless.at("/firstBrokenAt/globalIndex").asLong()).isEqualTo(indexes.get(2));
                assertThat(headless.at("/firstBrokenAt/reason").asText()).contains("history row missing");
            } finally {
                jdbc.execute("INSERT INTO twin_history_head SELECT * FROM saved_head");
                jdbc.execute("DROP TABLE saved_head");
            }
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
    void aVerificationInTheBackgroundShowsItsProgressAndEndsWithTheSameResult() {
        Reply started = http.post("/audit/verifications", q("{'twinId':'" + device + "'}"));
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        String id = started.json().get("id").asText();
        assertThat(started.headers().firstValue("Location")).hasValue("/audit/verifications/" + id);
        assertThat(started.json().get("state").asText()).isIn("queued", "running", "history", "done");
        JsonNode done = await("verification " + id).atMost(WAIT).pollInterval(POLL)
                .until(() -> http.get("/audit/verifications/" + id).json(),
                        view -> view.get("state").asText().equals("done"));
        assertThat(done.get("total").asLong()).isEqualTo(3);
        assertThat(done.get("checked").asLong()).isEqualTo(3);
        assertThat(done.get("finishedAt").isNull()).isFalse();
        assertThat(done.get("result")).isEqualTo(verify("{'twinId':'" + device + "'}"));

        jdbc.update("UPDATE twin_history SET principal = 'mallory' WHERE twin_id = ? AND version = 2", device);
        try {
            String broken = http.post("/audit/verifications", q("{'twinId':'" + device + "'}")).json().get("id")
                    .asText();
            JsonNode found = await("verification " + broken).atMost(WAIT).pollInterval(POLL)
                    .until(() -> http.get("/audit/verifications/" + broken).json(),
                            view -> view.get("state").asText().equals("done"));
            assertThat(found.at("/result/valid").asBoolean()).isFalse();
            assertThat(found.at("/result/firstBrokenAt/reason").asText()).contains("version 2");
        } finally {
            jdbc.update("UPDATE twin_history SET principal = ? WHERE twin_id = ? AND version = 2",
                    http.as("alice").principal(), device);
        }
    }

    @Test
    void aBackgroundVerificationRefusesWhatVerifyRefuses() {
        TwinHttp.assertProblem(http.post("/audit/verifications", q("{'twin':'" + device + "'}")), 400,
                "unknownMember");
        TwinHttp.assertProblem(http.post("/audit/verifications", q("{'from':'monday'}")), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get("/audit/verifications/nope"), 404, "verificationNotFound");
        TwinHttp.assertProblem(http.as("verify-viewer", "viewer").http().post("/audit/verifications", q("{}")),
                403, "forbidden");
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

    /**
     * Stores an event no aggregate applied (a text payload no projection handles), at {@code globalIndex} or the
     * next index, stamped {@code at}, on {@code connection} (committed only if it commits by itself); returns its
     * global index.
     */
    private static long insertEvent(Connection connection, Long globalIndex, Instant at) throws SQLException {
        String eventId = UUID.randomUUID().toString();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO domain_event_entry (global_index,"
                + " event_identifier, meta_data, payload, payload_type, time_stamp, aggregate_identifier,"
                + " sequence_number) VALUES (coalesce(?, nextval(pg_get_serial_sequence('domain_event_entry',"
                + " 'global_index'))), ?, ?, ?, 'java.lang.String', ?, ?, 0) RETURNING global_index")) {
            insert.setObject(1, globalIndex, Types.BIGINT);
            insert.setString(2, eventId);
            insert.setBytes(3, "{}".getBytes(StandardCharsets.UTF_8));
            insert.setBytes(4, "\"audit test\"".getBytes(StandardCharsets.UTF_8));
            insert.setString(5, at.truncatedTo(ChronoUnit.MILLIS).toString());
            insert.setString(6, eventId);
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private boolean chained(long globalIndex) {
        Long links = jdbc.queryForObject("SELECT count(*) FROM event_chain WHERE global_index = ?", Long.class,
                globalIndex);
        return links != null && links == 1;
    }

    private void awaitChained(long globalIndex) {
        await("event " + globalIndex + " chained").atMost(WAIT).pollInterval(POLL).until(() -> chained(globalIndex));
    }

    private void awaitChainAndHistory() {
        long last = indexes.get(indexes.size() - 1);
        await("the chain and the history at global index " + last).atMost(WAIT).pollInterval(POLL)
                .until(() -> chained(last) && jdbc.queryForObject("SELECT count(*) FROM twin_history WHERE twin_id = ?",
                        Long.class, device) == indexes.size());
    }
}
