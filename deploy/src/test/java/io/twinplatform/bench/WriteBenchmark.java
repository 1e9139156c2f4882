package io.twinplatform.bench;

import static io.twinplatform.bench.BenchSupport.reported;
import static io.twinplatform.bench.BenchSupport.tags;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PutTwin;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable reported-patch throughput of the platform, against the raw limit of the same PostgreSQL.
 *
 * <p>Starts the whole platform in this JVM (embedded PostgreSQL in a fresh temporary directory, or the database of
 * {@code SPRING_DATASOURCE_URL}), creates {@code bench.twins} twins, then runs its phases of {@code bench.seconds}
 * each and prints patches/s, p50/p99 write latency and p99 projection lag:
 * <ol>
 *   <li>command path: {@code bench.threads} threads send {@link PatchReportedProperties} through the command
 *   gateway (each a committed event);</li>
 *   <li>HTTP: {@code bench.http-threads} threads send {@code PATCH /twins/{id}/properties/reported}, each answered
 *   only after the projection shows it (read-your-writes);</li>
 *   <li>batch: {@code bench.batch-threads} threads send {@code POST /twins/batch} with {@code bench.batch-size}
 *   reported patches of random twins each (answered once each item committed, without waiting for the projection);
 *   its writes are twin updates, its latencies those of whole batches ({@code -Dbench.batch-size=0} skips it);</li>
 *   <li>raw baseline: the same number of rows the command phase wrote, inserted with plain JDBC by the same number
 *   of threads, one transaction per row, into a table shaped like the event table.</li>
 * </ol>
 * Run: {@code ./mvnw -Pbench -DskipTests -pl deploy -am verify} (add {@code -Dbench.seconds=10} for a quick run).
 */
public final class WriteBenchmark {

    private static final int TWINS = Integer.getInteger("bench.twins", 10_000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    private static final int THREADS = Integer.getInteger("bench.threads", 32);
    private static final int HTTP_THREADS = Integer.getInteger("bench.http-threads", 64);
    /** {@code -Dbench.prefer-minimal=true}: the HTTP phase asks for {@code Prefer: return=minimal} (204, no body). */
    private static final boolean PREFER_MINIMAL = Boolean.getBoolean("bench.prefer-minimal");
    private static final int BATCH_SIZE = Integer.getInteger("bench.batch-size", 100);
    private static final int BATCH_THREADS = Integer.getInteger("bench.batch-threads", 8);
    /** Writer threads of the floor program ({@link FloorWriter}), as the group commit's lanes. */
    private static final int FLOOR_WRITERS = Integer.getInteger("bench.floor-writers", 4);
    /** Which phases run (the raw baseline always does): any of command, http, batch. */
    private static final List<String> PHASES = List.of(System.getProperty("bench.phases", "command,http,batch")
            .split(","));

    private WriteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Files.createTempDirectory("twin-bench");
        // lag percentiles cover (2/3 of) one phase, never the set-up or the phase before
        ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of("twin.query.lag-window", SECONDS + "s"));
        try {
            run(app);
        } finally {
            app.close();
        }
    }

    private static void run(ConfigurableApplicationContext app) throws Exception {
        CommandGateway commands = app.getBean(CommandGateway.class);
        DataSource dataSource = app.getBean(DataSource.class);
        Timer lag = app.getBean(MeterRegistry.class).get("twin.projection.lag").timer();
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        String runId = UUID.randomUUID().toString().substring(0, 8);
        String[] twins = new String[TWINS];
        for (int i = 0; i < TWINS; i++) {
            twins[i] = "bench-" + runId + "-" + i;
        }

        System.out.printf("machine: %d cores, %s, Java %s; %d twins, %d s per phase%s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("java.version"), TWINS, SECONDS, PREFER_MINIMAL ? "; HTTP with Prefer: return=minimal" : "");
        long setupStart = System.nanoTime();
        BenchSupport.parallel(THREADS, TWINS, i -> commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                new PutTwin(twins[i], tags(i), null, null, false)).andMetaData(audit(Channel.API).toMap())));
        System.out.printf("setup: %d twins created in %.1f s%n", TWINS, (System.nanoTime() - setupStart) / 1e9);
        BenchSupport.awaitProjection(dataSource, 60);

        List<Result> results = new ArrayList<>();
        if (PHASES.contains("command")) results.add(timed("command path", THREADS, lag, dataSource, sequence -> {
            String twin = twins[ThreadLocalRandom.current().nextInt(TWINS)];
            commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                    new PatchReportedProperties(twin, reported(sequence), null)).andMetaData(audit(Channel.DEVICE).toMap()));
        }));

        ExecutorService httpExecutor = Executors.newFixedThreadPool(4);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(httpExecutor).build();
        if (PHASES.contains("http")) results.add(timed("HTTP", HTTP_THREADS, lag, dataSource, sequence -> {
            String twin = twins[ThreadLocalRandom.current().nextInt(TWINS)];
            HttpRequest.Builder request = BenchSupport.request(URI.create("http://127.0.0.1:" + port + "/twins/"
                            + twin + "/properties/reported"))
                    .header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(reported(sequence).toString()));
            if (PREFER_MINIMAL) {
                request.header("Prefer", "return=minimal");
            }
            HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != (PREFER_MINIMAL ? 204 : 200)) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
        }));

        if (BATCH_SIZE > 0 && PHASES.contains("batch")) {
            results.add(timed("batch of " + BATCH_SIZE, BATCH_THREADS, BATCH_SIZE, lag, dataSource, sequence -> {
                StringBuilder body = new StringBuilder("{\"items\":[");
                for (int i = 0; i < BATCH_SIZE; i++) {
                    String twin = twins[ThreadLocalRandom.current().nextInt(TWINS)];
                    body.append(i == 0 ? "" : ",").append("{\"deviceId\":\"").append(twin)
                            .append("\",\"reported\":").append(reported(sequence * BATCH_SIZE + i)).append('}');
                }
                HttpRequest request = BenchSupport.request(URI.create("http://127.0.0.1:" + port + "/twins/batch"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())).build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200 || response.body().contains("\"problem\"")) {
                    throw new IllegalStateException("batch answered " + response.statusCode() + ": "
                            + response.body().substring(0, Math.min(500, response.body().length())));
                }
            }));
        }
        httpExecutor.shutdown();
        Result raw = rawInserts(dataSource, results.isEmpty() ? 100_000 : results.get(0).count, THREADS);
        results.add(raw);
        long[] floor = FloorWriter.run(dataSource, Math.max(100_000, results.get(0).count), FLOOR_WRITERS);
        double floorPerSecond = floor[0] / (floor[1] / 1e9);
        System.out.printf("floor (plain JDBC: event, document, history row, head, chain link; %d events per commit,"
                        + " %d writers): %d events in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms per commit%n",
                FloorWriter.PER_COMMIT, FLOOR_WRITERS, floor[0], floor[1] / 1e9, floorPerSecond, floor[2] / 1e6,
                floor[3] / 1e6);
        for (Result r : results.subList(0, results.size() - 1)) {
            System.out.printf("ratio to the floor, %s: %.2f while writing, %.2f sustained%n", r.name,
                    r.perSecond() / floorPerSecond, r.sustained / floorPerSecond);
        }

        System.out.println();
        System.out.println("| path | writes | writes/s | p50 ms | p99 ms | p99 projection lag ms | ratio to raw JDBC |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf("| %s | %d | %.0f | %.2f | %.2f | %s | %.2f |%n", r.name, r.count, r.perSecond(),
                    r.p50Millis, r.p99Millis, r.lagP99Millis < 0 ? "-" : String.format("%.1f", r.lagP99Millis),
                    r.perSecond() / raw.perSecond());
        }
    }

    private record Result(String name, long count, double seconds, double p50Millis, double p99Millis,
                          double lagP99Millis, double sustained) {
        double perSecond() {
            return count / seconds;
        }
    }

    @FunctionalInterface
    private interface Write {
        void run(long sequence) throws Exception;
    }

    /** Runs {@code write} from {@code threads} threads for {@link #SECONDS}, then waits for the projection. */
    private static Result timed(String name, int threads, Timer lag, DataSource dataSource, Write write)
            throws Exception {
        return timed(name, threads, 1, lag, dataSource, write);
    }

    /**
     * As {@link #timed(String, int, Timer, DataSource, Write)} for a write that makes {@code writesPerCall} twin
     * updates (a batch): the count is of updates, the latencies of calls.
     */
    private static Result timed(String name, int threads, int writesPerCall, Timer lag, DataSource dataSource,
                                Write write) throws Exception {
        AtomicLong sequence = new AtomicLong();
        BenchSupport.Cpu cpuBefore = BenchSupport.Cpu.now(dataSource);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < end) {
                    long before = System.nanoTime();
                    write.run(sequence.incrementAndGet());
                    if (n == latencies.length) {
                        latencies = Arrays.copyOf(latencies, n * 2);
                    }
                    latencies[n++] = System.nanoTime() - before;
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        long[] all = new long[0];
        for (Future<long[]> f : futures) {
            long[] part = f.get();
            long[] merged = Arrays.copyOf(all, all.length + part.length);
            System.arraycopy(part, 0, merged, all.length, part.length);
            all = merged;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long drainStart = System.nanoTime();
        BenchSupport.awaitProjection(dataSource, 60);
        System.out.printf("%s: projection caught up %.1f s after the last write%n", name,
                (System.nanoTime() - drainStart) / 1e9);
        double drained = BenchSupport.awaitAllProcessors(dataSource, 600);
        double allDrained = drained < 0 ? Double.NaN : (System.nanoTime() - drainStart) / 1e9;
        BenchSupport.Cpu cpu = BenchSupport.Cpu.now(dataSource).minus(cpuBefore);
        Arrays.sort(all);
        double lagP99 = percentile(lag, 0.99);
        long writes = (long) all.length * writesPerCall;
        Result result = new Result(name, writes, seconds, BenchSupport.at(all, 0.50) / 1e6,
                BenchSupport.at(all, 0.99) / 1e6, lagP99, writes / (seconds + allDrained));
        System.out.printf("%s: %d writes in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms, projection lag p99 %.1f ms;"
                        + " every processor drained %.1f s after the last write: sustained %.0f/s%n",
                name, result.count, seconds, result.perSecond(), result.p50Millis, result.p99Millis, lagP99,
                allDrained, result.count / (seconds + allDrained));
        System.out.printf("%s: CPU per write, phase and drain: %.0f µs (Java %.0f, of which the load generator's part is"
                        + " not separated; PostgreSQL %.0f)%n", name,
                (cpu.javaNanos() + cpu.postgresNanos()) / 1e3 / result.count, cpu.javaNanos() / 1e3 / result.count,
                cpu.postgresNanos() / 1e3 / result.count);
        return result;
    }

    /** Plain JDBC: {@code rows} single-row transactions from {@code threads} threads into an event-shaped table. */
    private static Result rawInserts(DataSource dataSource, long rows, int threads) throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        BenchSupport.createRawEventTable(jdbc);
        AtomicLong next = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> futures = new ArrayList<>();
        byte[] meta = audit(Channel.DEVICE).toMap().toString().getBytes();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                long[] latencies = new long[(int) (rows / threads) + 16];
                int n = 0;
                try (Connection connection = dataSource.getConnection();
                     PreparedStatement insert = connection.prepareStatement(BenchSupport.RAW_INSERT)) {
                    connection.setAutoCommit(true);
                    long i;
                    while ((i = next.getAndIncrement()) < rows) {
                        long before = System.nanoTime();
                        BenchSupport.bindRawEvent(insert, i, meta, reported(i).toString().getBytes(),
                                "io.twinplatform.api.twin.ReportedPropertiesPatched");
                        insert.executeUpdate();
                        if (n == latencies.length) {
                            latencies = Arrays.copyOf(latencies, n * 2);
                        }
                        latencies[n++] = System.nanoTime() - before;
                    }
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        List<long[]> parts = new ArrayList<>();
        for (Future<long[]> f : futures) {
            parts.add(f.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] all = parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        jdbc.execute("DROP TABLE bench_raw_insert");
        Result result = new Result("raw JDBC insert", all.length, seconds, BenchSupport.at(all, 0.50) / 1e6, BenchSupport.at(all, 0.99) / 1e6, -1, all.length / seconds);
        System.out.printf("raw JDBC: %d rows in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms%n", result.count, seconds,
                result.perSecond(), result.p50Millis, result.p99Millis);
        return result;
    }

    private static double percentile(Timer timer, double p) {
        for (ValueAtPercentile value : timer.takeSnapshot().percentileValues()) {
            if (Math.abs(value.percentile() - p) < 1e-9) {
                return value.value(TimeUnit.MILLISECONDS);
            }
        }
        return Double.NaN;
    }

    private static AuditMetadata audit(Channel channel) {
        return BenchSupport.audit(channel);
    }
}
