package io.twinplatform.deploy.http;

import io.twinplatform.deploy.http.ProblemResponses;
import org.axonframework.eventsourcing.eventstore.EventStoreException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.UncategorizedSQLException;

import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures are {@code 503 databaseUnavailable} (retry later) and which stay {@code 500}: the shapes the
 * driver, the pool, Spring and Axon give a database that did not answer, against failures a retry would not cure.
 */
class DatabaseUnavailableTest {

    @Test
    void aDriverTimeoutInsideAxonsEventStoreIsUnavailability() {
        PSQLException io = new PSQLException("An I/O error occurred while sending to the backend.",
                PSQLState.CONNECTION_FAILURE, new SocketTimeoutException("Read timed out"));
        assertThat(ProblemResponses.databaseUnavailable(new EventStoreException("append failed", io))).isTrue();
    }

    @Test
    void noPooledConnectionInTimeIsUnavailability() {
        SQLTransientConnectionException pool = new SQLTransientConnectionException(
                "twin-embedded - Connection is not available, request timed out after 3000ms", "08001");
        assertThat(ProblemResponses.databaseUnavailable(
                new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection", pool))).isTrue();
    }

    @Test
    void aCancelledStatementAndAServerShuttingDownAreUnavailability() {
        assertThat(ProblemResponses.databaseUnavailable(new UncategorizedSQLException("query", "SELECT 1",
                new SQLException("canceling statement due to statement timeout", "57014")))).isTrue();
        assertThat(ProblemResponses.databaseUnavailable(
                new SQLException("terminating connection due to administrator command", "57P01"))).isTrue();
    }

    @Test
    void aConstraintViolationOrAProgrammingErrorIsNot() {
        assertThat(ProblemResponses.databaseUnavailable(new UncategorizedSQLException("insert", "INSERT",
                new SQLException("duplicate key value violates unique constraint", "23505")))).isFalse();
        assertThat(ProblemResponses.databaseUnavailable(new IllegalStateException("bug"))).isFalse();
    }

    @Test
    void aCauseCycleEnds() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second", first);
        first.initCause(second);
        assertThat(ProblemResponses.databaseUnavailable(first)).isFalse();
    }
}
