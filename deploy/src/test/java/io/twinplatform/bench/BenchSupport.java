package io.twinplatform.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.deploy.TwinPlatformApplication;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/** What the benchmarks share: waiting for the projection, percentiles, a parallel loop, audit metadata. */
final class BenchSupport {

    private BenchSupport() {
    }

    /**
     * Starts the whole platform in this JVM on {@code dataDir} (embedded PostgreSQL unless a JDBC URL is set), on a
     * free port, quiet logs, 40 pooled connections, plus {@code properties}. Properties are passed as command-line
     * arguments so that they win over application.yml.
     */
    static ConfigurableApplicationContext start(Path dataDir, Map<String, String> properties) {
        System.setProperty("axoniq.update-checker.disabled", "true");
        Map<String, String> all = new LinkedHashMap<>(Map.of("server.port", "0", "twin.data-dir", dataDir.toString(),
                "logging.level.root", "warn", "spring.datasource.hikari.maximum-pool-size", "40"));
        all.putAll(properties);
        String[] arguments = all.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        ConfigurableApplicationContext app = new SpringApplicationBuilder(TwinPlatformApplication.class).run(arguments);
        try {
            authorization = "Bearer " + Files.readString(dataDir.resolve("admin-key")).trim();
        } catch (IOException e) {
            app.close();
            throw new java.io.UncheckedIOException("the platform wrote no admin key to " + dataDir, e);
        }
        return app;
    }

    /** Deletes a benchmark's data directory and everything in it, if it exists. */
    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** The bootstrap admin key of the platform started last, as the Authorization header a client sends. */
    private static volatile String authorization;

    /** A request to the platform started last, authenticated as a client is: with its admin key. */
    static java.net.http.HttpRequest.Builder request(java.net.URI uri) {
        return java.net.http.HttpRequest.newBuilder(uri).header("Authorization", authorization);
    }

    /**
     * The platform with its embedded broker's TLS listener on any free port (devices connect over TLS, as real ones
     * do), its data under a new temporary directory (embedded
     * PostgreSQL unless a JDBC URL is set).
     */
    static ConfigurableApplicationContext startWithBroker(String directoryPrefix) throws IOException {
        return start(Files.createTempDirectory(directoryPrefix),
                Map.of("twin.mqtt.enabled", "true", "twin.mqtt.tls-port", "0"));
    }

    /** The machine and the database's durability settings, as every device benchmark prints them first. */
    static String machine(DataSource dataSource) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        return String.format(Locale.ROOT, "machine: %d cores, Java %s; PostgreSQL %s, fsync %s,"
                        + " synchronous_commit %s", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), jdbc.queryForObject("SHOW server_version", String.class),
                jdbc.queryForObject("SHOW fsync", String.class),
                jdbc.queryForObject("SHOW synchronous_commit", String.class));
    }

    /**
     * Creates {@code count} device twins ({@code prefix-00000}, ...) through the command gateway, 32 at a time, prints
     * how long that took, waits until the current-state projection shows them, and returns their ids.
     */
    static List<String> createDevices(CommandGateway commands, DataSource dataSource, String prefix, int count)
            throws Exception {
        List<String> ids = IntStream.range(0, count)
                .mapToObj(i -> String.format(Locale.ROOT, "%s-%05d", prefix, i)).toList();
        long start = System.nanoTime();
        parallel(32, count, i -> commands.sendAndWait(GenericCommandMessage
                .asCommandMessage(new PutTwin(ids.get(i), tags(i), null, null, false))
                .andMetaData(audit(Channel.API).toMap())));
        System.out.printf(Locale.ROOT, "created %,d twins in %.1f s%n", count,
                (System.nanoTime() - start) / 1e9);
        awaitProjection(dataSource, 300);
        return ids;
    }

    /** The tags of the benchmarks' twins: one fleet, 50 buildings. */
    static ObjectNode tags(int i) {
        ObjectNode tags = JsonNodeFactory.instance.objectNode();
        tags.put("fleet", "bench");
        tags.put("building", "b-" + (i % 50));
        return tags;
    }

    /** A device's reported patch that always changes something (its sequence number). */
    static ObjectNode reported(long sequence) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.put("temperature", 15 + ThreadLocalRandom.current().nextDouble() * 10);
        patch.put("sequence", sequence);
        patch.putObject("battery").put("level", ThreadLocalRandom.current().nextInt(100));
        return patch;
    }

    static AuditMetadata audit(Channel channel) {
        return new AuditMetadata("bench", channel, "in-process", UUID.randomUUID().toString(), null);
    }

    static void awaitProjection(DataSource dataSource, int seconds) throws InterruptedException {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        for (long end = System.nanoTime() + seconds * 1_000_000_000L; System.nanoTime() < end; ) {
            Long behind = jdbc.queryForObject("""
                    SELECT count(*) FROM twin_registry r LEFT JOIN twin_document d ON d.twin_id = r.twin_id
                    WHERE d.twin_id IS NULL""", Long.class);
            Long head = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
            String token = jdbc.queryForObject(
                    "SELECT string_agg(convert_from(token, 'UTF8'), ',') FROM token_entry WHERE processor_name IN ('twin-state', 'twin-current')",
                    String.class);
            // no token: current state runs in the writing transaction (subscribing), nothing to wait for
            if (behind != null && behind == 0 && (token == null || tokensReach(token, head))) {
                return;
            }
            Thread.sleep(100);
        }
        System.out.println("warning: projection did not catch up within " + seconds + " s");
    }

    /**
     * Waits until every streaming processor's tokens (all of {@code token_entry}: the projections, history, the audit
     * chain, the configuration applier, sagas, Kafka when on) have reached the event store's head as it was when
     * called, and returns the seconds that took; -1 when they did not within {@code seconds}. A write phase's
     * sustained rate counts until then: every processor has drained.
     */
    static double awaitAllProcessors(DataSource dataSource, int seconds) throws InterruptedException {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        long start = System.nanoTime();
        Long head = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
        Map<String, Double> drainedAfter = new java.util.TreeMap<>();
        for (long end = start + seconds * 1_000_000_000L; System.nanoTime() < end; ) {
            List<Map<String, Object>> processors = jdbc.queryForList(
                    "SELECT processor_name, bool_and(token IS NOT NULL) AS started,"
                            + " string_agg(convert_from(token, 'UTF8'), ',') AS tokens"
                            + " FROM token_entry GROUP BY processor_name");
            double now = (System.nanoTime() - start) / 1e9;
            boolean drained = true;
            for (Map<String, Object> row : processors) {
                boolean reached = Boolean.TRUE.equals(row.get("started"))
                        && tokensReach((String) row.get("tokens"), head == null ? 0 : head);
                if (reached) {
                    drainedAfter.putIfAbsent((String) row.get("processor_name"), now);
                }
                drained &= reached;
            }
            if (drained) {
                System.out.println("  each processor drained after (s): " + drainedAfter.entrySet().stream()
                        .map(e -> e.getKey() + " " + String.format("%.1f", e.getValue()))
                        .collect(java.util.stream.Collectors.joining(", ")));
                return now;
            }
            Thread.sleep(100);
        }
        System.out.println("warning: not every processor drained within " + seconds + " s; drained: " + drainedAfter);
        return -1;
    }

    /** Whether every segment's token (Jackson JSON of a gap-aware token) has reached {@code head}. */
    static boolean tokensReach(String tokens, long head) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"index\"\\s*:\\s*(\\d+)").matcher(tokens);
        boolean any = false;
        while (m.find()) {
            any = true;
            if (Long.parseLong(m.group(1)) < head) {
                return false;
            }
        }
        return any;
    }

    static long at(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    static void parallel(int threads, int count, java.util.function.IntConsumer task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong next = new AtomicLong();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                long i;
                while ((i = next.getAndIncrement()) < count) {
                    task.accept((int) i);
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
    }

    /** A fresh {@code bench_raw_insert}, shaped like Axon's event table: the raw limit's target. */
    static void createRawEventTable(org.springframework.jdbc.core.JdbcTemplate jdbc) {
        createEventShapedTable(jdbc, "bench_raw_insert");
    }

    /** Drops and creates {@code table}, shaped like the event table (its columns, keys and unique constraints). */
    static void createEventShapedTable(org.springframework.jdbc.core.JdbcTemplate jdbc, String table) {
        jdbc.execute("DROP TABLE IF EXISTS " + table);
        jdbc.execute("CREATE TABLE " + table + """
                 (global_index BIGSERIAL PRIMARY KEY, event_identifier VARCHAR(255) NOT NULL UNIQUE,
                    meta_data BYTEA, payload BYTEA NOT NULL, payload_type VARCHAR(255) NOT NULL,
                    time_stamp VARCHAR(255) NOT NULL, aggregate_identifier VARCHAR(255) NOT NULL,
                    sequence_number BIGINT NOT NULL, UNIQUE (aggregate_identifier, sequence_number))""");
    }

    /** The raw limit's insert into {@code bench_raw_insert}: one event-shaped row. */
    static final String RAW_INSERT = """
            INSERT INTO bench_raw_insert (event_identifier, meta_data, payload, payload_type,
                time_stamp, aggregate_identifier, sequence_number) VALUES (?, ?, ?, ?, ?, ?, ?)""";

    /** Binds row {@code i} of the raw limit: a new event id, the given metadata, payload and type, aggregate raw-i. */
    static void bindRawEvent(java.sql.PreparedStatement insert, long i, byte[] meta, byte[] payload, String type)
            throws java.sql.SQLException {
        insert.setString(1, java.util.UUID.randomUUID().toString());
        insert.setBytes(2, meta);
        insert.setBytes(3, payload);
        insert.setString(4, type);
        insert.setString(5, java.time.Instant.now().toString());
        insert.setString(6, "raw-" + i);
        insert.setLong(7, 0);
    }

    /**
     * CPU time used so far by this JVM (the platform and, in the benchmarks, the load generator) and by the
     * PostgreSQL server the data source reaches when it runs on this machine (the postmaster of a backend and all its
     * processes; 0 when it cannot be seen, such as a remote server).
     */
    record Cpu(long javaNanos, long postgresNanos) {

        static Cpu now(DataSource dataSource) {
            long jvm = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
            long postgres = 0;
            try {
                Integer backend = new JdbcTemplate(dataSource).queryForObject("SELECT pg_backend_pid()", Integer.class);
                java.util.Optional<ProcessHandle> postmaster = ProcessHandle.of(backend).flatMap(ProcessHandle::parent);
                if (postmaster.isPresent()) {
                    postgres = java.util.stream.Stream.concat(java.util.stream.Stream.of(postmaster.get()),
                                    postmaster.get().descendants())
                            .mapToLong(p -> p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L))
                            .sum();
                }
            } catch (RuntimeException e) {
                postgres = 0;
            }
            return new Cpu(jvm, postgres);
        }

        Cpu minus(Cpu before) {
            return new Cpu(javaNanos - before.javaNanos, postgresNanos - before.postgresNanos);
        }
    }
}
