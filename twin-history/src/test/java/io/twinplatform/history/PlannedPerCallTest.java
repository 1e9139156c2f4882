package io.twinplatform.history;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A lookup by a list of keys, first run while its table is small and again once the table is large, on one
 * connection, as a projection's pooled connection runs it for hours. A real PostgreSQL.
 */
class PlannedPerCallTest {

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stop() throws Exception {
        postgres.close();
    }

    @Test
    void aLookupPlannedPerCallIsNeverHeldToThePlanItGotWhileItsTableWasSmall() throws Exception {
        try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
            String plain = table(connection, "plain_keys");
            String perCall = table(connection, "per_call_keys");

            // While the tables are small: the driver server-prepares a statement from its fifth use.
            for (int i = 0; i < 10; i++) {
                assertThat(lookup(connection, plain, false)).containsExactly("k1", "k2");
                assertThat(lookup(connection, perCall, true)).containsExactly("k1", "k2");
            }
            grow(connection, plain);
            grow(connection, perCall);

            // The premise: the plainly prepared lookup keeps the sequential scan it was planned with.
            assertThat(lookup(connection, plain, false)).containsExactly("k1", "k2");
            String name = preparedName(connection, plain);
            assertThat(name).as("the plain lookup is a server-side prepared statement").isNotNull();
            assertThat(explain(connection, "EXPLAIN EXECUTE \"" + name + "\"('{k1,k2}')"))
                    .as("its cached plan, with 100,000 rows in the table").contains("Seq Scan");

            // Planned per call: no prepared statement to hold a plan, and the index is used.
            assertThat(lookup(connection, perCall, true)).containsExactly("k1", "k2");
            assertThat(preparedName(connection, perCall)).as("a server-side prepared statement for it").isNull();
            assertThat(explain(connection, "EXPLAIN SELECT id FROM " + perCall + " WHERE id = ANY ('{k1,k2}')"))
                    .as("what a call plans now").contains("Index").doesNotContain("Seq Scan");
        }
    }

    private static String table(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // No autovacuum: only the size changes, not the statistics (as in a young database between analyses).
            statement.execute("CREATE TABLE " + name + " (id VARCHAR(64) PRIMARY KEY, filler TEXT)"
                    + " WITH (autovacuum_enabled = false)");
            statement.execute("INSERT INTO " + name + " VALUES ('k1', 'a'), ('k2', 'b'), ('k3', 'c')");
        }
        return name;
    }

    private static void grow(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO " + table + " SELECT 'n' || i, repeat('x', 100)"
                    + " FROM generate_series(1, 100000) i");
        }
    }

    private static List<String> lookup(Connection connection, String table, boolean perCall) throws SQLException {
        String sql = "SELECT id FROM " + table + " WHERE id = ANY (?) ORDER BY id";
        try (PreparedStatement select = perCall ? PlannedPerCall.prepare(connection, sql)
                : connection.prepareStatement(sql)) {
            select.setArray(1, connection.createArrayOf("varchar", new Object[]{"k1", "k2", "missing"}));
            List<String> ids = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
            return ids;
        }
    }

    private static String preparedName(Connection connection, String table) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT name FROM pg_prepared_statements WHERE statement LIKE ?")) {
            select.setString(1, "%FROM " + table + " WHERE id = ANY%");
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private static String explain(Connection connection, String sql) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                plan.append(rows.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }
}
