package io.twinplatform.bench;

import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-path issue's floor: what a design that writes everything a reported patch needs, with plain JDBC (no
 * Axon, no Jackson, no projection logic), gets out of the same PostgreSQL. Per transaction of {@link #PER_COMMIT}
 * events, each to another of 10,000 twins (each writer thread owns a share of them, as a group-commit lane does, and
 * keeps their sequence numbers in memory): the event rows (one batch, global indexes taken in one query), the
 * current documents (upserted whole), the history rows, the history heads (upserted) and the chain links (SHA-256
 * over the previous link, one chain for all writers, so links and commits are made in chain order), then one durable
 * commit. Into scratch tables shaped like the platform's ({@code bench_floor_*}), dropped first.
 */
final class FloorWriter {

    static final int PER_COMMIT = 32;
    private static final int TWINS = 10_000;

    private final Object chainLock = new Object();
    private final AtomicLong position = new AtomicLong();
    private byte[] lastHash = new byte[32];

    private FloorWriter() {
    }

    /** Writes {@code events} events from {@code threads} threads; returns {events, nanos, p50 nanos, p99 nanos}. */
    static long[] run(DataSource dataSource, long events, int threads) throws Exception {
        createTables(new JdbcTemplate(dataSource));
        FloorWriter writer = new FloorWriter();
        long commits = (events + PER_COMMIT - 1) / PER_COMMIT;
        AtomicLong next = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int lane = t;
            futures.add(pool.submit(() -> {
                long[] latencies = new long[(int) (commits / threads + 2)];
                int n = 0;
                try (Connection connection = dataSource.getConnection()) {
                    connection.setAutoCommit(false);
                    while (next.getAndIncrement() < commits) {
                        long before = System.nanoTime();
                        writer.commit(connection, lane, threads);
                        if (n < latencies.length) {
                            latencies[n++] = System.nanoTime() - before;
                        }
                    }
                }
                return java.util.Arrays.copyOf(latencies, n);
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<long[]> future : futures) {
            for (long latency : future.get()) {
                all.add(latency);
            }
        }
        long nanos = System.nanoTime() - start;
        pool.shutdown();
        long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
        return new long[]{commits * PER_COMMIT, nanos, BenchSupport.at(sorted, 0.5), BenchSupport.at(sorted, 0.99)};
    }

    /** Each twin's next sequence number, kept in memory as a writer's cache of its twins would. */
    private final java.util.concurrent.ConcurrentHashMap<Integer, Long> sequences = new java.util.concurrent.ConcurrentHashMap<>();

    /** One transaction of {@link #PER_COMMIT} events to twins of this writer's share ({@code lane} of {@code lanes}). */
    private void commit(Connection connection, int lane, int lanes) throws SQLException {
        Set<Integer> twins = new LinkedHashSet<>();
        while (twins.size() < PER_COMMIT) {
            int twin = ThreadLocalRandom.current().nextInt(TWINS / lanes) * lanes + lane;
            twins.add(twin);
        }
        Timestamp now = new Timestamp(System.currentTimeMillis());
        try (PreparedStatement ids = connection.prepareStatement(
                "SELECT nextval('bench_floor_event_global_index_seq') FROM generate_series(1, ?)");
             PreparedStatement event = connection.prepareStatement("""
                     INSERT INTO bench_floor_event (global_index, event_identifier, meta_data, payload, payload_type,
                         time_stamp, aggregate_identifier, sequence_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""");
             PreparedStatement document = connection.prepareStatement("""
                     INSERT INTO bench_floor_document (twin_id, device_id, version, deleted, document, fields, updated_at)
                     VALUES (?, ?, ?, false, ?::jsonb, ?::jsonb, ?) ON CONFLICT (twin_id) DO UPDATE SET
                     version = excluded.version, document = excluded.document,
                     fields = excluded.fields, updated_at = excluded.updated_at""");
             PreparedStatement history = connection.prepareStatement("""
                     INSERT INTO bench_floor_history (time, twin_id, device_id, version, event_type, event_id,
                         global_index, principal, channel, paths, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)""");
             PreparedStatement head = connection.prepareStatement("""
                     INSERT INTO bench_floor_head (twin_id, version, time) VALUES (?, ?, ?) ON CONFLICT (twin_id)
                     DO UPDATE SET version = excluded.version, time = excluded.time""");
             PreparedStatement link = connection.prepareStatement("""
                     INSERT INTO bench_floor_chain (position, global_index, event_id, twin_id, hash)
                     VALUES (?, ?, ?, ?, ?)""")) {
            List<Long> indexes = new ArrayList<>();
            ids.setInt(1, PER_COMMIT);
            try (var rs = ids.executeQuery()) {
                while (rs.next()) {
                    indexes.add(rs.getLong(1));
                }
            }
            List<String> eventIds = new ArrayList<>();
            int i = 0;
            for (int twin : twins) {
                String twinId = "floor-" + twin;
                String eventId = new UUID(ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong()).toString();
                long sequence = sequences.merge(twin, 1L, Long::sum) - 1;
                double value = ThreadLocalRandom.current().nextDouble(100);
                String change = "{\"temperature\":" + value + "}";
                eventIds.add(eventId);
                event.setLong(1, indexes.get(i));
                event.setString(2, eventId);
                event.setBytes(3, ("{\"principal\":\"device:" + twinId + "\",\"channel\":\"device\"}")
                        .getBytes(StandardCharsets.UTF_8));
                event.setBytes(4, ("{\"twinId\":\"" + twinId + "\",\"patch\":" + change + "}")
                        .getBytes(StandardCharsets.UTF_8));
                event.setString(5, "io.twinplatform.api.twin.ReportedPropertiesPatched");
                event.setString(6, now.toInstant().toString());
                event.setString(7, twinId);
                event.setLong(8, sequence);
                event.addBatch();
                String doc = "{\"deviceId\":\"" + twinId + "\",\"tags\":{\"building\":\"b-" + (twin % 100)
                        + "\"},\"properties\":{\"desired\":{\"interval\":30},\"reported\":" + change + "}}";
                document.setString(1, twinId);
                document.setString(2, twinId);
                document.setLong(3, sequence + 1);
                document.setString(4, doc);
                document.setString(5, "{\"properties.reported.temperature\":" + value + "}");
                document.setTimestamp(6, now);
                document.addBatch();
                history.setTimestamp(1, now);
                history.setString(2, twinId);
                history.setString(3, twinId);
                history.setLong(4, sequence + 1);
                history.setString(5, "ReportedPropertiesPatched");
                history.setString(6, eventId);
                history.setLong(7, indexes.get(i));
                history.setString(8, "device:" + twinId);
                history.setString(9, "device");
                history.setArray(10, connection.createArrayOf("text", new String[]{"properties.reported.temperature"}));
                history.setString(11, change);
                history.addBatch();
                head.setString(1, twinId);
                head.setLong(2, sequence + 1);
                head.setTimestamp(3, now);
                head.addBatch();
                i++;
            }
            event.executeBatch();
            document.executeBatch();
            history.executeBatch();
            head.executeBatch();
            // one chain for every writer: links are made, written and committed in chain order
            synchronized (chainLock) {
                i = 0;
                for (int twin : twins) {
                    lastHash = sha256(lastHash, eventIds.get(i));
                    link.setLong(1, position.incrementAndGet());
                    link.setLong(2, indexes.get(i));
                    link.setString(3, eventIds.get(i));
                    link.setString(4, "floor-" + twin);
                    link.setString(5, HexFormat.of().formatHex(lastHash));
                    link.addBatch();
                    i++;
                }
                link.executeBatch();
                connection.commit();
            }
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }

    private static byte[] sha256(byte[] previous, String eventId) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(previous);
            digest.update(eventId.getBytes(StandardCharsets.UTF_8));
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void createTables(JdbcTemplate jdbc) {
        for (String table : List.of("event", "document", "history", "head", "chain")) {
            jdbc.execute("DROP TABLE IF EXISTS bench_floor_" + table);
        }
        BenchSupport.createEventShapedTable(jdbc, "bench_floor_event");
        jdbc.execute("""
                CREATE TABLE bench_floor_document (twin_id VARCHAR(260) PRIMARY KEY, device_id VARCHAR(128) NOT NULL,
                    module_id VARCHAR(128), version BIGINT NOT NULL, deleted BOOLEAN NOT NULL, document JSONB NOT NULL,
                    fields JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL)""");
        jdbc.execute("CREATE INDEX ON bench_floor_document USING gin (fields jsonb_path_ops)");
        jdbc.execute("""
                CREATE TABLE bench_floor_history (time TIMESTAMPTZ NOT NULL, twin_id VARCHAR(260) NOT NULL,
                    device_id VARCHAR(128) NOT NULL, version BIGINT NOT NULL, event_type VARCHAR(64) NOT NULL,
                    event_id VARCHAR(255) NOT NULL, global_index BIGINT NOT NULL, principal VARCHAR(256),
                    channel VARCHAR(32), paths TEXT[] NOT NULL, change JSONB NOT NULL,
                    PRIMARY KEY (twin_id, version, time))""");
        jdbc.execute("CREATE INDEX ON bench_floor_history (twin_id, time)");
        jdbc.execute("CREATE INDEX ON bench_floor_history (time, twin_id, version)");
        jdbc.execute("CREATE INDEX ON bench_floor_history (principal, time, twin_id, version)");
        jdbc.execute("""
                CREATE TABLE bench_floor_head (twin_id VARCHAR(260) PRIMARY KEY, version BIGINT NOT NULL,
                    time TIMESTAMPTZ NOT NULL)""");
        jdbc.execute("""
                CREATE TABLE bench_floor_chain (position BIGINT PRIMARY KEY, global_index BIGINT NOT NULL UNIQUE,
                    event_id VARCHAR(255) NOT NULL UNIQUE, twin_id VARCHAR(255) NOT NULL, hash CHAR(64) NOT NULL)""");
    }
}
