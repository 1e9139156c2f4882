package io.twinplatform.history;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A PostgreSQL session-level advisory lock named by a string (its key is {@code hashtext(name)}), so that a job runs
 * on one platform instance at a time. The lock is held by a connection of its own for the whole run, while the work
 * uses the pool as usual: the run may span several transactions and DDL outside any. When the holder's connection or
 * process dies, PostgreSQL releases the lock with the session.
 */
final class AdvisoryLock {

    private final JdbcTemplate jdbc;
    private final String name;

    AdvisoryLock(JdbcTemplate jdbc, String name) {
        this.jdbc = jdbc;
        this.name = name;
    }

    /**
     * Runs {@code work} holding the lock; false, without running it, when another session holds the lock now. Throws
     * what the work throws, or when the database cannot be asked.
     */
    boolean runAlone(Runnable work) {
        return Boolean.TRUE.equals(jdbc.execute((ConnectionCallback<Boolean>) connection -> {
            if (!call(connection, "SELECT pg_try_advisory_lock(hashtext(?))")) {
                return false;
            }
            try {
                work.run();
            } finally {
                call(connection, "SELECT pg_advisory_unlock(hashtext(?))");
            }
            return true;
        }));
    }

    private boolean call(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() && result.getBoolean(1);
            }
        }
    }
}
