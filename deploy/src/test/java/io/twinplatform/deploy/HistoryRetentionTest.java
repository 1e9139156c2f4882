package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import io.twinplatform.history.HistoryRetention;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention, with the history table keeping only the last few seconds: point-in-time reads past it are rebuilt from
 * the events (the same answer), and a twin whose rows all left the table (carried forward, dropped, or never written
 * by a replay) is still read, single and fleet-wide, from the baseline the retention keeps.
 */
class HistoryRetentionTest {

    private static final Duration RETENTION = Duration.ofSeconds(3);

    private static Path dataDir;
    private static ConfigurableApplicationContext app;
    private static TwinHttp http;
    private static JdbcTemplate jdbc;

    @BeforeAll
    static void start() {
        dataDir = TestDataDirs.fresh();
        app = RestartKeepsTwinsTest.start(dataDir, "twin.history.retention=" + RETENTION);
        http = RestartKeepsTwinsTest.client(app);
        jdbc = app.getBean(JdbcTemplate.class);
    }

    @AfterAll
    static void stop() {
        app.close();
        TestDataDirs.delete(dataDir);
    }

    @Test
    void readsPastTheRetentionAreRebuiltFromTheEventsWithTheSameAnswer() throws Exception {
        String device = TwinHttp.newDeviceId();
        String path = "/twins/" + device;
        assertThat(http.put(path, q("{'tags':{'a':1}}")).status()).isEqualTo(201);
        JsonNode first = http.get(path).json();
        Instant between = TwinHttp.pause();
        http.patch(path, q("{'tags':{'a':2}}"));
        http.awaitHistory(path + "/history", 2);
        Reply recent = http.get(path + "?asOf=" + between);
        assertThat(recent.headers().firstValue("Twin-Source")).contains("history");
        assertThat(recent.json()).isEqualTo(first);

        Thread.sleep(RETENTION.toMillis() + 500);

        Reply old = http.get(path + "?asOf=" + between);
        assertThat(old.status()).isEqualTo(200);
        assertThat(old.headers().firstValue("Twin-Source")).contains("events");
        assertThat(old.json()).isEqualTo(first);
        TwinHttp.assertProblem(http.get(path + "?asOf=" + Instant.parse(first.path("statusUpdatedTime").asText())
                .minusMillis(1)), 404, "twinNotFound");
    }

    @Test
    void twinsWhoseRowsLeftTheTableAreReadFromTheBaseline() throws Exception {
        String device = TwinHttp.newDeviceId();
        String path = "/twins/" + device;
        JsonNode current = changedTwiceThenAged(path, "{'tags':{'keep':'me'}}", "{'tags':{'keep':'me too'}}");

        // The hourly retention run carries the twin's latest row into the baseline; then its rows leave the
        // table (what dropping their partition does, which here would take a day).
        app.getBean(HistoryRetention.class).maintain();
        assertThat(jdbc.queryForObject("SELECT version FROM twin_history_baseline WHERE twin_id = ?", Long.class,
                device)).isEqualTo(2L);
        jdbc.update("DELETE FROM twin_history WHERE twin_id = ?", device);

        assertCurrentIsReadFromHistory(path, device, current);
    }

    @Test
    void aReplayPastTheRetentionFillsTheBaselineInsteadOfTheTable() throws Exception {
        String device = TwinHttp.newDeviceId();
        String path = "/twins/" + device;
        JsonNode current = changedTwiceThenAged(path, "{'properties':{'desired':{'fan':3}}}",
                "{'properties':{'desired':{'fan':4}}}");

        assertThat(http.post("/admin/projections/twin-state/replay", null).status()).isEqualTo(202);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Long baseline = null;
        while (System.nanoTime() < deadline && (baseline == null || baseline < 2)) {
            Thread.sleep(50);
            baseline = jdbc.query("SELECT version FROM twin_history_baseline WHERE twin_id = ?",
                    rs -> rs.next() ? rs.getLong(1) : null, device);
        }
        assertThat(baseline).isEqualTo(2L);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM twin_history WHERE twin_id = ?", Long.class, device))
                .isZero();

        assertCurrentIsReadFromHistory(path, device, current);
        Reply second = http.get(path + "?atVersion=2");
        assertThat(second.headers().firstValue("Twin-Source")).contains("history");
        assertThat(second.json()).isEqualTo(current);
        assertThat(http.get(path + "?atVersion=1").headers().firstValue("Twin-Source")).contains("events");
    }

    /** Creates the twin, patches it, waits for both rows, and until both are past the retention; returns it. */
    private static JsonNode changedTwiceThenAged(String path, String created, String patch) throws Exception {
        assertThat(http.put(path, q(created)).status()).isEqualTo(201);
        http.patch(path, q(patch));
        http.awaitHistory(path + "/history", 2);
        JsonNode current = http.get(path).json();
        Thread.sleep(RETENTION.toMillis() + 500);
        return current;
    }

    private static void assertCurrentIsReadFromHistory(String path, String device, JsonNode current) {
        Reply now = http.get(path + "?asOf=" + Instant.now());
        assertThat(now.headers().firstValue("Twin-Source")).contains("history");
        assertThat(now.json()).isEqualTo(current);
        Reply fleet = http.post("/query", "{\"query\":\"SELECT * FROM devices WHERE deviceId = '" + device
                + "'\",\"asOf\":\"" + Instant.now() + "\"}");
        assertThat(fleet.status()).as("%s", fleet).isEqualTo(200);
        assertThat(fleet.json().get("items")).containsExactly(current);
    }
}
