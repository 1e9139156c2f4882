package io.twinplatform.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.SetTwinStatus;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinStatus;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.postgresql.PGStatement;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * The history and audit side over a large event store: how fast its projections build, and how fast it answers
 * point-in-time reads, a twin's history, the fleet's audit trail and verification, against the database's own
 * figures for the same work in the same run.
 *
 * <p><b>Data.</b> The platform keeps its data in {@code bench.dir} (default {@code target/bench-history}, relative to
 * the working directory); a later run with the same scale reuses it and skips generation and the projection build.
 * The history ({@link HistoryGenerator}: {@code bench.events} events, default 10,000,000, over {@code bench.twins}
 * twins, default 100,000, in the last {@code bench.days} days, default 30, by {@code bench.principals} operators,
 * default 50, plus one device principal per twin) is written straight into {@code domain_event_entry} with binary
 * {@code COPY}, because the command gateway manages about 1,500 events/s.
 *
 * <p><b>How the projections are kept out of the generation.</b> The platform is started once (Flyway creates the
 * schema); five commands through the command gateway write a sample twin, and each of the generator's rows is
 * checked to be byte-identical to the row Axon wrote for the same event and metadata (payload type and revision,
 * aggregate type, timestamp format, metadata, sequence number). Once every processor has passed the sample, the
 * benchmark shuts down all streaming processors in this JVM (their claims are released), COPYs the history, sets
 * the tokens of every streaming processor except {@code twin-history} and {@code audit-chain} to the new head (so
 * {@code twin-current} skips the generated events and {@code twin_document} does not hold the generated twins; the
 * subscribing {@code twin-registry} never sees COPYed rows, so the generator writes its rows itself), then starts
 * {@code twin-history} alone and times it to the head, then {@code audit-chain} alone, then the rest.
 *
 * <p><b>Measured.</b> Generation rate and sizes; each projection's build rate (target 20,000 events/s); with
 * {@code bench.replay} (default on up to 1,000,000 events) a full {@code POST /admin/projections/twin-history/replay};
 * then, over HTTP with {@code bench.threads} threads (default 8), {@code bench.runs} samples each (default 2,000):
 * {@code GET /twins/{id}?asOf=…} and {@code ?atVersion=…}, {@code GET /twins/{id}/history?pageSize=50} with and
 * without {@code from}/{@code to}, {@code GET /audit?principal=…} over the last 30 days, once {@code POST
 * /audit/verify}, and {@code POST /query} with {@code asOf} (reported as not available while it answers 422).
 * Baselines: the point-in-time lookup as plain SQL over JDBC, and batched {@code INSERT}s of history rows into an
 * unpartitioned scratch table with the same columns and indexes (200 a batch, one commit each, as the projection
 * writes; {@code bench.baseline-rows}, default 200,000).
 *
 * <p>Run: {@code ./mvnw -o -Pbench -Dbench.main=io.twinplatform.bench.HistoryBenchmark -DskipTests -pl deploy verify}
 * (small: {@code -Dbench.events=200000 -Dbench.twins=2000 -Dbench.dir=target/bench-history-small}). At full scale
 * the database needs roughly 40 GB of disk: the history table keeps the whole twin after every event.
 */
public final class HistoryBenchmark {

    private static final int EVENTS = Integer.getInteger("bench.events", 10_000_000);
    private static final int TWINS = Integer.getInteger("bench.twins", 100_000);
    private static final int DAYS = Integer.getInteger("bench.days", 30);
    private static final int PRINCIPALS = Integer.getInteger("bench.principals", 50);
    private static final int RUNS = Integer.getInteger("bench.runs", 2000);
    private static final int THREADS = Integer.getInteger("bench.threads", 8);
    private static final long SEED = Long.getLong("bench.seed", 42);
    private static final boolean REPLAY = Boolean.parseBoolean(
            System.getProperty("bench.replay", String.valueOf(EVENTS <= 1_000_000)));
    /** Whether the generator writes the history rows itself (the projection's build is then not waited for). */
    private static final boolean HISTORY_ROWS = Boolean.parseBoolean(
            System.getProperty("bench.history-rows", String.valueOf(EVENTS > 1_000_000)));
    /** With reused data: read first with the chain's processor stopped, then finish its build and verify. */
    private static final boolean READS_FIRST = Boolean.getBoolean("bench.reads-first");
    /** Whether to verify the history rows against their events too (a join of both tables: long at 10M). */
    private static final boolean FULL_VERIFY = Boolean.parseBoolean(
            System.getProperty("bench.full-verify", String.valueOf(EVENTS <= 1_000_000)));
    private static final int BASELINE_ROWS = Integer.getInteger("bench.baseline-rows", 200_000);
    /** The history projection's batch size (twin.history.batch-size). */
    private static final int BATCH = 200;
    private static final String HISTORY = "twin-history";
    private static final String CHAIN = "audit-chain";
    private static final Set<String> MEASURED = Set.of(HISTORY, CHAIN);

    private final ConfigurableApplicationContext app;
    private final DataSource dataSource;
    private final JdbcTemplate jdbc;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final List<String> report = new ArrayList<>();

    private HistoryBenchmark(ConfigurableApplicationContext app) {
        this.app = app;
        this.dataSource = app.getBean(DataSource.class);
        this.jdbc = new JdbcTemplate(dataSource);
        this.base = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("bench.dir", "target/bench-history"));
        Map<String, String> properties = new LinkedHashMap<>();
        // the history's build and replay are timed alone: its own processor, not merged with current state
        properties.put("twin.projections.merged", "false");
        if (DAYS + 30 > 90) {
            // every generated event must stay within the history table's retention (default 90 days)
            properties.put("twin.history.retention", (DAYS + 30) + "d");
        }
        System.out.printf("history benchmark: data in %s%n", dir.toAbsolutePath());
        ConfigurableApplicationContext app = BenchSupport.start(dir, properties);
        try {
            new HistoryBenchmark(app).run();
        } finally {
            app.close();
        }
    }

    /** A line of the final report, also printed at once (a long run keeps what it measured if stopped). */
    private void note(String line) {
        System.out.println("  | " + line);
        report.add(line);
    }

    private void run() throws Exception {
        note(String.format("machine: %d cores, %s, Java %s; %,d events, %,d twins, %d days, %d principals,"
                        + " %d HTTP threads, %,d samples per read", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("java.version"), EVENTS, TWINS, DAYS, PRINCIPALS,
                THREADS, RUNS));
        // the generated twin ids are the range [PREFIX, PREFIX with its last character incremented)
        String prefix = HistoryGenerator.PREFIX;
        String after = prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1);
        long generated = count("SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier >= ?"
                + " AND aggregate_identifier < ?", prefix, after);
        long registered = count("SELECT count(*) FROM twin_registry WHERE twin_id >= ? AND twin_id < ?", prefix, after);
        if (generated == 0) {
            generateAndBuild();
        } else if (generated == EVENTS && registered == TWINS) {
            note(String.format("generation: reused the %,d events already in the data directory (generation and"
                    + " initial build were measured by the run that wrote them)", generated));
            if (READS_FIRST) {
                // The reads, while no projection writes: the chain is built (and verified) after them.
                processors().get(CHAIN).shutdownAsync().get(60, TimeUnit.SECONDS);
                sizes();
                reads(lives());
                if (Boolean.parseBoolean(System.getProperty("bench.fleet-as-of", "true"))) {
                    fleetQueryAsOf();
                }
                insertBaseline();
                processors().get(CHAIN).start();
            }
            awaitProcessors();
            if (READS_FIRST) {
                verify();
                System.out.println();
                System.out.println("== history benchmark ==");
                report.forEach(System.out::println);
                return;
            }
        } else {
            throw new IllegalStateException(String.format("the data directory holds %,d generated events of %,d twins,"
                    + " not %,d of %,d (an interrupted generation, or another scale): delete it or set -Dbench.dir",
                    generated, registered, EVENTS, TWINS));
        }
        sizes();
        if (REPLAY) {
            replay();
        }
        List<Life> lives = lives();
        reads(lives);
        verify();
        fleetQueryAsOf();
        insertBaseline();
        System.out.println();
        System.out.println("== history benchmark ==");
        report.forEach(System.out::println);
    }

    // ---------------------------------------------------------------- generation and initial build

    private void generateAndBuild() throws Exception {
        Serializer serializer = app.getBean("eventSerializer", Serializer.class);
        String aggregateType = checkShape(app.getBean(CommandGateway.class), serializer);
        Long max = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
        awaitTokens(processors().keySet(), max, 60);

        Map<String, StreamingEventProcessor> processors = processors();
        for (StreamingEventProcessor processor : processors.values()) {
            processor.shutdownAsync().get(60, TimeUnit.SECONDS);
        }
        HistoryGenerator generator = new HistoryGenerator(serializer, aggregateType, EVENTS, TWINS, DAYS, PRINCIPALS,
                SEED);
        System.out.printf("generating %s%n", generator);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        HistoryGenerator.Written written = generator.write(dataSource, max + 1, now,
                Math.max(1, Runtime.getRuntime().availableProcessors()), HISTORY_ROWS);
        note(String.format("generation: %,d events (global index %,d to %,d, %s to %s) and %,d twin_registry rows"
                        + " by binary COPY in %.1f s = %,.0f events/s", written.events(), written.firstGlobalIndex(),
                written.lastGlobalIndex(), written.from(), written.to(), TWINS, written.seconds(),
                written.events() / written.seconds()));
        // Autovacuum would start on the new rows in the middle of the build; vacuum them now, outside the timing.
        long vacuum = System.nanoTime();
        jdbc.execute("VACUUM ANALYZE domain_event_entry");
        note(String.format("then VACUUM ANALYZE domain_event_entry: %.1f s (not part of the rate above)",
                (System.nanoTime() - vacuum) / 1e9));

        long head = written.lastGlobalIndex();
        TrackingToken headToken = app.getBean(EventStorageEngine.class).createHeadToken();
        TokenStore tokens = app.getBean(TokenStore.class);
        TransactionManager transactions = app.getBean(TransactionManager.class);
        List<String> skipped = new ArrayList<>();
        Set<String> built = HISTORY_ROWS ? Set.of(CHAIN) : MEASURED;
        if (HISTORY_ROWS) {
            note(String.format("history rows: %,d written by the generator in the same COPY run (folded with the"
                    + " platform's TwinState, as the projection writes them); the projection's own build rate is"
                    + " measured at a smaller scale (-Dbench.history-rows=false)", count("SELECT count(*) FROM twin_history")));
        }
        for (String name : processors.keySet()) {
            if (!built.contains(name)) {
                for (int segment : tokens.fetchSegments(name)) {
                    transactions.executeInTransaction(() -> tokens.storeToken(headToken, name, segment));
                }
                skipped.add(name);
            }
        }
        for (String name : HISTORY_ROWS ? List.of(CHAIN) : List.of(HISTORY, CHAIN)) {
            StreamingEventProcessor processor = processors.get(name);
            if (processor == null) {
                throw new IllegalStateException("no streaming processor named " + name + "; there are "
                        + processors.keySet());
            }
            long start = System.nanoTime();
            processor.start();
            awaitTokens(Set.of(name), head, 24 * 3600);
            double seconds = (System.nanoTime() - start) / 1e9;
            note(String.format("initial build of %s (alone, %,d generated events): %.1f s = %,.0f events/s"
                    + " (target >= 20,000/s)", name, written.events(), seconds, written.events() / seconds));
        }
        processors.values().stream().filter(p -> !built.contains(p.getName()))
                .forEach(StreamingEventProcessor::start);
        note("skipped the generated events (token set to the head): " + String.join(", ", skipped)
                + " (twin_document does not hold the generated twins; the generator wrote their twin_registry rows)");
    }

    /**
     * Writes a sample twin through the command gateway (one command per event type the generator writes) and checks
     * that the generator encodes each of the same events byte for byte as Axon stored it. Returns the aggregate type
     * Axon stores.
     */
    private String checkShape(CommandGateway commands, Serializer serializer) {
        String twinId = "bench-shape-" + UUID.randomUUID().toString().substring(0, 8);
        SplittableRandom random = new SplittableRandom(SEED);
        HistoryGenerator.Cursor cursor = new HistoryGenerator.Cursor(twinId);
        ObjectNode tags = HistoryGenerator.tags(0, random);
        ObjectNode desired = HistoryGenerator.desired(random);
        ObjectNode reported = HistoryGenerator.fullReport(random);
        ObjectNode desiredPatch = JsonNodeFactory.instance.objectNode();
        desiredPatch.putObject("thresholds").put("high", 99);
        ObjectNode tagsPatch = JsonNodeFactory.instance.objectNode();
        tagsPatch.putObject("location").put("floor", 99);
        String operator = HistoryGenerator.operator(0);
        record Sample(Object command, AuditMetadata audit, TwinEvent expected) {
        }
        List<Sample> samples = List.of(
                new Sample(new PutTwin(twinId, tags, desired, null, false),
                        new AuditMetadata(operator, Channel.API, HistoryGenerator.TRANSPORT, uuid(), null),
                        cursor.create(tags, desired)),
                new Sample(new PatchReportedProperties(twinId, reported, null),
                        new AuditMetadata(HistoryGenerator.device(twinId), Channel.DEVICE, HistoryGenerator.TRANSPORT,
                                uuid(), null),
                        cursor.report(reported)),
                new Sample(new PatchTwin(twinId, null, desiredPatch, null),
                        new AuditMetadata(operator, Channel.CONFIGURATION, HistoryGenerator.TRANSPORT, uuid(),
                                "change CHG-1"),
                        cursor.patch(null, desiredPatch)),
                new Sample(new PatchTwin(twinId, tagsPatch, null, null),
                        new AuditMetadata(operator, Channel.API, HistoryGenerator.TRANSPORT, uuid(), null),
                        cursor.patch(tagsPatch, null)),
                new Sample(new SetTwinStatus(twinId, TwinStatus.DISABLED, "maintenance window", null),
                        new AuditMetadata(operator, Channel.API, HistoryGenerator.TRANSPORT, uuid(), "ticket M-1"),
                        cursor.status(TwinStatus.DISABLED, "maintenance window")));
        List<Map<String, Object>> expectedMeta = new ArrayList<>();
        for (Sample sample : samples) {
            CommandMessage<?> message = GenericCommandMessage.asCommandMessage(sample.command())
                    .andMetaData(sample.audit().toMap());
            commands.sendAndWait(message);
            expectedMeta.add(HistoryGenerator.metaData(sample.audit(), message.getIdentifier()));
        }
        List<HistoryGenerator.Row> stored = jdbc.query("SELECT event_identifier, meta_data, payload, payload_revision,"
                        + " payload_type, time_stamp, aggregate_identifier, sequence_number, type"
                        + " FROM domain_event_entry WHERE aggregate_identifier = ? ORDER BY sequence_number",
                (rs, n) -> new HistoryGenerator.Row(rs.getString(1), rs.getBytes(2), rs.getBytes(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getLong(8), rs.getString(9)), twinId);
        if (stored.size() != samples.size()) {
            throw new IllegalStateException("the sample commands stored " + stored.size() + " events, not "
                    + samples.size());
        }
        String aggregateType = stored.get(0).type();
        HistoryGenerator encoder = new HistoryGenerator(serializer, aggregateType, 2, 1, 1, 1, SEED);
        for (int i = 0; i < samples.size(); i++) {
            HistoryGenerator.Row real = stored.get(i);
            HistoryGenerator.Row ours = encoder.encode(HistoryGenerator.spec(real.eventId(), samples.get(i).expected(),
                    expectedMeta.get(i), DateTimeUtils.parseInstant(real.timeStamp())));
            if (!HistoryGenerator.sameRow(real, ours)) {
                throw new IllegalStateException("the generator's row differs from the one Axon stored for "
                        + samples.get(i).command().getClass().getSimpleName() + ":\n stored:    " + describe(real)
                        + "\n generated: " + describe(ours));
            }
        }
        note(String.format("shape check: %d events written through the command gateway (%s) re-encoded by the"
                + " generator byte for byte (payload type %s, revision %s, aggregate type %s, time_stamp %s)",
                samples.size(), twinId, stored.get(0).payloadType(), stored.get(0).payloadRevision(), aggregateType,
                stored.get(0).timeStamp()));
        return aggregateType;
    }

    private static String describe(HistoryGenerator.Row row) {
        return row.payloadType() + " rev " + row.payloadRevision() + " type " + row.type() + " seq "
                + row.sequenceNumber() + " at " + row.timeStamp() + " payload "
                + new String(row.payload(), StandardCharsets.UTF_8) + " meta "
                + new String(row.metaData(), StandardCharsets.UTF_8);
    }

    /** After a reused generation: the measured processors may still be building (an interrupted run). */
    private void awaitProcessors() throws Exception {
        long head = count("SELECT coalesce(max(global_index), 0) FROM domain_event_entry");
        long start = System.nanoTime();
        long behind = Math.min(position(HISTORY), position(CHAIN));
        awaitTokens(MEASURED, head, 24 * 3600);
        if (behind < head) {
            note(String.format("resumed an unfinished projection build from position %,d: %.1f s to the head",
                    behind, (System.nanoTime() - start) / 1e9));
        }
    }

    private Map<String, StreamingEventProcessor> processors() {
        Map<String, StreamingEventProcessor> processors = new LinkedHashMap<>();
        app.getBean(EventProcessingConfiguration.class).eventProcessors().forEach((name, processor) -> {
            if (processor instanceof StreamingEventProcessor streaming) {
                processors.put(name, streaming);
            }
        });
        return processors;
    }

    /** The lowest token index among the processor's segments (in token_entry); -1 before it has one. */
    private long position(String processor) throws Exception {
        List<String> tokens = jdbc.queryForList("SELECT convert_from(token, 'UTF8') FROM token_entry"
                + " WHERE processor_name = ?", String.class, processor);
        long position = tokens.isEmpty() ? -1 : Long.MAX_VALUE;
        for (String token : tokens) {
            position = Math.min(position, index(token == null ? null : json.readTree(token)));
        }
        return position;
    }

    /** A gap-aware token's index; a replay token's current one (it stays a replay token at the head). */
    private static long index(JsonNode token) {
        if (token == null || token.isNull()) {
            return -1;
        }
        if (token.has("currentToken")) {
            return index(token.get("currentToken"));
        }
        return token.has("index") ? token.get("index").asLong() : -1;
    }

    /**
     * Waits until every named processor's tokens reach {@code head}, printing progress every minute; fails when they
     * have not moved for 15 minutes (a processor in error retries quietly: see the log) or after {@code seconds}.
     */
    private void awaitTokens(Set<String> names, long head, int seconds) throws Exception {
        long start = System.nanoTime();
        long printed = start;
        long moved = start;
        long last = Long.MIN_VALUE;
        while (true) {
            long lowest = Long.MAX_VALUE;
            for (String name : names) {
                lowest = Math.min(lowest, position(name));
            }
            if (lowest >= head) {
                return;
            }
            long now = System.nanoTime();
            if (lowest != last) {
                last = lowest;
                moved = now;
            }
            if (now - start > seconds * 1_000_000_000L || now - moved > 900_000_000_000L) {
                throw new IllegalStateException(String.format("%s stand at %,d, not at the head %,d, after %.0f s",
                        names, lowest, head, (now - start) / 1e9));
            }
            if (now - printed > 60_000_000_000L) {
                printed = now;
                System.out.printf("  %s at %,d of %,d after %.0f s%n", names, lowest, head, (now - start) / 1e9);
            }
            Thread.sleep(100);
        }
    }

    // ---------------------------------------------------------------- sizes and replay

    private void sizes() {
        jdbc.execute("ANALYZE twin_history");
        jdbc.execute("ANALYZE event_chain");
        long events = count("SELECT count(*) FROM domain_event_entry");
        long rows = count("SELECT count(*) FROM twin_history");
        String history = """
                WITH RECURSIVE tree(oid) AS (SELECT 'twin_history'::regclass::oid
                    UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid)
                SELECT %s FROM tree""";
        long historyBytes = count(String.format(history, "coalesce(sum(pg_total_relation_size(oid)), 0)"));
        long partitions = count(String.format(history, "count(*) - 1"));
        long eventBytes = count("SELECT pg_total_relation_size('domain_event_entry')");
        long chainBytes = count("SELECT pg_total_relation_size('event_chain')");
        String sample = rows > 1_000_000 ? " TABLESAMPLE SYSTEM (1)" : "";
        Integer rowBytes = jdbc.queryForObject("SELECT avg(pg_column_size(h.*))::int FROM twin_history h" + sample,
                Integer.class);
        Integer stateBytes = jdbc.queryForObject("SELECT avg(pg_column_size(h.state))::int FROM twin_history h"
                + sample, Integer.class);
        note(String.format("domain_event_entry: %,d events, %s with indexes (%,d bytes/event)", events,
                mb(eventBytes), eventBytes / Math.max(1, events)));
        note(String.format("twin_history: %,d rows in %d partitions, %s with indexes and TOAST (%,d bytes/row);"
                        + " average row %,d bytes (pg_column_size%s), of which the state %,d", rows, partitions,
                mb(historyBytes), historyBytes / Math.max(1, rows), rowBytes, sample.isEmpty() ? "" : ", 1% sample",
                stateBytes));
        note(String.format("event_chain: %,d links, %s", count("SELECT count(*) FROM event_chain"),
                mb(chainBytes)));
        note(rows == events ? String.format("check: twin_history rows = events in the store (%,d)", rows)
                : String.format("CHECK FAILED: %,d twin_history rows for %,d events in the store", rows, events));
    }

    /**
     * {@code POST /admin/projections/twin-history/replay}, timed until {@code GET /admin/projections} says done; fails
     * when its position has not moved for 15 minutes.
     */
    private void replay() throws Exception {
        long head = count("SELECT coalesce(max(global_index), 0) FROM domain_event_entry");
        long start = System.nanoTime();
        HttpResponse<String> started = send(BenchSupport.request(URI.create(base + "/admin/projections/" + HISTORY
                + "/replay")).POST(HttpRequest.BodyPublishers.noBody()).build(), Duration.ofMinutes(2));
        if (started.statusCode() != 202) {
            note("replay of " + HISTORY + ": HTTP " + started.statusCode() + " " + started.body());
            return;
        }
        JsonNode view;
        long printed = start;
        long moved = start;
        long last = Long.MIN_VALUE;
        while (true) {
            Thread.sleep(250);
            view = projection(HISTORY);
            long position = view.path("position").asLong();
            if (!view.path("replaying").asBoolean() && position >= head) {
                break;
            }
            long now = System.nanoTime();
            if (position != last) {
                last = position;
                moved = now;
            } else if (now - moved > 900_000_000_000L) {
                throw new IllegalStateException("the replay of " + HISTORY + " stands still: " + view);
            }
            if (now - printed > 60_000_000_000L) {
                printed = now;
                System.out.printf("  replay of %s: %s%n", HISTORY, view);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long events = count("SELECT count(*) FROM domain_event_entry");
        note(String.format("replay of %s (POST /admin/projections/%s/replay, all %,d events, other processors"
                        + " idle): %.1f s = %,.0f events/s; GET /admin/projections said %s events/s", HISTORY, HISTORY,
                events, seconds, events / seconds, view.path("eventsPerSecond").asText("?")));
        long rows = count("SELECT count(*) FROM twin_history");
        if (rows != events) {
            note(String.format("CHECK FAILED: %,d twin_history rows after the replay, %,d events", rows, events));
        }
    }

    private JsonNode projection(String name) throws Exception {
        JsonNode all = json.readTree(get("/admin/projections").body());
        for (JsonNode projection : all.path("projections")) {
            if (name.equals(projection.path("name").asText())) {
                return projection;
            }
        }
        throw new IllegalStateException("GET /admin/projections does not list " + name + ": " + all);
    }

    // ---------------------------------------------------------------- reads

    /** A sampled twin: its first and last event times and its last version. */
    private record Life(String twinId, Instant created, Instant last, long versions) {

        Instant within(SplittableRandom random) {
            long span = last.toEpochMilli() - created.toEpochMilli();
            return Instant.ofEpochMilli(created.toEpochMilli() + (span <= 0 ? 0 : random.nextLong(span + 1)));
        }
    }

    private List<Life> lives() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        List<Life> lives = new ArrayList<>();
        for (int i = 0; i < Math.min(TWINS, 1000); i++) {
            String twinId = HistoryGenerator.twinId(random.nextInt(TWINS));
            lives.add(jdbc.queryForObject("SELECT min(time), max(time), max(version) FROM twin_history"
                    + " WHERE twin_id = ?", (rs, n) -> new Life(twinId, rs.getTimestamp(1).toInstant(),
                    rs.getTimestamp(2).toInstant(), rs.getLong(3)), twinId));
        }
        return lives;
    }

    private void reads(List<Life> lives) throws Exception {
        Instant now = Instant.now();
        String monthAgo = now.minus(30, ChronoUnit.DAYS).toString();
        List<String> rows = new ArrayList<>();
        rows.add(measure("GET /twins/{id}?asOf=<instant in its life>", "p99 < 10", RUNS, (i, r) -> {
            Life life = lives.get(r.nextInt(lives.size()));
            return "/twins/" + life.twinId() + "?asOf=" + encode(life.within(r).toString());
        }));
        rows.add(measure("GET /twins/{id}?atVersion=<version>", "p99 < 10", RUNS, (i, r) -> {
            Life life = lives.get(r.nextInt(lives.size()));
            return "/twins/" + life.twinId() + "?atVersion=" + (1 + r.nextLong(life.versions()));
        }));
        rows.add(measure("GET /twins/{id}/history?pageSize=50 (newest first)", "p99 < 20", RUNS, (i, r) ->
                "/twins/" + lives.get(r.nextInt(lives.size())).twinId() + "/history?pageSize=50"));
        rows.add(measure("GET /twins/{id}/history?pageSize=50&from=&to= (a tenth of its life)", "p99 < 20", RUNS,
                (i, r) -> {
                    Life life = lives.get(r.nextInt(lives.size()));
                    Instant from = life.within(r);
                    Instant to = from.plusMillis((life.last().toEpochMilli() - life.created().toEpochMilli()) / 10 + 1);
                    return "/twins/" + life.twinId() + "/history?pageSize=50&from=" + encode(from.toString()) + "&to="
                            + encode(to.toString());
                }));
        rows.add(measure("GET /audit?principal=<operator>&from=<now-30d>&to=<now> (first page of 100)", "< 200",
                RUNS, (i, r) -> "/audit?principal=" + encode(HistoryGenerator.operator(r.nextInt(PRINCIPALS)))
                        + "&from=" + encode(monthAgo) + "&to=" + encode(now.toString())));
        rows.add(measureSql(lives));
        note("");
        note(String.format("| read (%d threads, %,d samples after %d warm-up) | p50 ms | p95 ms | p99 ms |"
                + " max ms | target ms |", THREADS, RUNS, warmUp(RUNS)));
        note("|---|---|---|---|---|---|");
        rows.forEach(this::note);
        note("");
    }

    @FunctionalInterface
    private interface PathFor {
        String path(int sample, SplittableRandom random);
    }

    /** Requests before the timed ones: {@code bench.warmup}, default a tenth of the runs, 10 to 200. */
    private static int warmUp(int runs) {
        return Integer.getInteger("bench.warmup", Math.min(200, Math.max(10, runs / 10)));
    }

    /** Times {@code runs} GETs from {@link #THREADS} threads after a warm-up; each must answer 200. */
    private String measure(String name, String target, int runs, PathFor path) throws Exception {
        IntFunction<HttpRequest> request = i -> BenchSupport.request(URI.create(base
                + path.path(i, new SplittableRandom(SEED * 31 + i)))).timeout(Duration.ofSeconds(60)).GET().build();
        return row(name, target, timed(runs, request));
    }

    private long[] timed(int runs, IntFunction<HttpRequest> request) throws Exception {
        BenchSupport.parallel(THREADS, warmUp(runs), i -> call(request.apply(runs + i)));
        long[] nanos = new long[runs];
        BenchSupport.parallel(THREADS, runs, i -> {
            HttpRequest r = request.apply(i);
            long start = System.nanoTime();
            call(r);
            nanos[i] = System.nanoTime() - start;
        });
        Arrays.sort(nanos);
        return nanos;
    }

    private void call(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode() + " for " + request.uri() + ": "
                        + response.body());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The point-in-time lookup the platform runs, as plain SQL over JDBC, with the same samples and threads. */
    private String measureSql(List<Life> lives) throws Exception {
        String sql = "SELECT state FROM twin_history WHERE twin_id = ? AND time <= ? ORDER BY time DESC, version DESC"
                + " LIMIT 1";
        IntFunction<Object[]> args = i -> {
            SplittableRandom r = new SplittableRandom(SEED * 31 + i);
            Life life = lives.get(r.nextInt(lives.size()));
            return new Object[]{life.twinId(), Timestamp.from(life.within(r))};
        };
        BenchSupport.parallel(THREADS, warmUp(RUNS), i -> jdbc.queryForList(sql, String.class, args.apply(RUNS + i)));
        long[] nanos = new long[RUNS];
        BenchSupport.parallel(THREADS, RUNS, i -> {
            Object[] values = args.apply(i);
            long start = System.nanoTime();
            if (jdbc.queryForList(sql, String.class, values).isEmpty()) {
                throw new IllegalStateException("no history row for " + Arrays.toString(values));
            }
            nanos[i] = System.nanoTime() - start;
        });
        Arrays.sort(nanos);
        return row("raw SQL: the asOf lookup over JDBC (same samples)", "-", nanos);
    }

    private static String row(String name, String target, long[] sorted) {
        return String.format("| %s | %.2f | %.2f | %.2f | %.2f | %s |", name, BenchSupport.at(sorted, 0.50) / 1e6,
                BenchSupport.at(sorted, 0.95) / 1e6, BenchSupport.at(sorted, 0.99) / 1e6,
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, target);
    }

    /** The chain alone (the target), then the chain and the history rows against their events. */
    private void verify() throws Exception {
        if (!Boolean.parseBoolean(System.getProperty("bench.verify", "true"))) {
            return;
        }
        verify("{\"history\":false}", "(target < 60 s for 10M)");
        verifyRawLimitInTheDatabase();
        verifyRawLimit();
        if (FULL_VERIFY) {
            verify("{}", "(the chain, then every history row against its event)");
        }
    }

    /**
     * The raw limit of the chain's verification where it now runs, in the same run: the database reads every link
     * with its stored event and hashes each event's payload and metadata (SHA-256), in as many statements at once as
     * there are cores, over equal ranges of the chain. What is left above it is the framing of every column, the
     * previous link's hash and the comparison with the stored one.
     */
    private void verifyRawLimitInTheDatabase() throws Exception {
        long head = count("SELECT coalesce(max(position), 0) FROM event_chain");
        int parts = Runtime.getRuntime().availableProcessors();
        long size = head / parts + 1;
        AtomicLong rows = new AtomicLong();
        long start = System.nanoTime();
        BenchSupport.parallel(parts, parts, part -> rows.addAndGet(jdbc.queryForObject(
                "SELECT count(sha256(coalesce(e.payload, '') || coalesce(e.meta_data, ''))) FROM event_chain c"
                        + " JOIN domain_event_entry e ON e.global_index = c.global_index"
                        + " WHERE c.position >= ? AND c.position < ?",
                Long.class, 1 + part * size, 1 + (part + 1) * size)));
        double seconds = (System.nanoTime() - start) / 1e9;
        note(String.format("raw limit in the database, same run: %,d links joined to their events and SHA-256"
                + " over each payload and metadata, %d statements at once: %.1f s", rows.get(), parts, seconds));
    }

    /**
     * The raw limit of the chain's verification in the application, in the same run: the rows it reads (every link
     * with its stored event, in chain order, the binary format), streamed over JDBC on one thread with SHA-256 over
     * each event's payload and metadata as stored: the floor of any verification that reads the events into the application (as links of the
     * first form, whose canonical JSON only the application makes, are verified).
     */
    private void verifyRawLimit() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long rows = 0;
        long bytes = 0;
        long start = System.nanoTime();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement select = connection.prepareStatement("SELECT c.position, c.global_index,"
                    + " c.event_id, c.hash, e.global_index, e.event_identifier, e.aggregate_identifier,"
                    + " e.sequence_number, e.type, e.payload_type, e.payload_revision, e.time_stamp, e.payload,"
                    + " e.meta_data FROM event_chain c"
                    + " LEFT JOIN domain_event_entry e ON e.global_index = c.global_index ORDER BY c.position")) {
                select.setFetchSize(2000);
                select.unwrap(PGStatement.class).setPrepareThreshold(-1);
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        rows++;
                        // every column the verification reads; only payload and metadata are hashed and counted
                        for (int column = 1; column <= 12; column++) {
                            rs.getObject(column);
                        }
                        for (int column = 13; column <= 14; column++) {
                            byte[] stored = rs.getBytes(column);
                            if (stored != null) {
                                sha.update(stored);
                                bytes += stored.length;
                            }
                        }
                    }
                }
            }
            connection.commit();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        note(String.format("raw limit, same run: the same %,d rows streamed over JDBC on one thread with SHA-256 over"
                + " each payload and metadata as stored (%,d MB): %.1f s", rows, bytes / 1_000_000, seconds));
    }

    private void verify(String body, String note) throws Exception {
        long events = count("SELECT count(*) FROM domain_event_entry");
        long start = System.nanoTime();
        HttpResponse<String> response = send(BenchSupport.request(URI.create(base + "/audit/verify"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                Duration.ofHours(2));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (response.statusCode() != 200) {
            note("POST /audit/verify " + body + ": HTTP " + response.statusCode() + " " + response.body());
            return;
        }
        JsonNode result = json.readTree(response.body());
        long checked = result.path("checked").asLong();
        note(String.format("POST /audit/verify %s: %.1f s %s, valid=%s, checked %,d of %,d"
                        + " events%s, %,d history rows, first break %s", body, seconds, note,
                result.path("valid").asBoolean(), checked, events, checked == events ? "" : " (CHECK FAILED)",
                result.path("historyRowsChecked").asLong(), result.path("firstBrokenAt")));
    }

    /**
     * One probe; if it answers 200, more samples from one client, sequentially (it may be a heavy query): as many as
     * {@code bench.runs / 10} when the probe took under 200 ms, 10 under 5 s, otherwise 3.
     */
    private void fleetQueryAsOf() throws Exception {
        Instant asOf = Instant.now().minus(DAYS / 2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        String query = "SELECT deviceId FROM devices WHERE properties.reported.temperature > 30";
        HttpRequest request = BenchSupport.request(URI.create(base + "/query"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.ofString(json.createObjectNode().put("query", query)
                        .put("asOf", asOf.toString()).toString())).build();
        String name = "POST /query {\"query\":\"" + query + "\",\"asOf\":\"" + asOf + "\"}";
        long start = System.nanoTime();
        HttpResponse<String> probe = http.send(request, HttpResponse.BodyHandlers.ofString());
        long probeNanos = System.nanoTime() - start;
        if (probe.statusCode() == 422) {
            note(name + ": not available (HTTP 422 " + json.readTree(probe.body()).path("code").asText() + ")");
            return;
        }
        if (probe.statusCode() != 200) {
            note(String.format("%s: HTTP %d after %.1f s: %s", name, probe.statusCode(), probeNanos / 1e9,
                    probe.body()));
            return;
        }
        int runs = probeNanos < 200_000_000L ? Math.max(20, RUNS / 10) : probeNanos < 5_000_000_000L ? 10 : 3;
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long before = System.nanoTime();
            call(request);
            nanos[i] = System.nanoTime() - before;
        }
        Arrays.sort(nanos);
        int items = json.readTree(probe.body()).path("items").size();
        note(String.format("%s: first page %,d twins; one client, %d samples after the probe (%.1f ms):"
                        + " p50 %.1f ms, p95 %.1f ms, max %.1f ms", name, items, runs, probeNanos / 1e6,
                BenchSupport.at(nanos, 0.5) / 1e6, BenchSupport.at(nanos, 0.95) / 1e6, nanos[runs - 1] / 1e6));
    }

    // ---------------------------------------------------------------- raw baseline

    /**
     * History rows re-inserted with plain JDBC into an unpartitioned table with twin_history's columns and indexes,
     * {@value #BATCH} rows a batch and one commit a batch (the projection's batch size and statement), on one thread
     * like the projection. Reading the source rows is not timed.
     */
    private void insertBaseline() throws Exception {
        jdbc.execute("DROP TABLE IF EXISTS bench_raw_history");
        jdbc.execute("CREATE TABLE bench_raw_history (LIKE twin_history INCLUDING DEFAULTS INCLUDING INDEXES)");
        List<String> columns = List.of("time", "twin_id", "device_id", "module_id", "version", "desired_version",
                "reported_version", "event_type", "event_id", "global_index", "principal", "channel", "transport",
                "correlation_id", "causation_id", "reason", "paths", "change", "state");
        Set<String> jsonb = Set.of("change", "state");
        int paths = columns.indexOf("paths");
        String select = "SELECT " + columns.stream().map(c -> jsonb.contains(c) ? c + "::text" : c)
                .collect(Collectors.joining(", ")) + " FROM twin_history LIMIT ?";
        String insert = "INSERT INTO bench_raw_history (" + String.join(", ", columns) + ") VALUES ("
                + columns.stream().map(c -> jsonb.contains(c) ? "?::jsonb" : "?").collect(Collectors.joining(", "))
                + ") ON CONFLICT DO NOTHING";
        long nanos = 0;
        long done = 0;
        try (Connection source = dataSource.getConnection(); Connection target = dataSource.getConnection();
             PreparedStatement read = source.prepareStatement(select);
             PreparedStatement write = target.prepareStatement(insert)) {
            source.setAutoCommit(false);
            target.setAutoCommit(false);
            read.setFetchSize(BATCH);
            read.setLong(1, BASELINE_ROWS);
            List<Object[]> batch = new ArrayList<>(BATCH);
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    Object[] row = new Object[columns.size()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = c == paths ? rs.getArray(c + 1).getArray() : rs.getObject(c + 1);
                    }
                    batch.add(row);
                    if (batch.size() == BATCH) {
                        nanos += insert(write, batch, paths);
                        done += batch.size();
                        batch.clear();
                    }
                }
            }
            if (!batch.isEmpty()) {
                nanos += insert(write, batch, paths);
                done += batch.size();
            }
            source.commit();
        }
        jdbc.execute("DROP TABLE bench_raw_history");
        double seconds = nanos / 1e9;
        note(String.format("raw baseline: %,d history rows by batched JDBC INSERT (%d a batch, one commit each,"
                        + " one thread, same columns and indexes, unpartitioned) in %.1f s = %,.0f rows/s; compare the"
                        + " projection's events/s above", done, BATCH, seconds, done / seconds));
    }

    /** One batch of the baseline, timed: bound, executed and committed. */
    private static long insert(PreparedStatement write, List<Object[]> batch, int paths) throws SQLException {
        long start = System.nanoTime();
        Connection connection = write.getConnection();
        for (Object[] row : batch) {
            for (int c = 0; c < row.length; c++) {
                if (c == paths) {
                    write.setArray(c + 1, connection.createArrayOf("text", (Object[]) row[c]));
                } else {
                    write.setObject(c + 1, row[c]);
                }
            }
            write.addBatch();
        }
        write.executeBatch();
        connection.commit();
        return System.nanoTime() - start;
    }

    // ---------------------------------------------------------------- helpers

    private long count(String sql, Object... args) {
        Long value = jdbc.queryForObject(sql, Long.class, args);
        return value == null ? 0 : value;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(BenchSupport.request(URI.create(base + path)).GET().build(), Duration.ofSeconds(60));
    }

    private HttpResponse<String> send(HttpRequest request, Duration timeout) throws Exception {
        HttpRequest timed = HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
        return http.send(timed, HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String uuid() {
        return UUID.randomUUID().toString();
    }

    private static String mb(long bytes) {
        return String.format("%,.1f MB", bytes / 1048576.0);
    }
}
