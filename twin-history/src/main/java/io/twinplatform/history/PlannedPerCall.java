package io.twinplatform.history;

import org.postgresql.PGStatement;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Prepares a lookup that PostgreSQL plans for each call, with the size its tables have then.
 * <p>
 * The driver turns a statement into a server-side prepared one after a few uses, and PostgreSQL may then keep one
 * generic plan for it as long as the connection lives or until the table is next analysed. A lookup by a list of keys
 * ({@code = ANY (?)}) first prepared while its table was small (a new database, the first minutes of a platform) kept
 * a sequential scan: measured, it read the whole event table on every batch of the history and audit-chain
 * projections, each batch slower as the table grew. Planned per call, it uses the index once the table is large.
 * Planning such a lookup costs tens of microseconds, once per batch. The other sides, which cannot call this class,
 * do the same in place: twin-query's {@code TwinDocumentStore.findAll} and twin-command's
 * {@code TwinRepository.readStoredVersions}.
 */
public final class PlannedPerCall {

    private PlannedPerCall() {
    }

    public static PreparedStatement prepare(Connection connection, String sql) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        if (statement.isWrapperFor(PGStatement.class)) {
            // Zero: never a server-side prepared statement, so never a cached generic plan.
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
        return statement;
    }
}
