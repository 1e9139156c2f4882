package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TimescaleDB dialect, where a TimescaleDB can be reached: set {@code TWIN_TIMESCALE_URL} to the JDBC URL of an
 * empty database in which {@code CREATE EXTENSION timescaledb} has been run (user and password in the URL or in
 * {@code TWIN_TIMESCALE_USER} / {@code TWIN_TIMESCALE_PASSWORD}). Our machines have no TimescaleDB, so there this
 * test is reported as skipped; the native dialect is what every other test runs.
 */
@EnabledIfEnvironmentVariable(named = "TWIN_TIMESCALE_URL", matches = ".+")
class TimescaleDialectTest {

    @Test
    void storesTheHistoryInAHypertableWithPoliciesAndAnswersTheSameReads() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        String user = System.getenv().getOrDefault("TWIN_TIMESCALE_USER", "postgres");
        String password = System.getenv().getOrDefault("TWIN_TIMESCALE_PASSWORD", "");
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                "spring.datasource.url=" + System.getenv("TWIN_TIMESCALE_URL"), "spring.datasource.username=" + user,
                "spring.datasource.password=" + password)) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            JdbcTemplate jdbc = app.getBean(JdbcTemplate.class);

            assertThat(jdbc.queryForObject("SELECT count(*) FROM timescaledb_information.hypertables"
                    + " WHERE hypertable_name = 'twin_history'", Long.class)).isEqualTo(1);
            assertThat(jdbc.queryForList("SELECT proc_name FROM timescaledb_information.jobs"
                    + " WHERE hypertable_name IN ('twin_history', 'twin_history_activity')", String.class))
                    .contains("policy_retention", "policy_compression", "policy_refresh_continuous_aggregate");

            String device = TwinHttp.newDeviceId();
            assertThat(http.put("/twins/" + device, q("{'tags':{'n':1}}")).status()).isEqualTo(201);
            JsonNode first = http.get("/twins/" + device).json();
            Thread.sleep(10);
            Instant between = Instant.now();
            Thread.sleep(10);
            http.patch("/twins/" + device, q("{'tags':{'n':2}}"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && jdbc.queryForObject(
                    "SELECT count(*) FROM twin_history WHERE twin_id = ?", Long.class, device) < 2) {
                Thread.sleep(50);
            }

            Reply past = http.get("/twins/" + device + "?asOf=" + between);
            assertThat(past.headers().firstValue("Twin-Source")).contains("history");
            assertThat(past.json()).isEqualTo(first);
            Reply fleet = http.post("/query", "{\"query\":\"SELECT tags.n AS n FROM devices WHERE deviceId = '"
                    + device + "'\",\"asOf\":\"" + between + "\"}");
            assertThat(fleet.json().get("items").get(0).get("n").asInt()).isEqualTo(1);
            JsonNode activity = http.get("/fleet/activity?from=" + between.minusSeconds(60) + "&bucket=1h").json();
            assertThat(activity.get("dialect").asText()).isEqualTo("timescale");
            assertThat(activity.get("buckets").get(0).get("changes").asLong()).isGreaterThanOrEqualTo(2);
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }
}
