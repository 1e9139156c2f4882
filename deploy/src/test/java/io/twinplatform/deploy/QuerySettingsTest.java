package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The read side's operator settings: {@code twin.query.indexed-fields} creates an expression index that range
 * queries use and drops it when the field leaves the list; a field or view that cannot work stops the start with
 * a message naming it.
 */
class QuerySettingsTest {

    @Test
    void anIndexedFieldGetsAnIndexThatRangeQueriesUseAndLosesItWhenUnlisted() {
        Path dataDir = TestDataDirs.fresh();
        try {
            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                    "twin.query.indexed-fields=properties.reported.temperature")) {
                TwinHttp http = RestartKeepsTwinsTest.client(app);
                for (int i = 0; i < 5; i++) {
                    http.put("/twins/t" + i, q("{}"));
                    http.patch("/twins/t" + i + "/properties/reported", q("{'temperature':" + (i * 10) + "}"));
                }
                JdbcTemplate jdbc = app.getBean(JdbcTemplate.class);
                assertThat(fieldIndexes(jdbc)).singleElement().satisfies(definition ->
                        assertThat(definition).contains("fields['properties'::text]['reported'::text]['temperature'::text]"));
                // Five rows are cheaper to scan; with scans priced out the planner shows whether the index serves.
                String plan = jdbc.execute((ConnectionCallback<String>) connection -> {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SET enable_seqscan = off");
                        StringBuilder lines = new StringBuilder();
                        try (ResultSet rs = statement.executeQuery("""
                                EXPLAIN SELECT twin_id FROM twin_document
                                WHERE fields['properties']['reported']['temperature'] > '25'::jsonb""")) {
                            while (rs.next()) {
                                lines.append(rs.getString(1)).append('\n');
                            }
                        }
                        statement.execute("RESET enable_seqscan");
                        return lines.toString();
                    }
                });
                assertThat(plan).contains("twin_document_field_");
                assertThat(http.post("/query", q("{'query':'SELECT deviceId FROM devices WHERE"
                        + " properties.reported.temperature > 25'}")).json().get("items"))
                        .extracting(item -> item.get("deviceId").asText()).containsExactly("t3", "t4");
            }
            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir)) {
                assertThat(fieldIndexes(app.getBean(JdbcTemplate.class))).isEmpty();
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    @Test
    void settingsThatCannotWorkStopTheStart() {
        Path dataDir = TestDataDirs.fresh();
        try {
            assertThat(startFailure(dataDir, "twin.query.indexed-fields=inSync")).contains("cannot be indexed");
            assertThat(startFailure(dataDir, "twin.query.indexed-fields=tags.[[a b]]")).contains("cannot be indexed");
            assertThat(startFailure(dataDir, "twin.query.indexed-fields=tag.x")).contains("is not a field");
            assertThat(startFailure(dataDir, "twin.query.views[0].name=v", "twin.query.views[0].group-by=nope.x"))
                    .contains("view v groups by 'nope.x'");
            assertThat(startFailure(dataDir, "twin.query.views[0].name=v", "twin.query.views[0].group-by=status",
                    "twin.query.views[0].source=cars")).contains("devices or devices.modules");
            // The history side's storage: a dialect that does not exist, or TimescaleDB where it is not installed.
            assertThat(startFailure(dataDir, "twin.history.dialect=oracle")).contains("auto, native or timescale");
            assertThat(startFailure(dataDir, "twin.history.dialect=timescale"))
                    .contains("timescaledb extension is not installed");
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static List<String> fieldIndexes(JdbcTemplate jdbc) {
        return jdbc.queryForList("SELECT indexdef FROM pg_indexes WHERE tablename = 'twin_document'"
                + " AND indexname LIKE 'twin_document_field_%'", String.class);
    }

    private static String startFailure(Path dataDir, String... properties) {
        Throwable failure = catchThrowable(() -> RestartKeepsTwinsTest.start(dataDir, properties).close());
        assertThat(failure).as("start with %s", List.of(properties)).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
