package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import io.twinplatform.deploy.database.EmbeddedDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two platform instances on one PostgreSQL stay correct while they write the same twins. Each instance is its own
 * JVM ({@link PlatformProcess}, so each has its own token-claim owner): the first with its embedded database, the
 * second pointed at that database with {@code spring.datasource.url}. Both run the event processors: twin-state
 * (current state and history in one pass) gets four segments here, so with its two threads each instance claims two
 * and projects the events of half the twins, whichever instance wrote them; audit-chain (one segment) runs on one of them.
 * <p>
 * Threads on both instances write the same twins at once: device reports, each with a unique counter value and
 * {@code Idempotency-Key} (every eighth sent again through the other instance, as a device retrying elsewhere
 * would), and desired counters by read-modify-write under {@code If-Match} (a 412 is read again and retried). Once
 * both read sides have caught up: every acknowledged write is in the event store once, at the version its answer
 * named, and nothing else is; sequence numbers run without a gap; the current state (both instances' GET and the
 * table) is the last event's; the history holds one row per version in order, each with the twin its events give;
 * and the hash chain covers every event and verifies. Beside that load: a write through one instance is decided on
 * the twin as stored even when the other instance changed it since (not on the first instance's cached twin), and
 * the same new twin put through both at once is created once and replaced once (the lost race is retried).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesTest {

    private static final Duration START = Duration.ofSeconds(150);
    private static final int TWINS = 20;
    private static final int THREADS_PER_INSTANCE = 4;
    private static final int WRITES_PER_THREAD = 40;
    /** Every fourth write of a thread is an operator's desired read-modify-write, the others device reports. */
    private static final int DESIRED_EVERY = 4;
    /** Every eighth device report is sent again, with its key, through the other instance. */
    private static final int REPEAT_EVERY = 8;
    private static final Duration WRITING = Duration.ofSeconds(60);
    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    /** New twins each put through both instances at the same moment. */
    private static final int CREATE_RACES = 10;
    /** Four segments for the processor that runs two threads, so that the second instance finds two unclaimed. */
    private static final List<String> SPLIT_SEGMENTS = List.of("--twin.query.projection.segments=4");

    private enum Kind { REPORTED, REPEATED, DESIRED }

    /** An instance as the test talks to it. */
    private record Instance(String name, TwinHttp http) {
    }

    /**
     * One write sent and what came back. {@code mark}: the report's counter value (also its key) or the desired
     * attempt's own mark; {@code value}: the counter, or the desired {@code n} it set; {@code status} -1 when no
     * answer came; {@code version} the one its ETag named, -1 without one.
     */
    private record Write(String twinId, Kind kind, String mark, long value, String instance, int status,
                         long version) {

        boolean acknowledged() {
            return status >= 200 && status < 300;
        }

        /** No answer, or one that does not say whether the write was applied. */
        boolean outcomeUnknown() {
            return status == -1 || status >= 500;
        }
    }

    /** A twin event as stored. */
    private record StoredEvent(long sequence, String eventId, String type, JsonNode payload) {
    }

    private Path firstDir;
    private Path secondDir;
    private PlatformProcess first;
    private PlatformProcess second;
    private SingleConnectionDataSource database;
    private JdbcTemplate jdbc;
    private Instance a;
    private Instance b;
    private Map<String, Set<String>> owners;

    @BeforeAll
    void twoInstancesOnOneDatabase() throws IOException {
        long began = System.nanoTime();
        firstDir = TestDataDirs.fresh();
        secondDir = TestDataDirs.fresh();
        first = PlatformProcess.start(firstDir, START, SPLIT_SEGMENTS, Map.of());
        String password = Files.readString(firstDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).trim();
        String url = "jdbc:postgresql://localhost:" + first.postgresPort().orElseThrow() + "/postgres";
        List<String> pointed = new ArrayList<>(SPLIT_SEGMENTS);
        pointed.add("--spring.datasource.url=" + url);
        pointed.add("--spring.datasource.username=" + EmbeddedDatabase.USER);
        // The database's keys hold on every instance of it: the second is called with the first's admin key.
        Files.createDirectories(secondDir);
        Files.copy(firstDir.resolve("admin-key"), secondDir.resolve("admin-key"));
        second = PlatformProcess.start(secondDir, START, pointed, Map.of("SPRING_DATASOURCE_PASSWORD", password));
        assertThat(second.logText()).as("the second instance starts no database of its own")
                .doesNotContain("embedded PostgreSQL started");
        database = new SingleConnectionDataSource(url, EmbeddedDatabase.USER, password, true);
        jdbc = new JdbcTemplate(database);
        a = new Instance("first", first.http());
        b = new Instance("second", second.http());
        owners = awaitSegmentsSplit(jdbc);
        System.out.printf("two instances up after %d s%n", seconds(began));
    }

    /** Stops the second instance, then the first with its database, each as an operator does (SIGTERM). */
    @AfterAll
    void stopBoth() {
        try (PlatformProcess firstLeft = first; PlatformProcess secondLeft = second) {
            if (database != null) {
                database.destroy();
            }
            if (secondLeft != null) {
                stop(secondLeft);
            }
            if (firstLeft != null) {
                stop(firstLeft);
            }
        } finally {
            TestDataDirs.delete(secondDir);
            TestDataDirs.delete(firstDir);
        }
    }

    @Test
    void twoInstancesWritingTheSameTwinsLoseDuplicateAndReorderNothing() throws Exception {
        List<String> twins = new ArrayList<>();
        for (int i = 0; i < TWINS; i++) {
            Instance through = i % 2 == 0 ? a : b;
            String id = TwinHttp.newDeviceId();
            Reply created = through.http().put("/twins/" + id, q("{'tags':{'fleet':'two-instances'}}"));
            assertThat(created.status()).as("create %s through %s: %s", id, through.name(), created).isEqualTo(201);
            twins.add(id);
        }

        long writing = System.nanoTime();
        List<Write> writes = writeConcurrently(a, b, twins);
        long writeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writing);
        Map<String, Long> byStatus = writes.stream().collect(Collectors.groupingBy(
                w -> w.kind() + " " + w.status(), TreeMap::new, Collectors.counting()));
        Map<String, Long> acknowledgedBy = writes.stream().filter(w -> w.acknowledged() && w.kind() != Kind.REPEATED)
                .collect(Collectors.groupingBy(Write::instance, TreeMap::new, Collectors.counting()));
        System.out.printf("%d writes in %d ms; answers %s; acknowledged through %s%n", writes.size(), writeMillis,
                byStatus, acknowledgedBy);
        List<Write> unexpected = writes.stream().filter(w -> !w.acknowledged() && w.status() != 409
                && w.status() != 503 && !(w.kind() == Kind.DESIRED && w.status() == 412)).toList();
        assertThat(unexpected).as("answers other than 2xx, 409, 503 and a desired write's 412").isEmpty();
        assertThat(acknowledgedBy).as("acknowledged writes through each instance")
                .containsOnlyKeys(a.name(), b.name());
        assertThat(writes).as("acknowledged desired writes").anyMatch(w -> w.kind() == Kind.DESIRED && w.acknowledged());

        Map<String, List<StoredEvent>> events = awaitCaughtUp(jdbc);
        Map<String, List<Write>> writesByTwin = writes.stream().collect(Collectors.groupingBy(Write::twinId));
        for (String twin : twins) {
            List<StoredEvent> stored = events.get(twin);
            List<Write> sent = writesByTwin.getOrDefault(twin, List.of());
            checkEventStore(twin, stored, sent);
            checkCurrentState(jdbc, twin, stored, a, b);
            checkHistory(jdbc, twin, stored, a, b);
        }
        checkChain(jdbc, twins, a, b);

        assertThat(segmentOwners(jdbc)).as("the segments stayed where they were claimed").isEqualTo(owners);
    }

    /**
     * A write through one instance after the other changed the twin is decided on the twin as stored, not as the
     * first instance last saw it: a report or a desired patch that puts back an earlier value, and a status set
     * back, each change the twin again; an If-Match with the etag the other instance answered matches.
     */
    @Test
    void aWriteIsDecidedOnTheTwinAsStoredAfterTheOtherInstanceChangedIt() {
        String twin = "/twins/" + TwinHttp.newDeviceId();
        assertThat(a.http().put(twin, q("{}")).status()).isEqualTo(201);

        assertThat(a.http().patch(twin + "/properties/reported", q("{'temp':20}")).version()).isEqualTo(2);
        assertThat(b.http().patch(twin + "/properties/reported", q("{'temp':21}")).version()).isEqualTo(3);
        Reply back = a.http().patch(twin + "/properties/reported", q("{'temp':20}"));
        assertThat(back.status()).as("%s", back).isEqualTo(200);
        assertThat(back.version()).as("the report that puts 20 back").isEqualTo(4);

        assertThat(a.http().patch(twin, q("{'properties':{'desired':{'mode':'eco'}}}")).version()).isEqualTo(5);
        assertThat(b.http().patch(twin, q("{'properties':{'desired':{'mode':'boost'}}}")).version()).isEqualTo(6);
        Reply eco = a.http().patch(twin, q("{'properties':{'desired':{'mode':'eco'}}}"));
        assertThat(eco.version()).as("the desired patch that puts eco back: %s", eco).isEqualTo(7);

        assertThat(a.http().put(twin + "/status", q("{'status':'disabled'}")).version()).isEqualTo(8);
        assertThat(b.http().put(twin + "/status", q("{'status':'enabled'}")).version()).isEqualTo(9);
        Reply disabled = a.http().put(twin + "/status", q("{'status':'disabled'}"));
        assertThat(disabled.version()).as("the status set back to disabled: %s", disabled).isEqualTo(10);

        Reply read = b.http().patch(twin, q("{'tags':{'site':'north'}}"));
        assertThat(read.version()).isEqualTo(11);
        Reply matched = a.http().patch(twin, q("{'tags':{'site':'south'}}"), "If-Match", read.etag());
        assertThat(matched.status()).as("If-Match %s, the etag the other instance answered: %s", read.etag(), matched)
                .isEqualTo(200);
        assertThat(matched.version()).isEqualTo(12);

        for (Instance instance : List.of(a, b)) {
            JsonNode now = instance.http().get(twin).json();
            assertThat(now.get("version").asLong()).as("version on %s", instance.name()).isEqualTo(12);
            assertThat(now.at("/properties/reported/temp").asInt()).isEqualTo(20);
            assertThat(now.at("/properties/desired/mode").asText()).isEqualTo("eco");
            assertThat(now.get("status").asText()).isEqualTo("disabled");
            assertThat(now.at("/tags/site").asText()).isEqualTo("south");
        }
    }

    /**
     * The same new twin put through both instances at once: one creates it (201), the other, having lost the race on
     * the twin's first event, is retried on the stored twin and replaces it (200); the store holds both, in order.
     */
    @Test
    void creatingTheSameTwinThroughBothInstancesAtOnceCreatesItOnceAndReplacesItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < CREATE_RACES; i++) {
                String twin = TwinHttp.newDeviceId();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Reply>> puts = new ArrayList<>();
                for (Instance instance : List.of(a, b)) {
                    puts.add(pool.submit(() -> {
                        go.await();
                        return instance.http().put("/twins/" + twin, q("{'tags':{'by':'" + instance.name() + "'}}"));
                    }));
                }
                go.countDown();
                List<Integer> statuses = new ArrayList<>();
                for (Future<Reply> put : puts) {
                    statuses.add(put.get(30, TimeUnit.SECONDS).status());
                }
                assertThat(statuses).as("answers to the two PUTs of %s", twin).containsExactlyInAnyOrder(201, 200);
                assertThat(jdbc.queryForList("SELECT sequence_number FROM domain_event_entry"
                        + " WHERE aggregate_identifier = ? ORDER BY sequence_number", Long.class, twin))
                        .as("events of %s", twin).containsExactly(0L, 1L);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until twin-state's segments (current state and history) are claimed by two owners (each instance's
     * JVM), and returns the owners of the processor's segments.
     */
    private static Map<String, Set<String>> awaitSegmentsSplit(JdbcTemplate jdbc) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<String, Set<String>> owners = Map.of();
        while (System.nanoTime() < deadline) {
            owners = segmentOwners(jdbc);
            if (owners.size() == 1 && owners.values().stream().allMatch(o -> o.size() == 2)) {
                return owners;
            }
            PlatformProcess.sleep(200);
        }
        throw new AssertionError("twin-state's segments are not split between the two"
                + " instances: " + jdbc.queryForList("SELECT processor_name, segment, owner FROM token_entry"));
    }

    private static Map<String, Set<String>> segmentOwners(JdbcTemplate jdbc) {
        Map<String, Set<String>> owners = new TreeMap<>();
        jdbc.query("SELECT processor_name, owner FROM token_entry"
                + " WHERE processor_name = 'twin-state' AND owner IS NOT NULL", rs -> {
            owners.computeIfAbsent(rs.getString(1), p -> new HashSet<>()).add(rs.getString(2));
        });
        return owners;
    }

    private List<Write> writeConcurrently(Instance a, Instance b, List<String> twins) throws Exception {
        AtomicLong counter = new AtomicLong();
        long deadline = System.nanoTime() + WRITING.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_INSTANCE);
        List<Future<List<Write>>> writers = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
                writers.add(pool.submit(() -> write(a, b, twins, counter, deadline)));
                writers.add(pool.submit(() -> write(b, a, twins, counter, deadline)));
            }
            List<Write> writes = new ArrayList<>();
            for (Future<List<Write>> writer : writers) {
                writes.addAll(writer.get(WRITING.toSeconds() + 30, TimeUnit.SECONDS));
            }
            return writes;
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** One writer thread's writes through {@code own}, the repeats through {@code other}. */
    private static List<Write> write(Instance own, Instance other, List<String> twins, AtomicLong counter,
                                     long deadline) {
        List<Write> writes = new ArrayList<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < WRITES_PER_THREAD; i++) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(Thread.currentThread().getName() + " made only " + i + " of "
                        + WRITES_PER_THREAD + " writes within " + WRITING);
            }
            String twin = twins.get(random.nextInt(twins.size()));
            if (i % DESIRED_EVERY == DESIRED_EVERY - 1) {
                writes.addAll(desired(own, twin, counter, deadline));
                continue;
            }
            long value = counter.incrementAndGet();
            writes.add(report(own, twin, value, Kind.REPORTED));
            if (value % REPEAT_EVERY == 0) {
                writes.add(report(other, twin, value, Kind.REPEATED));
            }
        }
        return writes;
    }

    private static Write report(Instance through, String twin, long value, Kind kind) {
        Reply reply = send(() -> through.http().patch("/twins/" + twin + "/properties/reported",
                q("{'counter':" + value + "}"), "Idempotency-Key", key(value)));
        return new Write(twin, kind, Long.toString(value), value, through.name(), status(reply), version(reply));
    }

    /** Sets desired {@code n} to one more than it reads, under If-Match, until it is not refused with 412. */
    private static List<Write> desired(Instance through, String twin, AtomicLong counter, long deadline) {
        List<Write> attempts = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            Reply read = through.http().get("/twins/" + twin);
            assertThat(read.status()).as("read %s through %s: %s", twin, through.name(), read).isEqualTo(200);
            long n = read.json().at("/properties/desired/n").asLong(0) + 1;
            String mark = "d-" + counter.incrementAndGet();
            Reply reply = send(() -> through.http().patch("/twins/" + twin,
                    q("{'properties':{'desired':{'n':" + n + ",'mark':'" + mark + "'}}}"), "If-Match", read.etag()));
            attempts.add(new Write(twin, Kind.DESIRED, mark, n, through.name(), status(reply), version(reply)));
            if (status(reply) != 412) {
                return attempts;
            }
            PlatformProcess.sleep(ThreadLocalRandom.current().nextInt(5, 30));
        }
        return attempts;
    }

    private static String key(long value) {
        return "key-" + value;
    }

    private static Reply send(java.util.function.Supplier<Reply> request) {
        try {
            return request.get();
        } catch (UncheckedIOException noAnswer) {
            return null;
        }
    }

    private static int status(Reply reply) {
        return reply == null ? -1 : reply.status();
    }

    private static long version(Reply reply) {
        String etag = reply == null ? null : reply.etag();
        return etag == null ? -1 : Long.parseLong(etag.replace("\"", "").replace("W/", ""));
    }

    /**
     * Waits until both read sides and the chain hold every stored event: each twin's document at its last event's
     * version, as many history rows and chain links as events. Returns each twin's events in sequence order.
     */
    private static Map<String, List<StoredEvent>> awaitCaughtUp(JdbcTemplate jdbc) {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        String progress = "";
        while (System.nanoTime() < deadline) {
            long events = count(jdbc, "SELECT count(*) FROM domain_event_entry");
            long twins = count(jdbc, "SELECT count(DISTINCT aggregate_identifier) FROM domain_event_entry");
            long current = count(jdbc, """
                    SELECT count(*) FROM twin_document d JOIN (SELECT aggregate_identifier, max(sequence_number) AS last
                    FROM domain_event_entry GROUP BY aggregate_identifier) e
                    ON e.aggregate_identifier = d.twin_id AND d.version >= e.last + 1""");
            long history = count(jdbc, "SELECT count(*) FROM twin_history");
            long chained = count(jdbc, "SELECT count(*) FROM event_chain");
            progress = events + " events; " + current + " of " + twins + " documents current; " + history
                    + " history rows; " + chained + " chain links";
            if (current == twins && history >= events && chained >= events) {
                return storedEvents(jdbc);
            }
            PlatformProcess.sleep(200);
        }
        throw new AssertionError("the read sides did not catch up within " + CATCH_UP + ": " + progress);
    }

    private static Map<String, List<StoredEvent>> storedEvents(JdbcTemplate jdbc) {
        Map<String, List<StoredEvent>> events = new HashMap<>();
        jdbc.query("SELECT aggregate_identifier, sequence_number, event_identifier, payload_type, payload"
                + " FROM domain_event_entry ORDER BY aggregate_identifier, sequence_number", rs -> {
            JsonNode payload;
            try {
                payload = TwinHttp.JSON.readTree(new String(rs.getBytes(5), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String type = rs.getString(4);
            events.computeIfAbsent(rs.getString(1), id -> new ArrayList<>()).add(new StoredEvent(rs.getLong(2),
                    rs.getString(3), type.substring(type.lastIndexOf('.') + 1), payload));
        });
        return events;
    }

    /**
     * Every acknowledged write's event is stored once, at the version its answer named; a refused write's never; one
     * whose outcome is unknown at most once; no event comes from anywhere else; sequence numbers run 0..n-1; the
     * desired counter, written by read-modify-write under If-Match, went up by one at each change (none lost).
     */
    private static void checkEventStore(String twin, List<StoredEvent> stored, List<Write> sent) {
        assertThat(stored).as("events of %s", twin).isNotEmpty();
        assertThat(stored).extracting(StoredEvent::sequence).as("sequence numbers of %s", twin)
                .containsExactlyElementsOf(LongStream.range(0, stored.size()).boxed().toList());
        assertThat(stored.get(0).type()).isEqualTo("TwinCreated");

        Map<String, List<StoredEvent>> byMark = new HashMap<>();
        List<Long> desiredCounts = new ArrayList<>();
        for (StoredEvent event : stored.subList(1, stored.size())) {
            String mark = switch (event.type()) {
                case "ReportedPropertiesPatched" -> {
                    String counter = event.payload().at("/patch/counter").asText();
                    assertThat(event.payload().path("idempotencyKey").asText())
                            .as("the key of %s's report %s", twin, counter).isEqualTo(key(Long.parseLong(counter)));
                    yield counter;
                }
                case "TwinPatched" -> {
                    desiredCounts.add(event.payload().at("/desired/n").asLong());
                    yield event.payload().at("/desired/mark").asText();
                }
                default -> throw new AssertionError("an event no write asked for on " + twin + ": " + event);
            };
            byMark.computeIfAbsent(mark, m -> new ArrayList<>()).add(event);
        }

        Map<String, List<Write>> attempts = sent.stream().collect(Collectors.groupingBy(Write::mark));
        assertThat(attempts.keySet()).as("every stored event of %s is a write sent to it", twin)
                .containsAll(byMark.keySet());
        long acknowledged = 0;
        for (Map.Entry<String, List<Write>> entry : attempts.entrySet()) {
            List<Write> tries = entry.getValue();
            List<StoredEvent> found = byMark.getOrDefault(entry.getKey(), List.of());
            if (tries.stream().anyMatch(Write::acknowledged)) {
                acknowledged++;
                assertThat(found).as("events of %s's acknowledged write %s (%s)", twin, entry.getKey(), tries)
                        .hasSize(1);
                for (Write write : tries) {
                    if (write.acknowledged() && write.kind() != Kind.REPEATED) {
                        assertThat(write.version()).as("the version answered to %s", write)
                                .isEqualTo(found.get(0).sequence() + 1);
                    }
                }
            } else if (tries.stream().anyMatch(Write::outcomeUnknown)) {
                assertThat(found).as("events of %s's write %s with no clear answer (%s)", twin, entry.getKey(), tries)
                        .hasSizeLessThanOrEqualTo(1);
            } else {
                assertThat(found).as("events of %s's refused write %s (%s)", twin, entry.getKey(), tries).isEmpty();
            }
        }
        assertThat(stored.size() - 1L).as("events of %s after its creation", twin)
                .isBetween(acknowledged, (long) byMark.size());
        assertThat(desiredCounts).as("desired n of %s, change by change", twin)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, desiredCounts.size()).boxed().toList());
    }

    /** The twin as GET shows it on both instances, and its row, is the last event's. */
    private static void checkCurrentState(JdbcTemplate jdbc, String twin, List<StoredEvent> stored, Instance a,
                                          Instance b) throws IOException {
        long version = stored.size();
        Long lastCounter = null;
        long lastN = 0;
        for (StoredEvent event : stored) {
            if (event.type().equals("ReportedPropertiesPatched")) {
                lastCounter = event.payload().at("/patch/counter").asLong();
            } else if (event.type().equals("TwinPatched")) {
                lastN = event.payload().at("/desired/n").asLong();
            }
        }
        JsonNode row = TwinHttp.JSON.readTree(jdbc.queryForObject(
                "SELECT document::text FROM twin_document WHERE twin_id = ?", String.class, twin));
        assertThat(jdbc.queryForObject("SELECT version FROM twin_document WHERE twin_id = ?", Long.class, twin))
                .as("twin_document version of %s", twin).isEqualTo(version);
        for (Instance instance : List.of(a, b)) {
            Reply read = instance.http().get("/twins/" + twin);
            assertThat(read.status()).as("GET %s on %s: %s", twin, instance.name(), read).isEqualTo(200);
            assertThat(read.version()).as("version of %s on %s", twin, instance.name()).isEqualTo(version);
            assertThat(read.etag()).isEqualTo("\"" + version + "\"");
            JsonNode reported = read.json().at("/properties/reported/counter");
            assertThat(reported.isMissingNode() ? null : reported.asLong())
                    .as("reported counter of %s on %s", twin, instance.name()).isEqualTo(lastCounter);
            assertThat(read.json().at("/properties/desired/n").asLong(0))
                    .as("desired n of %s on %s", twin, instance.name()).isEqualTo(lastN);
            assertThat(read.json()).as("GET %s on %s against its row", twin, instance.name()).isEqualTo(row);
        }
    }

    /**
     * The history holds one row per event, in version order, each row's event the one stored at that version and
     * its twin the one the events up to it give; both instances' history API say the same.
     */
    private static void checkHistory(JdbcTemplate jdbc, String twin, List<StoredEvent> stored, Instance a,
                                     Instance b) {
        List<String> expectedIds = stored.stream().map(StoredEvent::eventId).toList();
        List<Long> versions = LongStream.rangeClosed(1, stored.size()).boxed().toList();
        assertThat(jdbc.queryForList("SELECT version FROM twin_history WHERE twin_id = ? ORDER BY version, time",
                Long.class, twin)).as("history rows of %s", twin).containsExactlyElementsOf(versions);
        assertThat(jdbc.queryForList("SELECT event_id FROM twin_history WHERE twin_id = ? ORDER BY version",
                String.class, twin)).as("events of %s's history rows", twin).containsExactlyElementsOf(expectedIds);

        for (Instance instance : List.of(a, b)) {
            Reply page = instance.http().get("/twins/" + twin + "/history?order=oldest&pageSize=1000&includeState=true");
            assertThat(page.status()).as("history of %s on %s: %s", twin, instance.name(), page).isEqualTo(200);
            JsonNode items = page.json().get("items");
            assertThat(page.json().get("continuationToken").isNull()).isTrue();
            List<Long> listed = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            Long counter = null;
            long n = 0;
            for (int i = 0; i < items.size(); i++) {
                JsonNode item = items.get(i);
                listed.add(item.get("version").asLong());
                ids.add(item.get("eventId").asText());
                if (i < stored.size()) {
                    StoredEvent event = stored.get(i);
                    assertThat(item.get("eventType").asText()).isEqualTo(event.type());
                    if (event.type().equals("ReportedPropertiesPatched")) {
                        counter = event.payload().at("/patch/counter").asLong();
                    } else if (event.type().equals("TwinPatched")) {
                        n = event.payload().at("/desired/n").asLong();
                    }
                }
                JsonNode state = item.path("twin");
                JsonNode reported = state.at("/properties/reported/counter");
                assertThat(reported.isMissingNode() ? null : reported.asLong())
                        .as("reported counter of %s's history at version %d on %s", twin, i + 1, instance.name())
                        .isEqualTo(counter);
                assertThat(state.at("/properties/desired/n").asLong(0))
                        .as("desired n of %s's history at version %d on %s", twin, i + 1, instance.name())
                        .isEqualTo(n);
                assertThat(state.path("version").asLong()).as("the twin in %s's history row %d", twin, i + 1)
                        .isEqualTo(i + 1);
            }
            assertThat(listed).as("history of %s on %s", twin, instance.name()).containsExactlyElementsOf(versions);
            assertThat(ids).as("events of %s's history on %s", twin, instance.name())
                    .containsExactlyElementsOf(expectedIds);
        }
    }

    /**
     * The chain has one link per stored event, positions 1..n; verifying the whole store on both instances, and each
     * of the twins (its history rows folded from its events), finds nothing broken and checks every event.
     */
    private static void checkChain(JdbcTemplate jdbc, List<String> twins, Instance a, Instance b) {
        long total = count(jdbc, "SELECT count(*) FROM domain_event_entry");
        assertThat(count(jdbc, "SELECT count(*) FROM event_chain")).as("chain links").isEqualTo(total);
        assertThat(count(jdbc, "SELECT count(DISTINCT global_index) FROM event_chain c"
                + " WHERE EXISTS (SELECT 1 FROM domain_event_entry e WHERE e.global_index = c.global_index"
                + " AND e.event_identifier = c.event_id)")).as("links that cover a stored event").isEqualTo(total);
        assertThat(count(jdbc, "SELECT min(position) FROM event_chain")).isEqualTo(1);
        assertThat(count(jdbc, "SELECT max(position) FROM event_chain")).isEqualTo(total);
        for (Instance instance : List.of(a, b)) {
            JsonNode whole = verify(instance, "{}");
            assertThat(whole.get("valid").asBoolean()).as("verify on %s: %s", instance.name(), whole).isTrue();
            assertThat(whole.get("checked").asLong()).as("events verified on %s", instance.name()).isEqualTo(total);
            assertThat(whole.get("historyRowsChecked").asLong()).isEqualTo(total);
        }
        for (int i = 0; i < twins.size(); i++) {
            Instance instance = i % 2 == 0 ? a : b;
            String twin = twins.get(i);
            long events = count(jdbc, "SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier = '"
                    + twin + "'");
            JsonNode one = verify(instance, "{'twinId':'" + twin + "'}");
            assertThat(one.get("valid").asBoolean()).as("verify %s on %s: %s", twin, instance.name(), one).isTrue();
            assertThat(one.get("checked").asLong()).isEqualTo(events);
            assertThat(one.get("historyRowsChecked").asLong()).isEqualTo(events);
        }
    }

    private static JsonNode verify(Instance instance, String body) {
        Reply reply = instance.http().post("/audit/verify", q(body));
        assertThat(reply.status()).as("verify on %s: %s", instance.name(), reply).isEqualTo(200);
        return reply.json();
    }

    private static long count(JdbcTemplate jdbc, String sql) {
        Long count = jdbc.queryForObject(sql, Long.class);
        return count == null ? 0 : count;
    }

    /** Stops an instance as an operator does (SIGTERM) and waits for it to exit. */
    private static void stop(PlatformProcess platform) {
        platform.process().destroy();
        platform.awaitExit(Duration.ofSeconds(40));
    }

    private static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }
}
