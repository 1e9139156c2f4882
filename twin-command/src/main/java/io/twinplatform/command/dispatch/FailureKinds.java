package io.twinplatform.command.dispatch;

import org.axonframework.common.AxonTransientException;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.TransactionException;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Tells a failure that the same event will meet again (the event's own values or a bug: worth isolating) from one
 * that may pass (the database away, slow or busy: worth retrying), and says what a failure was without the values
 * involved.
 */
public final class FailureKinds {

    /**
     * SQLState classes that depend on the data written: data exception (22, such as a NUL character in JSONB),
     * integrity constraint violation (23) and program limit exceeded (54, such as an index row too large). Every
     * other database failure (connection, timeout, deadlock, lock, shutdown, a missing table) is taken as one
     * that may pass.
     */
    private static final Set<String> DATA_CLASSES = Set.of("22", "23", "54");
    private static final int MAX_LENGTH = 300;

    private FailureKinds() {
    }

    /**
     * Whether retrying the same work later may succeed: any transient or connection failure on the way, or a
     * database error outside {@link #DATA_CLASSES}. A failure without a database error (an exception of a
     * projection's own code) is deterministic.
     */
    public static boolean mayPass(Throwable failure) {
        for (Throwable t : chain(failure)) {
            if (t instanceof TransientDataAccessException || t instanceof RecoverableDataAccessException
                    || t instanceof DataAccessResourceFailureException || t instanceof TransactionException
                    || t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof SQLNonTransientConnectionException || t instanceof AxonTransientException
                    || t instanceof InterruptedException) {
                return true;
            }
        }
        SQLException sql = deepestSql(failure);
        if (sql == null) {
            return false;
        }
        String state = sql.getSQLState();
        return state == null || state.length() < 2 || !DATA_CLASSES.contains(state.substring(0, 2));
    }

    /** PostgreSQL's {@code unique_violation}: on the event table, an append that lost a race on a twin's version. */
    public static final String UNIQUE_VIOLATION = "23505";

    /**
     * Whether this failure itself (not its causes) is a write that lost a race with another writer on (aggregate id,
     * sequence number): Axon's {@link ConcurrencyException}, its {@link AggregateStreamCreationException} (two
     * writers creating the same twin), or the database's {@value #UNIQUE_VIOLATION} they wrap. Trying the command
     * again, on the twin as the store then holds it, is the answer.
     */
    public static boolean lostRace(Throwable failure) {
        return failure instanceof ConcurrencyException || failure instanceof AggregateStreamCreationException
                || failure instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState());
    }

    /** Whether the failure or any of its causes {@linkplain #lostRace lost a race}. */
    public static boolean lostRaceAnywhere(Throwable failure) {
        return chain(failure).stream().anyMatch(FailureKinds::lostRace);
    }

    /**
     * What went wrong, in one line of at most 300 characters: for a database error its SQLState and the first part
     * of PostgreSQL's primary message (not its detail, nor the statement, which may hold the values); otherwise the
     * innermost exception's type and the first line of its message.
     */
    public static String describe(Throwable failure) {
        SQLException sql = deepestSql(failure);
        String text;
        if (sql != null) {
            String message = firstLine(sql.getMessage());
            if (message.startsWith("ERROR: ")) {
                message = message.substring("ERROR: ".length());
            }
            int values = message.indexOf(": ");
            if (values > 0) {
                message = message.substring(0, values);
            }
            text = "SQLState " + sql.getSQLState() + ": " + message;
        } else {
            Throwable root = failure;
            for (Throwable t : chain(failure)) {
                root = t;
            }
            text = root.getClass().getSimpleName() + ": " + firstLine(root.getMessage());
        }
        return text.length() <= MAX_LENGTH ? text : text.substring(0, MAX_LENGTH - 1) + "…";
    }

    /** The innermost SQL exception, following the JDBC driver's chain of batch errors to the one that says why. */
    private static SQLException deepestSql(Throwable failure) {
        SQLException found = null;
        for (Throwable t : chain(failure)) {
            if (t instanceof SQLException sql) {
                found = sql;
                for (SQLException next = sql.getNextException(); next != null && next != found;
                     next = next.getNextException()) {
                    found = next;
                }
            }
        }
        return found;
    }

    /** The failure and its causes, outermost first, each once. */
    /** The failure and its causes, each once. */
    static List<Throwable> chain(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int end = message.indexOf('\n');
        return (end < 0 ? message : message.substring(0, end)).strip();
    }
}
