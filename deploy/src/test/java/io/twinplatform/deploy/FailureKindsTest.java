package io.twinplatform.deploy;

import io.twinplatform.command.dispatch.FailureKinds;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.UncategorizedSQLException;

import java.sql.BatchUpdateException;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures a projection isolates (the same event will fail again) and which it retries (they may pass), and
 * that a failure is described without the values that caused it.
 */
class FailureKindsTest {

    /** What the JDBC driver throws when a JDBC batch writes a NUL character into JSONB. */
    private static Exception nulInJsonb() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 0 INSERT INTO twin_document VALUES"
                + " ('dev-1', '{\"note\":\"secret-value\\u0000\"}') was aborted", "22P05", new int[0]);
        batch.setNextException(new PSQLException("ERROR: unsupported Unicode escape sequence\n  Detail: \\u0000"
                + " cannot be converted to text.\n  Where: JSON data, line 1: {\"note\":\"secret-value...",
                PSQLState.DATA_ERROR) {
            @Override
            public String getSQLState() {
                return "22P05";
            }
        });
        return new DataIntegrityViolationException("PreparedStatementCallback; SQL [INSERT ...]", batch);
    }

    @Test
    void aValueTheDatabaseRefusesIsTheEventsOwnFault() {
        assertThat(FailureKinds.mayPass(nulInJsonb())).isFalse();
        assertThat(FailureKinds.mayPass(new UncategorizedSQLException("x", "INSERT",
                new SQLException("ERROR: duplicate key value", "23505")))).isFalse();
    }

    @Test
    void aFailureOfTheProjectionsOwnCodeIsIsolated() {
        assertThat(FailureKinds.mayPass(new IllegalStateException("twin dev-1 has event version 3 but no live state"
                + " before it"))).isFalse();
    }

    @Test
    void aDatabaseAwayBusyOrMisconfiguredIsRetried() {
        assertThat(FailureKinds.mayPass(new CannotGetJdbcConnectionException("no connection"))).isTrue();
        assertThat(FailureKinds.mayPass(new UncategorizedSQLException("x", "UPDATE",
                new SQLException("ERROR: canceling statement due to statement timeout", "57014")))).isTrue();
        assertThat(FailureKinds.mayPass(new UncategorizedSQLException("x", "UPDATE",
                new SQLException("ERROR: deadlock detected", "40P01")))).isTrue();
        assertThat(FailureKinds.mayPass(new UncategorizedSQLException("x", "UPDATE",
                new SQLException("ERROR: relation \"twin_document\" does not exist", "42P01")))).isTrue();
        assertThat(FailureKinds.mayPass(new UncategorizedSQLException("x", "UPDATE",
                new SQLException("I/O error", (String) null)))).isTrue();
    }

    @Test
    void describesADatabaseErrorByItsStateAndPrimaryMessageWithoutTheValues() {
        String described = FailureKinds.describe(nulInJsonb());
        assertThat(described).isEqualTo("SQLState 22P05: unsupported Unicode escape sequence");
        assertThat(FailureKinds.describe(new UncategorizedSQLException("x", "UPDATE", new SQLException(
                "ERROR: invalid input syntax for type integer: \"secret-value\"", "22P02"))))
                .isEqualTo("SQLState 22P02: invalid input syntax for type integer");
    }

    @Test
    void describesAnyOtherFailureByItsInnermostTypeAndFirstLineWithinBounds() {
        String described = FailureKinds.describe(new RuntimeException("outer",
                new IllegalStateException("no live state\nsecond line " + "x".repeat(1000))));
        assertThat(described).isEqualTo("IllegalStateException: no live state");
        assertThat(FailureKinds.describe(new IllegalStateException("y".repeat(1000)))).hasSize(300);
    }

    @Test
    void aLostRaceIsTheStoreConflictItsCreationVariantOrTheUniqueViolationTheyWrap() {
        SQLException unique = new SQLException("duplicate key value violates unique constraint", "23505");
        assertThat(FailureKinds.lostRace(new ConcurrencyException("version 3 taken"))).isTrue();
        assertThat(FailureKinds.lostRace(new AggregateStreamCreationException("dev-1 created twice"))).isTrue();
        assertThat(FailureKinds.lostRace(unique)).isTrue();
        assertThat(FailureKinds.lostRace(new SQLException("foreign key", "23503"))).isFalse();
        assertThat(FailureKinds.lostRace(new UncategorizedSQLException("append", "INSERT", unique)))
                .as("only the failure itself, not its causes").isFalse();
        assertThat(FailureKinds.lostRaceAnywhere(new UncategorizedSQLException("append", "INSERT", unique))).isTrue();
        assertThat(FailureKinds.lostRaceAnywhere(new IllegalStateException("a refusal"))).isFalse();
    }
}
