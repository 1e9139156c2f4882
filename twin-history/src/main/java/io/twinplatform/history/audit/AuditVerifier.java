package io.twinplatform.history.audit;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.oas.annotations.media.Schema;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.history.EventFold;
import io.twinplatform.history.HistoryProjection;
import io.twinplatform.history.HistoryRetention;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.postgresql.PGStatement;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks the hash chain against the event store, and the history table against the events it was written from.
 * Every link is recomputed from the stored event and the previous link's stored hash; for the whole store the
 * positions must run 1, 2, 3… without a hole and no stored event may lie below the chain's head unchained.
 * Rows are streamed, so a chain of millions is checked in constant memory.
 */
@Component
public class AuditVerifier {

    /** The outcome: whether everything checked holds, how much was checked, and the first break found. */
    @Schema(name = "AuditVerifyResult")
    public record Result(boolean valid, long checked, long historyRowsChecked, Break firstBrokenAt) {
    }

    /** Where the record breaks: the chain position (if any), the event's global index and id, and why. */
    @Schema(name = "AuditBreak")
    public record Break(Long position, Long globalIndex, String eventId, String reason,
                        @JsonIgnore long ordinal) {

        Break(Long position, Long globalIndex, String eventId, String reason) {
            this(position, globalIndex, eventId, reason, 0);
        }
    }

    /**
     * One chain link as read, with its stored event; {@code ordinal} counts the links read, from 1. A form-2 link was
     * recomputed by the database as it was read ({@code intact}); a form-1 link ({@code intact} null) is hashed here.
     */
    private record Link(long ordinal, long position, long globalIndex, String eventId, String hash, String previous,
                        StoredEvent event, Boolean intact) {

        boolean holds() {
            return intact != null ? intact : event.canonicalLink(previous).equals(hash);
        }
    }

    private static final String ALTERED = "event altered (its hash does not match)";
    private static final String DELETED = "event deleted from the event store";
    private static final String REPLACED = "another event stands at this position";
    private static final String MISSING = "chain link missing";

    /**
     * The form-2 hash of the stored event {@code e} chained onto {@code previous} (an SQL expression), as the database
     * computes it: {@code event_chain_link}, migration V28.
     */
    private static String linkOfStoredEvent(String previous) {
        return "event_chain_link(" + previous + ", e.global_index, e.event_identifier, e.aggregate_identifier,"
                + " e.sequence_number, e.type, e.payload_type, e.payload_revision, e.time_stamp, e.payload,"
                + " e.meta_data)";
    }

    private static final int CHUNK = 2_000;
    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** Links a part of the whole chain's check covers: one statement, one connection (smaller in tests). */
    long range = 250_000;

    /** What a part of a verification found, once it is done; its failure fails the verification. */
    private static Break outcome(Future<Break> part) {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("verification interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("verification failed", e.getCause());
        }
    }

    /** Hashes a chunk of links; waits first while many chunks are queued, so memory stays bounded. */
    private static Future<Break> submit(ExecutorService hashing, List<Link> links, List<Future<Break>> queued) {
        int waitFor = queued.size() - 4 * THREADS;
        if (waitFor >= 0) {
            outcome(queued.get(waitFor));
        }
        return hashing.submit(() -> {
            for (Link link : links) {
                if (!link.holds()) {
                    return new Break(link.position(), link.globalIndex(), link.eventId(),
                            ALTERED, link.ordinal());
                }
            }
            return null;
        });
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate readOnly;
    private final ObjectMapper mapper = new ObjectMapper();
    private final HistoryRetention retention;
    private final EventFold fold;
    private final ObjectProvider<EventProcessingConfiguration> processing;

    AuditVerifier(JdbcTemplate jdbc, PlatformTransactionManager transactions,
                  HistoryRetention retention, EventFold fold, ObjectProvider<EventProcessingConfiguration> processing) {
        this.retention = retention;
        this.fold = fold;
        this.processing = processing;
        this.jdbc = jdbc;
        this.readOnly = new TransactionTemplate(transactions);
        this.readOnly.setReadOnly(true);
    }

    /** What a running verification has done so far: links read from the chain, then the history check. */
    public interface Progress {

        Progress NONE = new Progress() {
        };

        /** {@code read} links of the chain have been read (called every few thousand and at the end). */
        default void links(long read) {
        }

        /** The chain is done; the history rows are being compared with their events. */
        default void history() {
        }
    }

    /**
     * Verifies the whole store, one twin ({@code twinId}), or the events in {@code [from, to)}; the history rows
     * against their events too unless {@code history} is false.
     */
    public Result verify(String twinId, Instant from, Instant to, boolean history) {
        return verify(twinId, from, to, history, Progress.NONE);
    }

    /** How many links of the chain {@link #verify} reads for this scope (for a progress bar). */
    public long links(String twinId, Instant from, Instant to) {
        if (twinId == null && from == null && to == null) {
            Long head = jdbc.queryForObject("SELECT max(position) FROM event_chain", Long.class);
            return head == null ? 0 : head;
        }
        Scope scope = Scope.of("c.twin_id", "e.time_stamp::timestamptz", twinId, from, to);
        Long count = jdbc.queryForObject("SELECT count(*) FROM event_chain c LEFT JOIN domain_event_entry e"
                + " ON e.global_index = c.global_index WHERE TRUE" + scope.sql(), Long.class, scope.args());
        return count == null ? 0 : count;
    }

    /** As {@link #verify(String, Instant, Instant, boolean)}, telling {@code progress} how far it got. */
    public Result verify(String twinId, Instant from, Instant to, boolean history, Progress progress) {
        boolean whole = twinId == null && from == null && to == null;
        return readOnly.execute(status -> {
            Checked chain = whole ? wholeChain(progress)
                    : streamed(Scope.of("c.twin_id", "e.time_stamp::timestamptz", twinId, from, to), progress);
            Break broken = chain.broken();
            if (broken == null && whole) {
                broken = unchained();
            }
            long[] rows = {0};
            if (broken == null && history) {
                progress.history();
                broken = checkHistory(twinId, from, to, rows);
            }
            return new Result(broken == null, chain.checked(), rows[0], broken);
        });
    }

    /** How many links a check read, and the first break it found (null if none). */
    private record Checked(long checked, Break broken) {
    }

    /**
     * The whole chain. Its positions must run 1, 2, 3… without a hole (counted on the primary key), and every link
     * must hold its stored event. Form-2 links are recomputed by the database, where the bytes are, in ranges of
     * positions on all cores at once, each range one statement that returns only its first break; form-1 links are
     * streamed and hashed here. The first break by position wins.
     */
    private Checked wholeChain(Progress progress) {
        Map<String, Object> counts = jdbc.queryForMap("SELECT count(*) AS n, coalesce(max(position), 0) AS head,"
                + " coalesce(min(position), 1) AS first FROM event_chain");
        long head = ((Number) counts.get("head")).longValue();
        List<Break> found = new ArrayList<>();
        long end = head + 1;
        if (((Number) counts.get("n")).longValue() != head || ((Number) counts.get("first")).longValue() != 1) {
            // A link was deleted (or one added outside the positions): the first position without its link.
            Long missing = jdbc.queryForObject("""
                    SELECT coalesce(min(l.previous + 1), 1) FROM (SELECT position,
                        coalesce(lag(position) OVER (ORDER BY position), 0) AS previous FROM event_chain) l
                    WHERE l.position <> l.previous + 1""", Long.class);
            found.add(new Break(missing, null, null, MISSING, missing));
            end = missing;
        }
        // Links of the first form, written before V28 (none in a chain begun after it): hashed here.
        Checked formOne = streamed(new Scope(" AND c.form = 1 AND c.position < ?", new Object[]{end}), Progress.NONE);
        if (formOne.broken() != null) {
            found.add(formOne.broken());
            end = Math.min(end, formOne.broken().position());
        }
        AtomicLong firstBreak = new AtomicLong(end);
        AtomicLong checked = new AtomicLong();
        ExecutorService parts = Executors.newFixedThreadPool(THREADS, DaemonThreads.named("audit-verify-"));
        try {
            List<Future<Break>> ranges = new ArrayList<>();
            for (long from = 1; from < end; from += range) {
                long lo = from;
                long hi = Math.min(end, from + range);
                ranges.add(parts.submit(() -> {
                    if (lo > firstBreak.get()) {
                        return null;
                    }
                    Break broken = range(lo, hi);
                    if (broken != null) {
                        firstBreak.accumulateAndGet(broken.position(), Math::min);
                    }
                    synchronized (checked) {
                        // under the lock, so the count a caller sees never goes back
                        progress.links(checked.addAndGet(hi - lo));
                    }
                    return broken;
                }));
            }
            for (Future<Break> range : ranges) {
                Break broken = outcome(range);
                if (broken != null) {
                    found.add(broken);
                }
            }
        } finally {
            parts.shutdownNow();
        }
        Break first = found.stream().min(Comparator.comparingLong(Break::position)).orElse(null);
        progress.links(first == null ? head : first.position());
        return new Checked(first == null ? head : first.position(), first);
    }

    /**
     * The first break among the links at positions [lo, hi), with no hole among them: each link's predecessor is the
     * row before it (the window reads one more, below lo). A form-1 link's hash is left to {@link #streamed}.
     */
    private Break range(long lo, long hi) {
        List<Break> found = jdbc.query("""
                SELECT l.position, l.global_index, l.event_id,
                       CASE WHEN e.global_index IS NULL THEN ? WHEN e.event_identifier <> l.event_id THEN ? ELSE ? END
                FROM (SELECT c.position, c.global_index, c.event_id, c.hash, c.form,
                             coalesce(lag(c.hash) OVER (ORDER BY c.position), ?) AS previous
                      FROM event_chain c WHERE c.position >= ? AND c.position < ?) l
                LEFT JOIN domain_event_entry e ON e.global_index = l.global_index
                WHERE l.position >= ?
                  AND (e.global_index IS NULL OR e.event_identifier <> l.event_id
                       OR l.form = 2 AND l.hash <> """ + linkOfStoredEvent("l.previous") + ")"
                        + " ORDER BY l.position LIMIT 1",
                (rs, n) -> new Break(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getLong(1)),
                DELETED, REPLACED, ALTERED, StoredEvent.ZERO, lo - 1, hi, lo);
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * The links in {@code scope}, streamed in position order with each link's predecessor looked up. The reader checks
     * presence as rows stream in; a form-2 link is recomputed by the database in the same statement, and form-1 links
     * (parse, canonical JSON, SHA-256: most of the work) are hashed in chunks on all cores while the next rows stream.
     */
    private Checked streamed(Scope scope, Progress progress) {
        String previousHash = "CASE WHEN c.position = 1 THEN '" + StoredEvent.ZERO + "' ELSE p.hash END";
        String sql = "SELECT c.position, c.global_index, c.event_id, c.hash, " + previousHash + ","
                + " e.global_index, e.event_identifier, e.aggregate_identifier, e.sequence_number, e.type,"
                + " e.payload_type, e.payload_revision, e.time_stamp,"
                + " CASE WHEN c.form = 1 THEN e.payload END, CASE WHEN c.form = 1 THEN e.meta_data END,"
                + " CASE WHEN c.form = 2 THEN c.hash = " + linkOfStoredEvent(previousHash) + " END"
                + " FROM event_chain c LEFT JOIN event_chain p ON p.position = c.position - 1"
                + " LEFT JOIN domain_event_entry e ON e.global_index = c.global_index WHERE TRUE" + scope.sql()
                + " ORDER BY c.position";
        List<Future<Break>> hashed = new ArrayList<>();
        List<Link> chunk = new ArrayList<>(CHUNK);
        long[] ordinal = {0};
        Break[] broken = {null};
        ExecutorService hashing = Executors.newFixedThreadPool(THREADS, DaemonThreads.named("audit-verify-"));
        try {
            jdbc.query(connection -> stream(connection, sql, scope.args()), rs -> {
                if (broken[0] != null) {
                    return;
                }
                long position = rs.getLong(1);
                long globalIndex = rs.getLong(2);
                String eventId = rs.getString(3);
                String previous = rs.getString(5);
                ordinal[0]++;
                if (previous == null) {
                    broken[0] = new Break(position - 1, null, null, MISSING, ordinal[0]);
                } else if (rs.getObject(6) == null) {
                    broken[0] = new Break(position, globalIndex, eventId, DELETED, ordinal[0]);
                } else if (!rs.getString(7).equals(eventId)) {
                    broken[0] = new Break(position, globalIndex, eventId, REPLACED, ordinal[0]);
                }
                if (broken[0] != null) {
                    return;
                }
                chunk.add(new Link(ordinal[0], position, globalIndex, eventId, rs.getString(4), previous,
                        new StoredEvent(rs.getLong(6), rs.getString(7), rs.getString(8), rs.getLong(9),
                                rs.getString(10), rs.getString(11), rs.getString(12), rs.getString(13),
                                rs.getBytes(14), rs.getBytes(15)), (Boolean) rs.getObject(16)));
                if (chunk.size() == CHUNK) {
                    hashed.add(submit(hashing, List.copyOf(chunk), hashed));
                    chunk.clear();
                    progress.links(ordinal[0]);
                }
            });
            if (!chunk.isEmpty()) {
                hashed.add(submit(hashing, List.copyOf(chunk), hashed));
            }
            // Chunks are in stream order: the first that breaks holds the first altered link before any break the
            // reader found (which stopped the stream).
            for (Future<Break> future : hashed) {
                Break found = outcome(future);
                if (found != null) {
                    broken[0] = found;
                    break;
                }
            }
        } finally {
            hashing.shutdownNow();
        }
        progress.links(ordinal[0]);
        return new Checked(broken[0] == null ? ordinal[0] : broken[0].ordinal(), broken[0]);
    }

    /**
     * The chain's rows as a forward-only stream, fetched in pages, in the binary format: the payload and metadata
     * columns ({@code bytea}) then come as their bytes instead of twice as many hex digits to decode.
     */
    private static PreparedStatement stream(Connection connection, String sql, Object[] args) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY,
                ResultSet.CONCUR_READ_ONLY);
        statement.setFetchSize(2000);
        if (statement.isWrapperFor(PGStatement.class)) {
            // Below zero: results in the binary format from the first execution (the driver's documented switch).
            statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
        }
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
        return statement;
    }

    /**
     * A stored event below the chain's head that no link covers: inserted behind the chain's back. An event whose
     * index is still a gap in the chain processor's token is not one: its transaction committed after a later
     * event's was chained (commits need not follow the order of the indexes they drew), and the processor chains it
     * on its next read. The token is read in the same statement, so it matches the links it was committed with.
     */
    private Break unchained() {
        List<Break> found = jdbc.query("""
                SELECT e.global_index, e.event_identifier FROM domain_event_entry e
                WHERE e.global_index < (SELECT coalesce(max(global_index), 0) FROM event_chain)
                  AND NOT EXISTS (SELECT 1 FROM event_chain c WHERE c.global_index = e.global_index)
                  AND NOT EXISTS (SELECT 1 FROM token_entry t,
                                  jsonb_array_elements_text(convert_from(t.token, 'UTF8')::jsonb -> 'gaps') gap
                                  WHERE t.processor_name = ? AND gap::bigint = e.global_index)
                ORDER BY e.global_index LIMIT 1""",
                (rs, n) -> new Break(null, rs.getLong(1), rs.getString(2), "event not in the chain (inserted)"),
                AuditChain.GROUP);
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * Each history row must say what its event says: same twin, version, time, change and principal; and each
     * twin event the history processor has passed must have its row, unless it is past retention.
     */
    private Break checkHistory(String twinId, Instant from, Instant to, long[] checked) {
        Scope rowScope = Scope.of("h.twin_id", "h.time", twinId, from, to);
        String scope = rowScope.sql();
        Object[] args = rowScope.args();
        Long rows = jdbc.queryForObject("SELECT count(*) FROM twin_history h WHERE TRUE" + scope, Long.class, args);
        checked[0] = rows == null ? 0 : rows;
        List<Break> altered = jdbc.query("""
                SELECT e.global_index, h.event_id, h.twin_id, h.version FROM twin_history h
                LEFT JOIN domain_event_entry e ON e.event_identifier = h.event_id
                WHERE (e.event_identifier IS NULL OR h.twin_id <> e.aggregate_identifier
                       OR h.version <> e.sequence_number + 1 OR h.time <> e.time_stamp::timestamptz
                       OR h.change <> convert_from(e.payload, 'UTF8')::jsonb
                       OR h.principal IS DISTINCT FROM convert_from(e.meta_data, 'UTF8')::jsonb ->> 'principal')"""
                        + scope + " ORDER BY h.time LIMIT 1",
                (rs, n) -> new Break(null, rs.getObject(1) == null ? null : rs.getLong(1), rs.getString(2),
                        "history row of " + rs.getString(3) + " version " + rs.getLong(4)
                                + " does not match its event"), args);
        if (!altered.isEmpty()) {
            return altered.get(0);
        }
        if (twinId != null) {
            Break state = checkStates(twinId, from, to);
            if (state != null) {
                return state;
            }
        }
        long passed = historyPosition();
        List<Object> missingArgs = new ArrayList<>(List.of(passed, Timestamp.from(retention.horizon())));
        String missingScope = "";
        if (twinId != null) {
            missingScope += " AND e.aggregate_identifier = ?";
            missingArgs.add(twinId);
        }
        List<Break> missing = jdbc.query("""
                SELECT e.global_index, e.event_identifier FROM domain_event_entry e
                WHERE e.payload_type LIKE 'io.twinplatform.api.twin.%'
                  AND (e.global_index <= ? OR EXISTS (SELECT 1 FROM twin_history_head p
                       WHERE p.twin_id = e.aggregate_identifier AND p.version > e.sequence_number))
                  AND e.time_stamp::timestamptz >= ?""" + missingScope + """
                 AND NOT EXISTS (SELECT 1 FROM twin_history h WHERE h.twin_id = e.aggregate_identifier
                                 AND h.version = e.sequence_number + 1)
                ORDER BY e.global_index LIMIT 1""",
                (rs, n) -> new Break(null, rs.getLong(1), rs.getString(2), "history row missing (deleted)"),
                missingArgs.toArray());
        return missing.isEmpty() ? null : missing.get(0);
    }

    /**
     * One twin's rows must hold the twin its events give: its events are folded from the first, and each row in
     * scope is compared with the state after its event (as JSON values, whatever the key order).
     */
    private Break checkStates(String twinId, Instant from, Instant to) {
        Map<Long, String> states = new HashMap<>();
        Scope rows = Scope.of("twin_id", "time", twinId, from, to);
        jdbc.query("SELECT version, state::text FROM twin_history WHERE TRUE" + rows.sql(),
                rs -> {
                    states.put(rs.getLong(1), rs.getString(2));
                }, rows.args());
        Break[] first = {null};
        fold.steps(twinId, 1, Long.MAX_VALUE, step -> {
            long version = step.event().version();
            if (first[0] != null || !states.containsKey(version)) {
                return;
            }
            String expected = step.state().deleted() ? null : step.state().toJson();
            if (!Objects.equals(json(expected), json(states.get(version)))) {
                first[0] = new Break(null, null, step.message().getIdentifier(), "history row of " + twinId
                        + " version " + version + " holds a twin its events do not give");
            }
        });
        return first[0];
    }

    /** What a verification covers, as SQL conditions on the given columns and their arguments. */
    private record Scope(String sql, Object[] args) {

        static Scope of(String twinColumn, String timeColumn, String twinId, Instant from, Instant to) {
            StringBuilder sql = new StringBuilder();
            List<Object> args = new ArrayList<>();
            if (twinId != null) {
                sql.append(" AND ").append(twinColumn).append(" = ?");
                args.add(twinId);
            }
            if (from != null) {
                sql.append(" AND ").append(timeColumn).append(" >= ?");
                args.add(Timestamp.from(from));
            }
            if (to != null) {
                sql.append(" AND ").append(timeColumn).append(" < ?");
                args.add(Timestamp.from(to));
            }
            return new Scope(sql.toString(), args.toArray());
        }
    }

    private JsonNode json(String text) {
        try {
            return text == null ? null : mapper.readTree(text);
        } catch (Exception unreadable) {
            return mapper.getNodeFactory().textNode(text);
        }
    }

    /**
     * How far every segment of the history processor has read the event store (the lowest token index, below any
     * gap); -1 before all have started, or when a token cannot be read (then no row is reported missing).
     */
    private long historyPosition() {
        // The history's processing group runs in a processor of its own name, or in one it shares (deploy merges it
        // with current state's).
        String processor = Optional.ofNullable(processing == null ? null : processing.getIfAvailable())
                .flatMap(configuration -> configuration.<EventProcessor>eventProcessorByProcessingGroup(
                        HistoryProjection.GROUP))
                .map(EventProcessor::getName).orElse(HistoryProjection.GROUP);
        List<String> tokens = jdbc.queryForList(
                "SELECT convert_from(token, 'UTF8') FROM token_entry WHERE processor_name = ?", String.class, processor);
        long position = tokens.isEmpty() ? -1 : Long.MAX_VALUE;
        for (String token : tokens) {
            JsonNode node;
            try {
                node = token == null ? null : mapper.readTree(token);
            } catch (Exception unreadable) {
                return -1;
            }
            if (node != null && node.has("currentToken")) {
                // A replay's token: where the replay has got to.
                node = node.get("currentToken");
            }
            if (node == null || !node.has("index")) {
                return -1;
            }
            long index = node.get("index").asLong();
            for (JsonNode gap : node.path("gaps")) {
                index = Math.min(index, gap.asLong() - 1);
            }
            position = Math.min(position, index);
        }
        return position;
    }
}
