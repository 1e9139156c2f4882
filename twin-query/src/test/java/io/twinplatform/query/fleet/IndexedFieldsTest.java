package io.twinplatform.query.fleet;

import io.twinplatform.query.ReadSide;
import io.twinplatform.testsupport.database.TestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code twin.query.indexed-fields}: a listed field gets an expression index at start-up that range queries use, and
 * loses it when it leaves the list; a field that cannot be indexed stops the start with a message naming it.
 */
class IndexedFieldsTest {

    @Test
    void anIndexedFieldGetsAnIndexThatRangeQueriesUseAndLosesItWhenUnlisted() {
        TestDatabase database = TestDatabase.fresh(TestDatabase.QUERY);
        ReadSide indexed = ReadSide.start(database, ReadSide.settings(Duration.ofSeconds(5), null,
                List.of("properties.reported.temperature")));
        for (int i = 0; i < 5; i++) {
            indexed.create("t" + i, "{}");
            indexed.report("t" + i, "{'temperature':" + (i * 10) + "}");
        }
        JdbcTemplate jdbc = database.jdbc();
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
        assertThat(indexed.bean(FleetQueryService.class).run("SELECT deviceId FROM devices WHERE"
                + " properties.reported.temperature > 25", null, null, null).items())
                .extracting(item -> item.get("deviceId").asText()).containsExactly("t3", "t4");
        indexed.stop();

        try (ReadSide unlisted = ReadSide.start(database, ReadSide.settings(Duration.ofSeconds(5), null, null))) {
            assertThat(fieldIndexes(unlisted.database().jdbc())).isEmpty();
        }
    }

    @Test
    void aFieldThatCannotBeIndexedStopsTheStart() {
        try (TestDatabase database = TestDatabase.fresh(TestDatabase.QUERY)) {
            assertThat(startFailure(database, "inSync")).contains("'inSync' cannot be indexed");
            assertThat(startFailure(database, "tags.[[a b]]")).contains("cannot be indexed");
            assertThat(startFailure(database, "tag.x")).contains("'tag.x' is not a field");
            assertThat(startFailure(database, "computed.score")).contains("'computed.score' cannot be indexed");
        }
    }

    private static String startFailure(TestDatabase database, String field) {
        Throwable failure = catchThrowable(() -> ReadSide.start(database,
                ReadSide.settings(Duration.ofSeconds(5), null, List.of(field))).stop());
        assertThat(failure).as("start with %s", field).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private static List<String> fieldIndexes(JdbcTemplate jdbc) {
        return jdbc.queryForList("SELECT indexdef FROM pg_indexes WHERE tablename = 'twin_document'"
                + " AND indexname LIKE 'twin_document_field_%'", String.class);
    }
}
