package io.twinplatform.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.bench.DeviceLoadProcess.Watch;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import io.twinplatform.history.telemetry.TelemetrySettings;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Telemetry, the devices' high-frequency path, at fleet scale: how many samples per second the platform stores, with
 * the devices in a process of their own, against a raw {@code COPY} into the same PostgreSQL in the same run.
 * <p>
 * Starts the platform in this JVM (embedded PostgreSQL and embedded broker, as {@link DeviceChannelBenchmark} does),
 * creates {@code bench.devices} twins (default 2,000) through the command gateway, then starts {@link DeviceLoad}
 * in a child JVM (this JVM's {@code java}, this benchmark's class path). The child connects every device with its
 * derived key, which it reads on standard input with the broker's port (never on the command line), and publishes
 * telemetry at QoS 1: {@code bench.rate} samples/s in all (default 40,000), as messages of
 * {@code bench.samples-per-message} measurements (default 10) with a {@code ts} of their own, for
 * {@code bench.seconds} (default 30). First, a warm-up of {@code bench.warmup-seconds} (default 10) at
 * {@code bench.warmup-rate} samples/s (default 10,000) runs with other measurement names and is left to drain, so
 * the measured phase runs on warm JVMs; it is printed, not counted. Prints:
 * <ul>
 *   <li>samples stored per second: while the load ran (rows counted as it ended) and <em>sustained</em>, counted until
 *   the writer drained (the phase's last message is stored and the table holds every acknowledged sample, or stopped
 *   growing for {@value #QUIET_SECONDS} s);</li>
 *   <li>publish → stored, p50/p99: every n-th message (about {@code bench.watch-rate}, default 50, a second) is looked
 *   up in the table every 25 ms from this JVM, by the wall clock both processes share; and publish → PUBACK, as the
 *   load generator measured it (the broker's receipt: telemetry is not held by admission control);</li>
 *   <li>samples lost: acknowledged by the broker and never stored (must be 0), and the {@code telemetry/rejected}
 *   answers the devices received;</li>
 *   <li>queryable: {@code GET /twins/{id}/telemetry} for the first device, whose bucket counts add up to what it
 *   sent;</li>
 *   <li>CPU time per stored sample over the phase and its drain: this JVM (platform, broker, the benchmark's lookups),
 *   the load generator's process, and PostgreSQL's server processes;</li>
 *   <li>the raw limit: as many rows, shaped like the phase's samples, written with one plain JDBC
 *   {@code COPY ... FROM STDIN} into {@code bench_telemetry_copy}, a table of the telemetry table's definition
 *   (columns, primary key, day partitions), and the ratio of the sustained rate to it.</li>
 * </ul>
 * Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.TelemetryBenchmark -DskipTests -pl deploy -am verify}.
 */
public final class TelemetryBenchmark {

    private static final int DEVICES = Integer.getInteger("bench.devices", 2_000);
    private static final int RATE = Integer.getInteger("bench.rate", 40_000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    private static final int SAMPLES = Integer.getInteger("bench.samples-per-message", 10);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 10);
    private static final int WARMUP_RATE = Integer.getInteger("bench.warmup-rate", 10_000);
    private static final int WATCH_RATE = Integer.getInteger("bench.watch-rate", 50);
    /** How long the count may stand still below what was acknowledged before the rest is called lost. */
    private static final int QUIET_SECONDS = 15;
    /** The measurement names of the measured phase ({@code m0}, {@code m1}, ...) and of the warm-up. */
    private static final String MEASURED = "m";
    private static final String WARMUP = "w";

    private TelemetryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try (ConfigurableApplicationContext platform = BenchSupport.startWithBroker("twin-bench-telemetry")) {
            run(platform);
        }
    }

    private static void run(ConfigurableApplicationContext platform) throws Exception {
        EmbeddedBroker broker = platform.getBean(EmbeddedBroker.class);
        CommandGateway commands = platform.getBean(CommandGateway.class);
        DataSource dataSource = platform.getBean(DataSource.class);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        TelemetrySettings telemetry = platform.getBean(TelemetrySettings.class);
        int httpPort = ((WebServerApplicationContext) platform).getWebServer().getPort();
        System.out.printf(Locale.ROOT, "%s; telemetry writer: batches of up to %d samples, written as soon as the"
                + " writer is free%n", BenchSupport.machine(dataSource), telemetry.batchSize());
        System.out.printf(Locale.ROOT, "devices %,d in their own process; offered %,d samples/s as %,.0f msg/s of %d"
                        + " samples for %d s (warm-up: %d s at %,d samples/s)%n", DEVICES, RATE,
                (double) RATE / SAMPLES, SAMPLES, SECONDS, WARMUP_SECONDS, WARMUP_RATE);

        List<String> ids = BenchSupport.createDevices(commands, dataSource, "bench-tel", DEVICES);
        BenchSupport.awaitAllProcessors(dataSource, 300);

        try (DeviceLoadProcess load = DeviceLoadProcess.start(broker, ids)) {
            System.out.println(load.expect("ready", 300));
            if (WARMUP_SECONDS > 0) {
                load.send("run " + WARMUP_RATE + " " + WARMUP_SECONDS + " " + SAMPLES + " 0 " + WARMUP);
                load.expect("loaded", WARMUP_SECONDS + 120L);
                Map<String, String> done = DeviceLoadProcess.fields(load.expect("done", 180));
                long acked = Long.parseLong(done.get("acked_samples"));
                long start = System.nanoTime();
                long stored = settle(jdbc, WARMUP, acked);
                System.out.printf(Locale.ROOT, "[warm-up] sent %s samples in %s s, acknowledged %,d; stored %,d,"
                                + " drained %.1f s after the last PUBACK%n", done.get("samples"), done.get("seconds"),
                        acked, stored, (System.nanoTime() - start) / 1e9);
            }
            measure(load, dataSource, jdbc, httpPort, ids);
        }
    }

    private static void measure(DeviceLoadProcess load, DataSource dataSource, JdbcTemplate jdbc, int httpPort,
                                List<String> ids) throws Exception {
        double messageRate = (double) RATE / SAMPLES;
        int watchEvery = Math.max(1, (int) Math.round(messageRate / WATCH_RATE));
        Watcher watcher = new Watcher(dataSource, load.watches);
        Thread watching = new Thread(watcher, "bench-telemetry-watcher");
        watching.setDaemon(true);
        watching.start();

        BenchSupport.Cpu cpuBefore = BenchSupport.Cpu.now(dataSource);
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        load.send("run " + RATE + " " + SECONDS + " " + SAMPLES + " " + watchEvery + " " + MEASURED);
        String[] loaded = load.expect("loaded", SECONDS + 120L).split(" ");
        long loadEnd = System.nanoTime();
        long storedWhileLoaded = count(jdbc, MEASURED);
        Map<String, String> done = DeviceLoadProcess.fields(load.expect("done", 180));
        long acked = Long.parseLong(done.get("acked_samples"));
        long sentSamples = Long.parseLong(done.get("samples"));

        // Drained: the last message is in the table, and (checked by counting) so is everything acknowledged.
        long lastStoredAt = awaitRow(jdbc, loaded[2], Long.parseLong(loaded[3]), 600);
        long stored = count(jdbc, MEASURED);
        long drainedAt = lastStoredAt;
        if (stored < acked || lastStoredAt < 0) {
            long[] settled = settleTimed(jdbc, MEASURED, acked);
            stored = settled[0];
            drainedAt = settled[1];
        }
        BenchSupport.Cpu cpu = BenchSupport.Cpu.now(dataSource).minus(cpuBefore);
        watcher.finish(30);
        watching.join(TimeUnit.SECONDS.toMillis(40));
        load.send("rejected");
        long rejected = Long.parseLong(load.expect("rejected", 30).split(" ")[1]);

        double loadSeconds = (loadEnd - start) / 1e9;
        double drainSeconds = (drainedAt - start) / 1e9;
        double sustained = stored / drainSeconds;
        System.out.println();
        System.out.printf(Locale.ROOT, "offered: %,d samples in %s s (%,.0f samples/s, %s messages), acknowledged %,d,"
                        + " refused at PUBACK %s, no PUBACK %s%n", sentSamples, done.get("seconds"),
                sentSamples / Double.parseDouble(done.get("seconds")), done.get("messages"), acked,
                done.get("failed_samples"), done.get("unacked_samples"));
        System.out.printf(Locale.ROOT, "stored while loaded: %,d in %.1f s = %,.0f samples/s%n", storedWhileLoaded,
                loadSeconds, storedWhileLoaded / loadSeconds);
        System.out.printf(Locale.ROOT, "stored sustained: %,d in %.1f s (drained %.1f s after the load ended)"
                        + " = %,.0f samples/s; phase from %s to %s%n", stored, drainSeconds, drainSeconds - loadSeconds,
                sustained, startedAt, startedAt.plusNanos(drainedAt - start));
        long[] latencies = watcher.latencies();
        System.out.printf(Locale.ROOT, "publish -> stored (%,d messages, 1 in %d, looked up every 25 ms): p50 %.1f ms,"
                        + " p99 %.1f ms, max %.1f ms; not found %d%n", latencies.length, watchEvery,
                BenchSupport.at(latencies, 0.5) / 1e3, BenchSupport.at(latencies, 0.99) / 1e3,
                BenchSupport.at(latencies, 1.0) / 1e3, watcher.unfound());
        System.out.printf(Locale.ROOT, "publish -> PUBACK: p50 %s ms, p99 %s ms%n", done.get("puback_p50_ms"),
                done.get("puback_p99_ms"));
        long lost = acked - stored;
        System.out.printf(Locale.ROOT, "lost (acknowledged, never stored): %,d%s; telemetry/rejected answers: %,d%n",
                lost, lost == 0 ? "" : "  <-- must be 0", rejected);
        queryable(httpPort, done.get("first_device"), Long.parseLong(done.get("first_device_samples")), startedAt);
        long loadCpu = Long.parseLong(done.get("cpu_ms")) * 1_000_000;
        double perSample = stored == 0 ? 0 : 1.0 / stored / 1e3;
        System.out.printf(Locale.ROOT, "CPU per stored sample (phase and drain): platform JVM %.1f µs, load generator"
                        + " %.1f µs, PostgreSQL %.1f µs; in all %.1f µs (%.2f cores busy over %.1f s)%n",
                cpu.javaNanos() * perSample, loadCpu * perSample, cpu.postgresNanos() * perSample,
                (cpu.javaNanos() + loadCpu + cpu.postgresNanos()) * perSample,
                (cpu.javaNanos() + loadCpu + cpu.postgresNanos()) / 1e9 / drainSeconds, drainSeconds);
        double raw = rawCopy(dataSource, jdbc, ids, stored, startedAt.toEpochMilli());
        System.out.printf(Locale.ROOT, "platform sustained / raw COPY: %.2f; verdict: %,.0f samples/s stored and"
                + " queryable, target >= 20,000: %s%n", sustained / raw, sustained,
                sustained >= 20_000 && lost == 0 ? "met" : "NOT met");
    }

    /** Rows of the phase whose measurement names start with {@code prefix}. */
    private static long count(JdbcTemplate jdbc, String prefix) {
        Long n = jdbc.queryForObject("SELECT count(*) FROM telemetry WHERE name LIKE ?", Long.class, prefix + "%");
        return n == null ? 0 : n;
    }

    /** Counts every second until {@code expected} rows are there or none came for {@value #QUIET_SECONDS} s. */
    private static long settle(JdbcTemplate jdbc, String prefix, long expected) throws InterruptedException {
        return settleTimed(jdbc, prefix, expected)[0];
    }

    /** As {@link #settle}; also the {@link System#nanoTime()} at which the last count that grew began. */
    private static long[] settleTimed(JdbcTemplate jdbc, String prefix, long expected) throws InterruptedException {
        long last = -1;
        long grewAt = System.nanoTime();
        while (true) {
            long at = System.nanoTime();
            long n = count(jdbc, prefix);
            if (n != last) {
                last = n;
                grewAt = at;
            }
            if (n >= expected || at - grewAt > TimeUnit.SECONDS.toNanos(QUIET_SECONDS)) {
                return new long[]{last, grewAt};
            }
            Thread.sleep(1000);
        }
    }

    /**
     * Looks the message's first sample up every 25 ms; returns the {@link System#nanoTime()} at which the lookup that
     * found it began, or -1 after {@code seconds}.
     */
    private static long awaitRow(JdbcTemplate jdbc, String twinId, long ts, int seconds) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds); System.nanoTime() < end; ) {
            long at = System.nanoTime();
            Boolean found = jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM telemetry WHERE twin_id = ? AND ts ="
                            + " TIMESTAMPTZ 'epoch' + ? * INTERVAL '1 millisecond' AND name = ?)", Boolean.class,
                    twinId, ts, MEASURED + "0");
            if (Boolean.TRUE.equals(found)) {
                return at;
            }
            Thread.sleep(25);
        }
        return -1;
    }

    /** One query through the platform's telemetry API: the first device's samples of the phase, in day buckets. */
    private static void queryable(int httpPort, String twinId, long expected, Instant startedAt) throws Exception {
        String names = IntStream.range(0, SAMPLES).mapToObj(m -> MEASURED + m).collect(Collectors.joining(","));
        URI uri = URI.create("http://127.0.0.1:" + httpPort + "/twins/" + twinId + "/telemetry?from="
                + startedAt.minusSeconds(3600) + "&to=" + Instant.now().plusSeconds(3600) + "&bucket=1d&name=" + names);
        HttpClient http = HttpClient.newHttpClient();
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(BenchSupport.request(uri).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        double millis = (System.nanoTime() - start) / 1e6;
        long total = 0;
        int series = 0;
        if (response.statusCode() == 200) {
            for (JsonNode points : new ObjectMapper().readTree(response.body()).path("series")) {
                series++;
                for (JsonNode point : points) {
                    total += point.path("count").asLong();
                }
            }
        }
        System.out.printf(Locale.ROOT, "queryable: GET /twins/%s/telemetry (bucket 1d, %d names) answered %d in %.0f ms:"
                        + " %,d samples in %d series, expected %,d: %s%n", twinId, SAMPLES, response.statusCode(),
                millis, total, series, expected, total == expected ? "ok" : "MISMATCH");
    }

    /**
     * The raw limit: {@code rows} rows like the phase's (its twins, {@code ts} from its start, {@code m0}...
     * names) in one {@code COPY ... FROM STDIN} into a fresh table of the telemetry table's definition. Returns rows/s.
     */
    private static double rawCopy(DataSource dataSource, JdbcTemplate jdbc, List<String> ids, long rows,
                                  long baseMillis)
            throws Exception {
        jdbc.execute("DROP TABLE IF EXISTS bench_telemetry_copy");
        jdbc.execute("CREATE TABLE bench_telemetry_copy (LIKE telemetry INCLUDING ALL) PARTITION BY RANGE (ts)");
        long messages = (rows + SAMPLES - 1) / SAMPLES;
        long stepMillis = Math.max(1, (long) DEVICES * SAMPLES * 1000 / RATE);
        long lastMillis = baseMillis + (messages / DEVICES + 1) * stepMillis;
        LocalDate first = Instant.ofEpochMilli(baseMillis).atZone(ZoneOffset.UTC).toLocalDate();
        LocalDate last = Instant.ofEpochMilli(lastMillis).atZone(ZoneOffset.UTC).toLocalDate();
        for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
            jdbc.execute("CREATE TABLE bench_telemetry_copy_p" + day.format(DateTimeFormatter.BASIC_ISO_DATE)
                    + " PARTITION OF bench_telemetry_copy FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('"
                    + day.plusDays(1) + " 00:00:00+00')");
        }
        String key = jdbc.queryForObject("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                + " WHERE conrelid = 'bench_telemetry_copy'::regclass AND contype = 'p'", String.class);
        String[] twins = ids.toArray(String[]::new);
        BenchSupport.Cpu cpuBefore = BenchSupport.Cpu.now(dataSource);
        long start = System.nanoTime();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY bench_telemetry_copy (twin_id, ts, name, value) FROM STDIN");
            StringBuilder chunk = new StringBuilder(1 << 17);
            for (long i = 0; i < rows; i++) {
                long message = i / SAMPLES;
                chunk.append(twins[(int) (message % DEVICES)]).append('\t')
                        .append(Instant.ofEpochMilli(baseMillis + message / DEVICES * stepMillis)).append('\t')
                        .append(MEASURED).append(i % SAMPLES).append('\t')
                        .append(15 + (i % 1000) / 100.0).append('\n');
                if (chunk.length() >= 1 << 16) {
                    byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
                    copy.writeToCopy(bytes, 0, bytes.length);
                    chunk.setLength(0);
                }
            }
            byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            long copied = copy.endCopy();
            double seconds = (System.nanoTime() - start) / 1e9;
            BenchSupport.Cpu cpu = BenchSupport.Cpu.now(dataSource).minus(cpuBefore);
            System.out.printf(Locale.ROOT, "raw COPY: %,d rows in %.1f s = %,.0f rows/s, one COPY FROM STDIN (one"
                            + " transaction) into bench_telemetry_copy (%s, day partitions); CPU per row: this JVM"
                            + " %.1f µs, PostgreSQL %.1f µs%n", copied, seconds, copied / seconds, key,
                    cpu.javaNanos() / 1e3 / copied, cpu.postgresNanos() / 1e3 / copied);
            jdbc.execute("DROP TABLE bench_telemetry_copy");
            return copied / seconds;
        }
    }

    /**
     * Finds sampled messages in the table: every 25 ms, the oldest 100 still open in one query (the writer stores in
     * about the order messages arrive), and records publish → found by the wall clock.
     */
    private static final class Watcher implements Runnable {

        private static final int PER_LOOKUP = 100;
        private final DataSource dataSource;
        private final ConcurrentLinkedQueue<Watch> incoming;
        private final ArrayDeque<Watch> open = new ArrayDeque<>();
        private final List<Long> found = new ArrayList<>();
        private volatile long finishBy = Long.MAX_VALUE;

        Watcher(DataSource dataSource, ConcurrentLinkedQueue<Watch> incoming) {
            this.dataSource = dataSource;
            this.incoming = incoming;
        }

        /** Stops once every open message is found, or after {@code seconds}. */
        void finish(int seconds) {
            finishBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        }

        synchronized long[] latencies() {
            return found.stream().mapToLong(Long::longValue).sorted().toArray();
        }

        synchronized int unfound() {
            return open.size() + incoming.size();
        }

        @Override
        public void run() {
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement select = connection.prepareStatement("""
                         SELECT u.id, u.ms FROM unnest(?::text[], ?::bigint[]) AS u(id, ms)
                         WHERE EXISTS (SELECT 1 FROM telemetry t WHERE t.twin_id = u.id
                             AND t.ts = TIMESTAMPTZ 'epoch' + u.ms * INTERVAL '1 millisecond' AND t.name = ?)""")) {
                connection.setAutoCommit(true);
                select.setString(3, MEASURED + "0");
                while (true) {
                    synchronized (this) {
                        for (Watch next; (next = incoming.poll()) != null; ) {
                            open.add(next);
                        }
                        if (finishBy != Long.MAX_VALUE && (open.isEmpty() || System.nanoTime() - finishBy > 0)) {
                            return;
                        }
                    }
                    if (!open.isEmpty()) {
                        lookUp(connection, select);
                    }
                    Thread.sleep(25);
                }
            } catch (Exception e) {
                System.out.println("warning: publish -> stored lookups ended: " + e);
            }
        }

        private void lookUp(Connection connection, PreparedStatement select) throws Exception {
            List<Watch> batch = new ArrayList<>(PER_LOOKUP);
            synchronized (this) {
                Iterator<Watch> oldest = open.iterator();
                while (oldest.hasNext() && batch.size() < PER_LOOKUP) {
                    batch.add(oldest.next());
                }
            }
            Array twins = connection.createArrayOf("text", batch.stream().map(Watch::twinId).toArray());
            Array times = connection.createArrayOf("bigint", batch.stream().map(Watch::ts).toArray());
            select.setArray(1, twins);
            select.setArray(2, times);
            Instant at = Instant.now();
            long atMicros = at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000;
            Set<String> stored = new HashSet<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    stored.add(rs.getString(1) + "@" + rs.getLong(2));
                }
            }
            synchronized (this) {
                open.removeIf(watch -> {
                    if (stored.contains(watch.twinId() + "@" + watch.ts())) {
                        found.add(atMicros - watch.publishedMicros());
                        return true;
                    }
                    return false;
                });
            }
        }
    }
}
