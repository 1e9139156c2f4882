package io.twinplatform.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.deploy.PlatformProcess;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One platform instance against two on the same PostgreSQL and the same MQTT broker, on this machine: what a second
 * instance adds, and what saturates first. Each instance is a packaged-platform JVM of its own
 * ({@link PlatformProcess}); the database is a PostgreSQL server the benchmark does not start (default the machine's
 * at {@code bench.postgres=127.0.0.1:5432}, user {@code bench.postgres-user=postgres}, trust authentication), in which
 * it creates a fresh database {@code twin_scaling} for the run, so both rounds write to the same server and neither
 * instance owns it. The broker is an external one too ({@code bench.mqtt=127.0.0.1:1883}, anonymous, e.g. Mosquitto),
 * read by the instances through one shared subscription group of the run's own.
 * <p>
 * Two rounds, one instance then two; twin-current and twin-history get {@code bench.segments} (4) segments, with as
 * many threads on the one instance and half as many on each of the two, so that each claims half. In each round:
 * <ol>
 *   <li>the segment split: the owner of every processor's segments, from Axon's {@code token_entry};</li>
 *   <li>a warm-up of {@code bench.warmup-seconds} (10) of the batch load, not counted, and its drain;</li>
 *   <li><b>batch writes</b>: {@code bench.batch-threads} (8) client threads in this JVM, spread evenly over the
 *   instances, send {@code POST /twins/batch} of {@code bench.batch-size} (100) reported patches to random twins among
 *   {@code bench.twins} (2,000) for {@code bench.seconds} (30); items answered 200 are counted. With
 *   {@code -Dbench.affinity=true} each instance gets only the twins of its share (as a router by twin id would);</li>
 *   <li><b>device reports over MQTT</b>: {@code bench.devices} (400) devices in a JVM of their own
 *   ({@link ScalingDeviceLoad}), each publishing a reported patch and the next once {@code reported/accepted} came
 *   (a closed loop), for {@code bench.seconds}; each instance's counter
 *   {@code twin.devices.messages{kind=reported,outcome=applied}} shows its share.</li>
 * </ol>
 * Every load's rate is given while it ran and <em>sustained</em>: counted until every streaming processor of every
 * instance has reached the last event (every segment's token in {@code token_entry}, and each instance's
 * {@code GET /admin/projections}). CPU is read per process over the load and over load plus drain: each platform JVM,
 * PostgreSQL's processes (its postmaster and all its children), the broker, this JVM (the HTTP load) and the device
 * load's JVM; in cores (CPU seconds per second), out of {@code nproc}.
 * <p>
 * Raw limits in the same run: the broker alone (the same closed loop on a topic of its own, no platform in it) at the
 * start, and the floor ({@link FloorWriter}: plain JDBC, everything a reported patch writes, 32 events per commit, 4
 * writers) into the same database once both rounds are over and no instance runs. Each rate is also given as a ratio
 * to its raw limit. Clients authenticate as any client does: with the API key the first instance bootstraps.
 * <p>
 * Run: {@code ./mvnw -B -q -Pbench -DskipTests -pl deploy -am verify -Dbench.main=io.twinplatform.bench.ScalingBenchmark}
 * (needs the database server and the broker; add {@code -Dbench.seconds=5 -Dbench.warmup-seconds=2} for a quick run;
 * {@code -Dbench.platform-args="--twin.devices.connections=2"} adds arguments to every instance).
 */
public final class ScalingBenchmark {

    private static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 10);
    private static final int TWINS = Integer.getInteger("bench.twins", 2_000);
    private static final int BATCH_SIZE = Integer.getInteger("bench.batch-size", 100);
    private static final int BATCH_THREADS = Integer.getInteger("bench.batch-threads", 8);
    private static final int DEVICES = Integer.getInteger("bench.devices", 400);
    private static final int SEGMENTS = Integer.getInteger("bench.segments", 4);
    private static final boolean AFFINITY = Boolean.getBoolean("bench.affinity");
    private static final String POSTGRES = System.getProperty("bench.postgres", "127.0.0.1:5432");
    private static final String POSTGRES_USER = System.getProperty("bench.postgres-user", "postgres");
    private static final String DATABASE = "twin_scaling";
    private static final String MQTT = System.getProperty("bench.mqtt", "127.0.0.1:1883");
    /** Each platform JVM's options: the JIT's every tier (the tests' PlatformProcess stops at the first). */
    private static final List<String> JVM = List.of(System.getProperty("bench.platform-jvm", "-Xmx1g").split(" "));
    /** More platform arguments for every instance, space-separated (e.g. {@code --twin.devices.connections=2}). */
    private static final String PLATFORM_ARGS = System.getProperty("bench.platform-args", "").trim();
    private static final long FLOOR_EVENTS = Long.getLong("bench.floor-events", 100_000);
    private static final Duration START = Duration.ofSeconds(240);
    private static final Duration DRAIN = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(4)).build();

    /** A running instance as the benchmark talks to it. */
    private record Instance(String name, PlatformProcess process, String authorization) {

        String url(String path) {
            return "http://127.0.0.1:" + process.port() + path;
        }
    }

    /** One measured load: updates counted, seconds of load, seconds until every processor drained, CPU in cores. */
    private record Result(String round, String load, long count, double seconds, double drainSeconds,
                          Map<String, Double> coresLoaded, Map<String, Double> coresWithDrain, String notes) {

        double whileLoaded() {
            return count / seconds;
        }

        double sustained() {
            return count / (seconds + drainSeconds);
        }
    }

    private ScalingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String host = POSTGRES.substring(0, POSTGRES.lastIndexOf(':'));
        String port = POSTGRES.substring(POSTGRES.lastIndexOf(':') + 1);
        String serverUrl = "jdbc:postgresql://" + host + ":" + port + "/";
        JdbcTemplate server = new JdbcTemplate(new SimpleDriverDataSource(new org.postgresql.Driver(),
                serverUrl + "postgres", POSTGRES_USER, ""));
        server.execute("DROP DATABASE IF EXISTS " + DATABASE);
        server.execute("CREATE DATABASE " + DATABASE);
        String url = serverUrl + DATABASE;
        DataSource database = new SimpleDriverDataSource(new org.postgresql.Driver(), url, POSTGRES_USER, "");
        Path dirs = Files.createTempDirectory("twin-bench-scaling");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "scale-" + run + "-";
        List<Result> results = new ArrayList<>();
        try {
            System.out.println(BenchSupport.machine(database) + "; load average " + loadAverage()
                    + "; platform JVMs " + String.join(" ", JVM) + (PLATFORM_ARGS.isEmpty() ? ""
                    : "; platform arguments " + PLATFORM_ARGS));
            System.out.printf(Locale.ROOT, "%d twins; %d s per load (%d s warm-up); batches of %d from %d threads%s;"
                            + " %d MQTT devices in a closed loop; %d segments%n", TWINS, SECONDS, WARMUP_SECONDS,
                    BATCH_SIZE, BATCH_THREADS, AFFINITY ? " (each instance its share of the twins)" : "", DEVICES,
                    SEGMENTS);
            Processes processes = new Processes(database);

            Result brokerAlone = devicePhase("-", List.of(), database, processes, "raw", "scaling-raw-" + run + "-");
            System.out.printf(Locale.ROOT, "raw limit, the broker alone (closed loop, %d devices): %.0f messages/s%n",
                    DEVICES, brokerAlone.whileLoaded());

            for (int count = 1; count <= 2; count++) {
                List<Instance> instances = startInstances(count, dirs, url, run);
                try {
                    String round = count == 1 ? "one instance" : "two instances";
                    System.out.printf("%n== %s ==%n", round);
                    if (count == 1) {
                        createTwins(instances.get(0), prefix);
                    }
                    printSegments(database, instances);
                    if (WARMUP_SECONDS > 0) {
                        batchPhase(round, instances, database, processes, prefix, WARMUP_SECONDS);
                    }
                    results.add(batchPhase(round, instances, database, processes, prefix, SECONDS));
                    results.add(devicePhase(round, instances, database, processes, "reported", prefix));
                    printSegments(database, instances);
                } finally {
                    for (Instance instance : instances) {
                        stop(instance);
                    }
                }
            }

            System.out.printf("%nfloor: %,d events by plain JDBC into the same database, no instance running%n",
                    FLOOR_EVENTS);
            long[] floor = FloorWriter.run(database, FLOOR_EVENTS, 4);
            double floorPerSecond = floor[0] / (floor[1] / 1e9);
            System.out.printf(Locale.ROOT, "floor: %d events in %.1f s = %.0f/s, p50 %.2f ms per commit of %d%n",
                    floor[0], floor[1] / 1e9, floorPerSecond, floor[2] / 1e6, FloorWriter.PER_COMMIT);
            printTables(results, floorPerSecond, brokerAlone);
        } finally {
            try {
                server.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            } finally {
                BenchSupport.deleteRecursively(dirs);
            }
        }
        System.exit(0);
    }

    /**
     * Starts {@code count} instances on the database at {@code url}, one after the other, each on its own data
     * directory (the first's is kept from round to round: the bootstrap admin key is written there once). With two,
     * each runs half the threads of the split processors.
     */
    private static List<Instance> startInstances(int count, Path dirs, String url, String run) throws Exception {
        int threads = Math.max(1, SEGMENTS / count);
        String mqttHost = MQTT.substring(0, MQTT.lastIndexOf(':'));
        String mqttPort = MQTT.substring(MQTT.lastIndexOf(':') + 1);
        List<String> arguments = new ArrayList<>(List.of(
                "--spring.datasource.url=" + url,
                "--spring.datasource.username=" + POSTGRES_USER,
                "--twin.query.projection.segments=" + SEGMENTS,
                "--twin.query.projection.threads=" + threads,
                "--twin.history.segments=" + SEGMENTS,
                "--twin.history.threads=" + threads,
                "--twin.mqtt.host=" + mqttHost,
                "--twin.mqtt.port=" + mqttPort,
                "--twin.mqtt.shared-group=twin-scaling-" + run,
                // the devices' own limit (20 a second) would refuse a closed loop's reports; it is not what is measured
                "--twin.devices.rate-limit.messages-per-second=100000",
                "--twin.devices.rate-limit.burst=100000"));
        if (!PLATFORM_ARGS.isEmpty()) {
            arguments.addAll(List.of(PLATFORM_ARGS.split(" +")));
        }
        List<Instance> instances = new ArrayList<>();
        Path first = dirs.resolve("instance-1");
        for (int i = 1; i <= count; i++) {
            Path dataDir = dirs.resolve("instance-" + i);
            if (i > 1) {
                // The database's keys hold on every instance of it: the others are called with the first's key.
                Files.createDirectories(dataDir);
                Files.copy(first.resolve("admin-key"), dataDir.resolve("admin-key"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            long began = System.nanoTime();
            PlatformProcess process = PlatformProcess.start(dataDir, START, JVM, arguments, Map.of());
            String key = Files.readString(dataDir.resolve("admin-key")).trim();
            instances.add(new Instance(i == 1 ? "first" : "second", process, "Bearer " + key));
            System.out.printf(Locale.ROOT, "instance %d (pid %d, port %d) up after %.0f s, %d threads per split"
                            + " processor%n", i, process.process().pid(), process.port(),
                    (System.nanoTime() - began) / 1e9, threads);
        }
        return instances;
    }

    /** Stops an instance as an operator does (SIGTERM), waits for it, and kills what is left. */
    private static void stop(Instance instance) {
        try (PlatformProcess process = instance.process()) {
            process.process().destroy();
            process.awaitExit(Duration.ofSeconds(60));
        } catch (AssertionError e) {
            System.out.println("warning: " + instance.name() + " did not stop within 60 s; killed");
        }
    }

    /** Creates the twins through {@code instance}, one PUT each, 16 at a time. */
    private static void createTwins(Instance instance, String prefix) throws Exception {
        long start = System.nanoTime();
        BenchSupport.parallel(16, TWINS, i -> {
            String body = "{\"tags\":" + BenchSupport.tags(i) + "}";
            HttpResponse<String> response;
            try {
                response = send(instance, HttpRequest.newBuilder(URI.create(instance.url("/twins/" + prefix + i)))
                        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
            } catch (Exception e) {
                throw new IllegalStateException("PUT twin " + i, e);
            }
            if (response.statusCode() != 201) {
                throw new IllegalStateException("PUT twin " + i + ": " + response.statusCode() + " "
                        + response.body());
            }
        });
        System.out.printf(Locale.ROOT, "created %,d twins in %.1f s%n", TWINS, (System.nanoTime() - start) / 1e9);
    }

    /**
     * {@link #BATCH_THREADS} threads, thread {@code t} on instance {@code t % n}, each sending batches for
     * {@code seconds}; then the drain. Printed; a warm-up's result is only printed.
     */
    private static Result batchPhase(String round, List<Instance> instances, DataSource database,
                                     Processes processes, String prefix, int seconds) throws Exception {
        String load = seconds == SECONDS ? "batch writes" : "batch writes (warm-up)";
        Map<String, AtomicLong> applied = new ConcurrentHashMap<>();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(BATCH_THREADS);
        Map<String, Long> cpuBefore = processes.cpu(instances, null);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Future<?>> threads = new ArrayList<>();
        for (int t = 0; t < BATCH_THREADS; t++) {
            int share = t % instances.size();
            Instance instance = instances.get(share);
            threads.add(pool.submit(() -> {
                AtomicLong mine = applied.computeIfAbsent(instance.name(), k -> new AtomicLong());
                long sequence = 0;
                while (System.nanoTime() < end) {
                    StringBuilder body = new StringBuilder("{\"items\":[");
                    for (int i = 0; i < BATCH_SIZE; i++) {
                        int twin = ThreadLocalRandom.current().nextInt(TWINS);
                        if (AFFINITY) {
                            twin = twin - twin % instances.size() + share;
                            twin = twin >= TWINS ? share : twin;
                        }
                        body.append(i == 0 ? "" : ",").append("{\"deviceId\":\"").append(prefix).append(twin)
                                .append("\",\"reported\":").append(BenchSupport.reported(++sequence)).append('}');
                    }
                    HttpResponse<String> response = send(instance, HttpRequest.newBuilder(URI.create(
                            instance.url("/twins/batch"))).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())));
                    if (response.statusCode() != 200) {
                        statuses.computeIfAbsent(-response.statusCode(), k -> new AtomicLong()).incrementAndGet();
                        continue;
                    }
                    for (JsonNode result : JSON.readTree(response.body()).get("results")) {
                        int status = result.get("status").asInt();
                        statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                        if (status == 200) {
                            mine.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> thread : threads) {
            thread.get();
        }
        pool.shutdown();
        double loaded = (System.nanoTime() - start) / 1e9;
        Map<String, Long> cpuLoaded = processes.cpu(instances, null);
        double drain = drain(database, instances);
        Map<String, Long> cpuAfter = processes.cpu(instances, null);
        long count = applied.values().stream().mapToLong(AtomicLong::get).sum();
        String notes = "applied through " + new TreeMap<>(applied) + "; item answers (negative: whole request) "
                + new TreeMap<>(statuses);
        Result result = new Result(round, load, count, loaded, drain, cores(cpuBefore, cpuLoaded, loaded),
                cores(cpuBefore, cpuAfter, loaded + drain), notes);
        print(result);
        return result;
    }

    /**
     * The device load ({@link ScalingDeviceLoad}) in its own JVM for {@link #SECONDS}: {@code mode} {@code reported}
     * against the instances (their counters read before and after), or {@code raw}, the broker alone.
     */
    private static Result devicePhase(String round, List<Instance> instances, DataSource database,
                                      Processes processes, String mode, String prefix) throws Exception {
        String host = MQTT.substring(0, MQTT.lastIndexOf(':'));
        String port = MQTT.substring(MQTT.lastIndexOf(':') + 1);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", ScalingDeviceLoad.class.getName(), host, port, prefix, Integer.toString(DEVICES), mode);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("CLASSPATH", PlatformProcess.classPath());
        Process process = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (Exception e) {
                lines.add("output ended: " + e);
            }
        }, "bench-scaling-device-load");
        reader.setDaemon(true);
        reader.start();
        try (Writer input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            System.out.println("  [load] " + expect(lines, "ready", 120));
            Map<String, Double> before = applied(instances);
            Map<String, Long> cpuBefore = processes.cpu(instances, process.toHandle());
            input.write("run " + SECONDS + "\n");
            input.flush();
            String done = expect(lines, "done", SECONDS + 120);
            Map<String, String> fields = new TreeMap<>();
            for (String word : done.split(" ")) {
                int equals = word.indexOf('=');
                if (equals > 0) {
                    fields.put(word.substring(0, equals), word.substring(equals + 1));
                }
            }
            double loaded = Double.parseDouble(fields.get("seconds"));
            Map<String, Long> cpuLoaded = processes.cpu(instances, process.toHandle());
            double drain = instances.isEmpty() ? 0 : drain(database, instances);
            Map<String, Long> cpuAfter = processes.cpu(instances, process.toHandle());
            Map<String, Double> after = applied(instances);
            Map<String, Long> share = new TreeMap<>();
            after.forEach((name, value) -> share.put(name, Math.round(value - before.getOrDefault(name, 0.0))));
            long count = Long.parseLong(fields.get("answered_while_loaded"));
            String notes = String.format(Locale.ROOT, "sent %s, answered %s (rejected %s, unanswered %s) within %s s"
                            + " after the load; publish → answer p50 %s ms, p99 %s ms%s", fields.get("sent"),
                    fields.get("answered"), fields.get("rejected"), fields.get("unanswered"),
                    fields.get("settle_seconds"), fields.get("p50_ms"), fields.get("p99_ms"),
                    instances.isEmpty() ? "" : "; reports applied per instance (its counter) " + share);
            Result result = new Result(round, mode.equals("raw") ? "broker alone (raw)" : "MQTT reports", count,
                    loaded, drain, cores(cpuBefore, cpuLoaded, loaded),
                    cores(cpuBefore, cpuAfter, loaded + drain), notes);
            print(result);
            input.write("exit\n");
            input.flush();
            return result;
        } finally {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Each instance's {@code twin.devices.messages{kind=reported,outcome=applied}}, 0 before the first. */
    private static Map<String, Double> applied(List<Instance> instances) throws Exception {
        Map<String, Double> counters = new LinkedHashMap<>();
        for (Instance instance : instances) {
            HttpResponse<String> response = send(instance, HttpRequest.newBuilder(URI.create(instance.url(
                    "/actuator/metrics/twin.devices.messages?tag=kind:reported&tag=outcome:applied"))).GET());
            double value = response.statusCode() != 200 ? 0
                    : JSON.readTree(response.body()).at("/measurements/0/value").asDouble();
            counters.put(instance.name(), value);
        }
        return counters;
    }

    private static String expect(BlockingQueue<String> lines, String word, long seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("the device load did not say '" + word + "' within " + seconds + " s");
            }
            if (line.startsWith(word + " ")) {
                return line;
            }
            System.out.println("  [load] " + line);
        }
    }

    /**
     * Waits until every segment of every streaming processor in {@code token_entry} has reached the event store's
     * head as it is now, and every instance's {@code GET /admin/projections} shows each projection it runs there;
     * returns the seconds that took (NaN when not within {@link #DRAIN}).
     */
    private static double drain(DataSource database, List<Instance> instances) throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(database);
        long start = System.nanoTime();
        Long head = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
        Map<String, Double> drainedAfter = new TreeMap<>();
        while (System.nanoTime() - start < DRAIN.toNanos()) {
            double now = (System.nanoTime() - start) / 1e9;
            boolean drained = true;
            for (Map<String, Object> row : jdbc.queryForList("SELECT processor_name, bool_and(token IS NOT NULL)"
                    + " AS started, string_agg(convert_from(token, 'UTF8'), ',') AS tokens FROM token_entry"
                    + " GROUP BY processor_name")) {
                boolean reached = Boolean.TRUE.equals(row.get("started"))
                        && BenchSupport.tokensReach((String) row.get("tokens"), head);
                if (reached) {
                    drainedAfter.putIfAbsent((String) row.get("processor_name"), now);
                }
                drained &= reached;
            }
            for (Instance instance : instances) {
                drained &= projectionsAt(instance, head).isEmpty();
            }
            if (drained) {
                System.out.println("  every processor drained; each after (s): " + drainedAfter.entrySet().stream()
                        .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.1f", e.getValue()))
                        .collect(Collectors.joining(", ")));
                return now;
            }
            Thread.sleep(200);
        }
        System.out.println("warning: not every processor drained within " + DRAIN + "; drained: " + drainedAfter);
        return Double.NaN;
    }

    /** The projections {@code instance} runs (it holds a segment of) that have not reached {@code head}. */
    private static List<String> projectionsAt(Instance instance, long head) throws Exception {
        HttpResponse<String> response = send(instance, HttpRequest.newBuilder(URI.create(
                instance.url("/admin/projections"))).GET());
        if (response.statusCode() != 200) {
            return List.of("GET /admin/projections " + response.statusCode());
        }
        List<String> behind = new ArrayList<>();
        for (JsonNode projection : JSON.readTree(response.body()).get("projections")) {
            long position = projection.get("position").asLong();
            if (position >= 0 && position < head) {
                behind.add(projection.get("name").asText());
            }
        }
        return behind;
    }

    /** Which instance owns each segment of each processor, from Axon's {@code token_entry}. */
    private static void printSegments(DataSource database, List<Instance> instances) throws InterruptedException {
        JdbcTemplate jdbc = new JdbcTemplate(database);
        Map<String, String> owners = new TreeMap<>();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < end; ) {
            owners.clear();
            for (Map<String, Object> row : jdbc.queryForList(
                    "SELECT processor_name, segment, owner FROM token_entry ORDER BY processor_name, segment")) {
                String owner = (String) row.get("owner");
                String name = "none";
                for (Instance instance : instances) {
                    if (owner != null && owner.startsWith(instance.process().process().pid() + "@")) {
                        name = instance.name();
                    }
                }
                owners.merge((String) row.get("processor_name"), row.get("segment") + ":" + name, (a, b) -> a + " " + b);
            }
            if (owners.values().stream().noneMatch(o -> o.contains(":none"))) {
                break;
            }
            Thread.sleep(500);
        }
        System.out.println("  segment owners (segment:instance), from token_entry:");
        owners.forEach((processor, segments) -> System.out.println("    " + processor + " " + segments));
    }

    /** CPU seconds per second of {@code seconds}, per process, from two readings. */
    private static Map<String, Double> cores(Map<String, Long> before, Map<String, Long> after, double seconds) {
        Map<String, Double> cores = new LinkedHashMap<>();
        after.forEach((name, nanos) -> cores.put(name, (nanos - before.getOrDefault(name, 0L)) / 1e9 / seconds));
        return cores;
    }

    private static void print(Result result) {
        System.out.printf(Locale.ROOT, "%s, %s: %,d in %.1f s = %.0f/s while loaded; every processor drained %.1f s"
                        + " later: %.0f/s sustained%n  %s%n  CPU cores while loaded %s; with the drain %s%n",
                result.round(), result.load(), result.count(), result.seconds(), result.whileLoaded(),
                result.drainSeconds(), result.sustained(), result.notes(), format(result.coresLoaded()),
                format(result.coresWithDrain()));
    }

    private static String format(Map<String, Double> cores) {
        double total = cores.values().stream().mapToDouble(Double::doubleValue).sum();
        return cores.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ")) + String.format(Locale.ROOT, " (sum %.2f of %d)", total,
                Runtime.getRuntime().availableProcessors());
    }

    private static void printTables(List<Result> results, double floor, Result broker) {
        System.out.println();
        System.out.println("| instances | load | while loaded /s | drained after s | sustained /s | ratio to raw"
                + " (sustained) | CPU cores while loaded: instances / PostgreSQL / broker / load |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Result r : results) {
            double raw = r.load().startsWith("MQTT") ? broker.whileLoaded() : floor;
            Map<String, Double> c = r.coresLoaded();
            String instances = c.entrySet().stream().filter(e -> e.getKey().startsWith("instance"))
                    .map(e -> String.format(Locale.ROOT, "%.2f", e.getValue())).collect(Collectors.joining(" + "));
            double load = c.getOrDefault("benchmark JVM", 0.0) + c.getOrDefault("device load", 0.0);
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.1f | %.0f | %.2f | %s / %.2f / %.2f / %.2f |%n",
                    r.round(), r.load(), r.whileLoaded(), r.drainSeconds(), r.sustained(), r.sustained() / raw,
                    instances, c.getOrDefault("PostgreSQL", 0.0), c.getOrDefault("broker", 0.0), load);
        }
        System.out.printf(Locale.ROOT, "raw limits: floor (plain JDBC) %.0f events/s; broker alone %.0f messages/s%n",
                floor, broker.whileLoaded());
    }

    private static HttpResponse<String> send(Instance instance, HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.header("Authorization", instance.authorization()).timeout(Duration.ofSeconds(60))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }

    /**
     * The processes whose CPU time is read: each instance's JVM (and anything it started), PostgreSQL's postmaster and
     * all its children (found from a backend of {@code database}; absent if the server runs elsewhere), the broker
     * (a process named {@code mosquitto}, if any), this JVM, and the device load's JVM when one runs.
     */
    private static final class Processes {

        private final Optional<ProcessHandle> postmaster;
        private final Optional<ProcessHandle> broker;

        Processes(DataSource database) {
            // the backend is looked at while its connection is open: it ends with it
            postmaster = new JdbcTemplate(database).execute((ConnectionCallback<Optional<ProcessHandle>>) c -> {
                try (var statement = c.createStatement();
                     var result = statement.executeQuery("SELECT pg_backend_pid()")) {
                    result.next();
                    return ProcessHandle.of(result.getInt(1)).flatMap(ProcessHandle::parent);
                }
            });
            broker = ProcessHandle.allProcesses().filter(p -> p.info().command()
                    .map(c -> c.endsWith("/mosquitto")).orElse(false)).findFirst();
        }

        Map<String, Long> cpu(List<Instance> instances, ProcessHandle deviceLoad) {
            Map<String, Long> cpu = new LinkedHashMap<>();
            for (int i = 0; i < instances.size(); i++) {
                cpu.put("instance " + (i + 1), tree(instances.get(i).process().process().toHandle()));
            }
            postmaster.ifPresent(p -> cpu.put("PostgreSQL", tree(p)));
            broker.ifPresent(p -> cpu.put("broker", tree(p)));
            cpu.put("benchmark JVM", nanos(ProcessHandle.current()));
            if (deviceLoad != null) {
                cpu.put("device load", nanos(deviceLoad));
            }
            return cpu;
        }

        private static long tree(ProcessHandle root) {
            return Stream.concat(Stream.of(root), root.descendants()).mapToLong(Processes::nanos).sum();
        }

        private static long nanos(ProcessHandle process) {
            return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
    }
}
