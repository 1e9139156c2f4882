package io.twinplatform.bench;

import static io.twinplatform.bench.BenchSupport.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.ConfigurationTwinCounts;
import io.twinplatform.api.configuration.CountConfigurationTwins;
import io.twinplatform.api.query.FindTargetedTwins;
import io.twinplatform.api.query.SelectItem;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.rollout.PhaseMembership;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.query.fleet.CompiledQuery;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.QueryGateway;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Configurations and rollouts at fleet scale, against the raw limits of the same machine in the same run.
 *
 * <ol>
 *   <li><b>Set-up</b> (not part of any figure): {@code bench.twins} device twins (default 100,000; 50 buildings)
 *   created through the command gateway by {@code bench.threads} threads, then the projection is awaited.</li>
 *   <li><b>Apply to the fleet</b>, once per value of {@code bench.concurrency} (default {@code 16,32}; the
 *   platform is restarted with {@code twin.configurations.concurrency} set to it):
 *   <ol>
 *     <li>raw ceiling: every twin gets one {@link PatchTwin} of a desired key through the same command gateway,
 *     from as many threads as the applier uses, in twin-id order (the applier's order); timed until the command
 *     side has committed them and until the fleet query side shows them;</li>
 *     <li>the configuration: {@code PUT /configurations/{id}} targeting every twin and setting that same key,
 *     timed until every twin's event is stored and until the fleet query side shows all of them applied (checked
 *     with {@code GET /configurations/{id}}: {@code appliedCount}).</li>
 *   </ol></li>
 *   <li><b>Raw JDBC</b>: as many single-row durable inserts into an event-shaped table, same PostgreSQL, 16
 *   threads.</li>
 *   <li><b>Rollout decisions</b>, {@code bench.rollouts} times (default 5), each on its own building (2,000 twins at
 *   the default fleet size), its own staged configuration and rollout (phases 50% and 100%, success metric
 *   {@code compliant} at 95% with no soak): once phase 0 shows the configuration applied, the benchmark plays the
 *   devices and, at a random point of the monitor's cycle, reports the new firmware for every phase-0 twin as fast
 *   as it can (32 threads, command gateway). The
 *   metric crosses when the report that brings compliance to 95% is committed; the latency is from then to the
 *   {@code phaseStarted} decision's time in {@code GET /rollouts/{id}}. The same again for phase 1 and the
 *   {@code completed} decision. Each latency is split with the store's own timestamps: the projection showing the
 *   crossing report (the current-state processor's token, sampled every 20 ms), the monitor's
 *   {@code RolloutObserved} that first counts 95%, and the decision.</li>
 * </ol>
 *
 * <p>Before each timed phase it waits until every event processor has caught up with the store and until other
 * processes than its own (this JVM and the embedded PostgreSQL) take less than 10% of the machine
 * ({@code bench.quiet-wait}, default 300 s), and it prints how busy the machine was during the phase and how much of
 * that was someone else's. After the rounds it times the applier's selection on its own (the same
 * {@code FindTargetedTwins} pages) and prints the plan PostgreSQL chose for a page.
 *
 * <p>Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.ConfigurationBenchmark -DskipTests -pl deploy -am
 * verify}. Knobs: {@code -Dbench.twins=100000 -Dbench.concurrency=16,32 -Dbench.rollouts=5 -Dbench.threads=32
 * -Dbench.report-threads=32 -Dbench.rollout-concurrency=16 -Dbench.raw-jdbc=true}. A round's entry in
 * {@code bench.concurrency} may add platform properties after a colon, {@code ;}-separated:
 * {@code -Dbench.concurrency=16,32:twin.command.cache-size=120000}. {@code -Dbench.data-dir=…} keeps the fleet for
 * the next run (configurations of earlier runs then stay live on it, so its figures are not those of a fresh fleet);
 * with {@code -Dbench.concurrency= -Dbench.rollouts=0 -Dbench.selection=true} a run on kept data only times the
 * selection.
 */
public final class ConfigurationBenchmark {

    private static final int TWINS = Integer.getInteger("bench.twins", 100_000);
    private static final int SETUP_THREADS = Integer.getInteger("bench.threads", 32);
    private static final int ROLLOUTS = Integer.getInteger("bench.rollouts", 5);
    private static final int REPORT_THREADS = Integer.getInteger("bench.report-threads", 32);
    private static final int ROLLOUT_CONCURRENCY = Integer.getInteger("bench.rollout-concurrency", 16);
    /**
     * One round per entry: the applier's concurrency, optionally followed by {@code :} and more platform properties
     * for that round, {@code ;}-separated (e.g. {@code 32:twin.command.cache-size=120000}).
     */
    private static final List<String> ROUNDS = Arrays.stream(System.getProperty("bench.concurrency", "16,32")
            .split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    private static final int QUIET_WAIT = Integer.getInteger("bench.quiet-wait", 300);
    private static final int BUILDINGS = 50;
    private static final String APPLIED = "io.twinplatform.api.twin.TwinConfigurationsApplied";
    private static final String REPORTED = "io.twinplatform.api.twin.ReportedPropertiesPatched";
    private static final String OBSERVED = "io.twinplatform.api.rollout.RolloutObserved";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigurationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String configured = System.getProperty("bench.data-dir");
        Path dataDir = configured != null ? Path.of(configured) : Files.createTempDirectory("twin-config-bench");
        new ConfigurationBenchmark().run(dataDir);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private ConfigurableApplicationContext app;
    private String appSettings;
    private CommandGateway commands;
    private QueryGateway queries;
    private DataSource dataSource;
    private JdbcTemplate jdbc;
    private HttpClient http;
    private int port;
    private final String runId = UUID.randomUUID().toString().substring(0, 6);
    private final String[] twins = new String[TWINS];
    private final List<String> summary = new ArrayList<>();

    private void run(Path dataDir) throws Exception {
        for (int i = 0; i < TWINS; i++) {
            twins[i] = String.format("cb-%06d", i);
        }
        Cpu.dataDirMarker = dataDir.toAbsolutePath().toString();
        System.out.printf("machine: %d cores, %s, Java %s; %d twins; applier concurrency %s; %d rollouts; run %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("java.version"), TWINS, ROUNDS, ROLLOUTS, runId);
        try {
            startApp(dataDir, ROUNDS.isEmpty() ? String.valueOf(ROLLOUT_CONCURRENCY) : ROUNDS.get(0));
            setUp();
            List<Round> rounds = new ArrayList<>();
            for (int r = 0; r < ROUNDS.size(); r++) {
                if (!ROUNDS.get(r).equals(appSettings)) {
                    startApp(dataDir, ROUNDS.get(r));
                }
                rounds.add(round(r + 1, ROUNDS.get(r)));
            }
            if (!rounds.isEmpty() || Boolean.getBoolean("bench.selection")) {
                selection("tags.fleet = 'bench'");
            }
            Raw raw = null;
            if (!rounds.isEmpty() && !"false".equals(System.getProperty("bench.raw-jdbc"))) {
                raw = rawInserts(TWINS, 16);
            }
            printRounds(rounds, raw);
            if (ROLLOUTS > 0) {
                if (!String.valueOf(ROLLOUT_CONCURRENCY).equals(appSettings)) {
                    startApp(dataDir, String.valueOf(ROLLOUT_CONCURRENCY));
                }
                rollouts();
            }
            System.out.println();
            System.out.println("=== summary ===");
            summary.forEach(System.out::println);
        } finally {
            if (app != null) {
                app.close();
            }
        }
    }

    private static int concurrencyOf(String settings) {
        return Integer.parseInt(settings.split(":", 2)[0].trim());
    }

    private void startApp(Path dataDir, String settings) throws Exception {
        int concurrency = concurrencyOf(settings);
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("twin.configurations.concurrency", String.valueOf(concurrency));
        if (settings.contains(":")) {
            for (String pair : settings.split(":", 2)[1].split(";")) {
                String[] kv = pair.split("=", 2);
                properties.put(kv[0].trim(), kv[1].trim());
            }
        }
        if (app != null) {
            app.close();
        }
        long start = System.nanoTime();
        app = BenchSupport.start(dataDir, properties);
        appSettings = settings;
        commands = app.getBean(CommandGateway.class);
        queries = app.getBean(QueryGateway.class);
        dataSource = app.getBean(DataSource.class);
        jdbc = new JdbcTemplate(dataSource);
        port = ((WebServerApplicationContext) app).getWebServer().getPort();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        System.out.printf("platform started with %s in %.1f s%n", properties, (System.nanoTime() - start) / 1e9);
    }

    // --- set-up ----------------------------------------------------------------------------------------------------

    private void setUp() throws Exception {
        Long loaded = jdbc.queryForObject(
                "SELECT count(*) FROM twin_document WHERE NOT deleted AND twin_id LIKE 'cb-%'",
                Long.class);
        if (loaded != null && loaded >= TWINS) {
            System.out.printf("fleet already there: %d twins%n", loaded);
        } else if (loaded != null && loaded > 0) {
            throw new IllegalStateException("the data directory holds part of a fleet (" + loaded + " twins)");
        } else {
            long start = System.nanoTime();
            BenchSupport.parallel(SETUP_THREADS, TWINS, i -> commands.sendAndWait(GenericCommandMessage
                    .asCommandMessage(new PutTwin(twins[i], tags(i), null, null, false))
                    .andMetaData(BenchSupport.audit(Channel.API).toMap())));
            double written = (System.nanoTime() - start) / 1e9;
            BenchSupport.awaitProjection(dataSource, 1800);
            double visible = (System.nanoTime() - start) / 1e9;
            String line = String.format("set-up: %,d twins created through the command gateway (%d threads) in %.1f s"
                    + " (%.0f/s); the query side showed them all after %.1f s", TWINS, SETUP_THREADS, written,
                    TWINS / written, visible);
            System.out.println(line);
            summary.add(line);
        }
        jdbc.execute("ANALYZE twin_document");
    }

    // --- apply to the fleet ----------------------------------------------------------------------------------------

    private record Phase(double writtenSeconds, double visibleSeconds, double cpuBusy, double others) {
    }

    private record Round(int number, String concurrency, Phase patch, Phase configuration, double selectionSeconds,
                         double firstToLastEventSeconds, long appliedCount, double getMillis) {
    }

    private Round round(int number, String settings) throws Exception {
        int concurrency = concurrencyOf(settings);
        String key = "bench" + runId.replace("-", "") + "r" + number;
        System.out.printf("%n--- round %d: applier concurrency %s, desired key %s ---%n", number, settings, key);

        // 1. The raw ceiling: one PatchTwin per twin through the same command path, as many at once as the applier.
        ObjectNode manual = JsonNodeFactory.instance.objectNode().put(key, "manual");
        awaitProcessors(1800);
        Cpu.awaitQuiet(QUIET_WAIT);
        long headBefore = head();
        Cpu cpu = Cpu.now();
        long start = System.nanoTime();
        BenchSupport.parallel(concurrency, TWINS, i -> commands.sendAndWait(GenericCommandMessage
                .asCommandMessage(new PatchTwin(twins[i], null, manual, null))
                .andMetaData(BenchSupport.audit(Channel.API).toMap())));
        double written = (System.nanoTime() - start) / 1e9;
        long last = head();
        awaitVisible(last, 1800);
        double visible = (System.nanoTime() - start) / 1e9;
        Cpu.Use use = cpu.since();
        Phase patch = new Phase(written, visible, use.busy(), use.others());
        System.out.printf("PatchTwin x %,d (%d threads): committed in %.1f s (%.0f/s), visible in %.1f s (%.0f/s);"
                        + " machine busy %.0f%%, other processes %.0f%% (%,d events)%n", TWINS, concurrency, written,
                TWINS / written, visible, TWINS / visible, use.busy() * 100, use.others() * 100, last - headBefore);
        awaitProcessors(1800);
        System.out.printf("PatchTwin: every processor drained %.1f s after the first command (sustained)%n",
                (System.nanoTime() - start) / 1e9);
        Cpu.awaitQuiet(QUIET_WAIT);

        // 2. The configuration: the same key on the same twins, through the applier.
        String id = "bench-" + runId + "-" + number;
        ObjectNode body = JSON.createObjectNode();
        body.put("targetCondition", "tags.fleet = 'bench'");
        body.put("priority", 10);
        body.putObject("content").putObject("deviceContent").put("properties.desired." + key, "configured");
        long before = head();
        Instant putAt = Instant.now();
        cpu = Cpu.now();
        start = System.nanoTime();
        HttpResponse<String> put = send("PUT", "/configurations/" + id, body.toString());
        if (put.statusCode() != 201) {
            throw new IllegalStateException("PUT /configurations/" + id + ": " + put.statusCode() + " " + put.body());
        }
        double writtenAt = -1;
        long lastApplied = -1;
        long nextReport = System.nanoTime() + 10_000_000_000L;
        long deadline = System.nanoTime() + 1_800_000_000_000L;
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("configuration " + id + " was not applied within 30 minutes");
            }
            if (writtenAt < 0) {
                long now = head();
                if (now - before >= TWINS + 1) {
                    Long[] applied = jdbc.queryForObject("SELECT count(*), max(global_index) FROM domain_event_entry"
                                    + " WHERE global_index > ? AND payload_type = ?",
                            (rs, n) -> new Long[]{rs.getLong(1), rs.getLong(2)}, before, APPLIED);
                    if (applied[0] >= TWINS) {
                        writtenAt = (System.nanoTime() - start) / 1e9;
                        lastApplied = applied[1];
                        System.out.printf("  all %,d events stored after %.1f s%n", applied[0], writtenAt);
                    }
                }
                if (System.nanoTime() > nextReport) {
                    System.out.printf("  %.0f s: %,d events since the PUT%n", (System.nanoTime() - start) / 1e9,
                            now - before);
                    nextReport += 10_000_000_000L;
                }
            } else if (tokensReach(lastApplied)) {
                break;
            }
            Thread.sleep(100);
        }
        double visibleAt = (System.nanoTime() - start) / 1e9;
        use = cpu.since();
        long getStart = System.nanoTime();
        JsonNode shown = JSON.readTree(send("GET", "/configurations/" + id, null).body());
        double getMillis = (System.nanoTime() - getStart) / 1e6;
        long appliedCount = shown.at("/systemMetrics/results/appliedCount").asLong();
        Instant[] span = jdbc.queryForObject("SELECT min(time_stamp), max(time_stamp) FROM domain_event_entry"
                        + " WHERE global_index > ? AND payload_type = ?",
                (rs, n) -> new Instant[]{Instant.parse(rs.getString(1)), Instant.parse(rs.getString(2))}, before,
                APPLIED);
        double selection = (span[0].toEpochMilli() - putAt.toEpochMilli()) / 1e3;
        double firstToLast = (span[1].toEpochMilli() - span[0].toEpochMilli()) / 1e3;
        Phase configuration = new Phase(writtenAt, visibleAt, use.busy(), use.others());
        System.out.printf("configuration %s: first twin's event %.1f s after the PUT, all stored after %.1f s"
                        + " (%.0f events/s; first to last event %.1f s = %.0f/s), all shown applied after %.1f s"
                        + " (%.0f/s); GET appliedCount = %,d (targetedCount %,d) in %.0f ms; machine busy %.0f%%,"
                        + " other processes %.0f%%%n", id, selection, writtenAt, TWINS / writtenAt, firstToLast,
                TWINS / firstToLast, visibleAt, TWINS / visibleAt, appliedCount,
                shown.at("/systemMetrics/results/targetedCount").asLong(), getMillis, use.busy() * 100,
                use.others() * 100);
        if (appliedCount != TWINS) {
            System.out.println("WARNING: appliedCount is " + appliedCount + ", not " + TWINS);
        }
        // "Shown" waits for the current-state projection only; sustained waits for every processor.
        awaitProcessors(1800);
        System.out.printf("configuration %s: every processor drained %.1f s after the PUT (sustained)%n", id,
                (System.nanoTime() - start) / 1e9);
        Thread.sleep(2000);
        return new Round(number, settings, patch, configuration, selection, firstToLast, appliedCount, getMillis);
    }

    /**
     * What the applier's selection of a configuration's twins costs on its own: the same {@link FindTargetedTwins}
     * pages of 1,000 ids it sends, timed one by one, and the plans of three pages (first, 1% in, halfway).
     */
    private void selection(String condition) throws Exception {
        awaitProcessors(1800);
        Cpu.awaitQuiet(QUIET_WAIT);
        List<Double> pages = new ArrayList<>();
        String token = null;
        long ids = 0;
        long start = System.nanoTime();
        do {
            long s = System.nanoTime();
            TwinQueryPage page = queries.query(new FindTargetedTwins(condition, false, 1000, token),
                    ResponseTypes.instanceOf(TwinQueryPage.class)).join();
            pages.add((System.nanoTime() - s) / 1e6);
            ids += page.items().size();
            token = page.continuationToken();
        } while (token != null);
        double total = (System.nanoTime() - start) / 1e9;
        double[] sorted = pages.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        String line = String.format("selection alone (%s): %,d ids in %d pages of 1,000 in %.1f s; per page: first %.0f"
                        + " ms, median %.0f ms, max %.0f ms", condition, ids, pages.size(), total, pages.get(0),
                sorted[sorted.length / 2], sorted[sorted.length - 1]);
        System.out.println();
        System.out.println(line);
        System.out.println("  each page, ms: " + pages.stream().map(ms -> String.valueOf(Math.round(ms))).toList());
        summary.add("");
        summary.add(line);
        try {
            // The page's SQL, as the fleet query side compiles it (package-private there: reached by reflection).
            Class<?> compiler = Class.forName("io.twinplatform.query.fleet.QueryCompiler");
            java.lang.reflect.Method compile = compiler.getDeclaredMethod("compile", TwinQuery.class, List.class,
                    int.class);
            compile.setAccessible(true);
            TwinQuery target = TwinQuery.parseTargetCondition(condition);
            TwinQuery query = new TwinQuery(target.text(), List.of(
                    new SelectItem(TwinQuery.parseField("deviceId"), null, "deviceId"),
                    new SelectItem(TwinQuery.parseField("moduleId"), null, "moduleId")), null, Source.DEVICES,
                    target.where(), List.of(), List.of());
            for (String after : new String[]{null, twins[TWINS / 100], twins[TWINS / 2]}) {
                CompiledQuery compiled = (CompiledQuery) compile.invoke(null, query,
                        after == null ? null : List.of(JsonNodeFactory.instance.textNode(after)), 1001);
                System.out.println("the page's SQL: " + compiled.sql() + " " + compiled.params());
                try (Connection connection = dataSource.getConnection();
                     PreparedStatement explain = connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) "
                             + compiled.sql())) {
                    CompiledQuery.bind(connection, explain, 1, compiled.params());
                    try (var rs = explain.executeQuery()) {
                        while (rs.next()) {
                            System.out.println("  " + rs.getString(1));
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.out.println("(no plan: " + e + ")");
        }
    }

    private void printRounds(List<Round> rounds, Raw raw) {
        summary.add("");
        summary.add("| round | applier concurrency | path | stored s | events/s stored | shown s | events/s shown"
                + " | ratio to PatchTwin (shown) | ratio to raw JDBC (stored) | machine busy |");
        summary.add("|---|---|---|---|---|---|---|---|---|---|");
        for (Round r : rounds) {
            summary.add(String.format("| %d | %s | PatchTwin, one per twin | %.1f | %.0f | %.1f | %.0f | 1.00 | %s |"
                            + " %.0f%% |", r.number, r.concurrency, r.patch.writtenSeconds,
                    TWINS / r.patch.writtenSeconds,
                    r.patch.visibleSeconds, TWINS / r.patch.visibleSeconds,
                    raw == null ? "-" : String.format("%.2f", TWINS / r.patch.writtenSeconds / raw.perSecond()),
                    r.patch.cpuBusy * 100));
            summary.add(String.format("| %d | %s | configuration (PUT to all shown applied) | %.1f | %.0f | %.1f |"
                            + " %.0f | %.2f | %s | %.0f%% |", r.number, r.concurrency,
                    r.configuration.writtenSeconds, TWINS / r.configuration.writtenSeconds,
                    r.configuration.visibleSeconds, TWINS / r.configuration.visibleSeconds,
                    r.patch.visibleSeconds / r.configuration.visibleSeconds,
                    raw == null ? "-" : String.format("%.2f", TWINS / r.configuration.writtenSeconds / raw.perSecond()),
                    r.configuration.cpuBusy * 100));
            summary.add(String.format("|   |   | (selection before the first twin %.1f s; first to last event %.1f s ="
                            + " %.0f/s; appliedCount %,d, GET in %.0f ms; other processes' share of the machine:"
                            + " PatchTwin %.0f%%,"
                            + " configuration %.0f%%) | | | | | | | |", r.selectionSeconds, r.firstToLastEventSeconds,
                    TWINS / r.firstToLastEventSeconds, r.appliedCount, r.getMillis, r.patch.others * 100,
                    r.configuration.others * 100));
        }
        if (raw != null) {
            summary.add(String.format("| - | 16 threads | raw JDBC single-row inserts | %.1f | %.0f | - | - | - |"
                    + " 1.00 | %.0f%% |", raw.seconds, raw.perSecond(), raw.cpuBusy * 100));
        }
    }

    // --- rollouts --------------------------------------------------------------------------------------------------

    private record Latency(String decision, long crossingMs, long reportEventMs, long visibleMs, long observedMs,
                           long decidedMs, int reports, int needed) {
        long total() {
            return decidedMs - crossingMs;
        }
    }

    private void rollouts() throws Exception {
        List<Latency> results = new ArrayList<>();
        List<Double> countMillis = new ArrayList<>();
        for (int r = 0; r < ROLLOUTS; r++) {
            int building = r % BUILDINGS;
            List<String> members = new ArrayList<>();
            for (int i = building; i < TWINS; i += BUILDINGS) {
                members.add(twins[i]);
            }
            String version = "fw-" + runId + "-" + r;
            String configuration = "fw-" + runId + "-" + r;
            String rollout = "ro-" + runId + "-" + r;
            String compliant = "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '"
                    + version + "'";
            ObjectNode body = JSON.createObjectNode();
            body.put("targetCondition", "tags.building = 'b-" + building + "'");
            body.put("priority", 20);
            body.put("staged", true);
            body.putObject("content").putObject("deviceContent").putObject("properties.desired.firmware")
                    .put("version", version);
            body.putObject("metrics").putObject("queries").put("compliant", compliant);
            HttpResponse<String> put = send("PUT", "/configurations/" + configuration, body.toString());
            if (put.statusCode() != 201) {
                throw new IllegalStateException("PUT configuration: " + put.statusCode() + " " + put.body());
            }
            List<Double> percents = List.of(50.0, 100.0);
            PhaseMembership membership = new PhaseMembership(rollout, percents);
            List<List<String>> phases = List.of(new ArrayList<>(), new ArrayList<>());
            members.forEach(id -> phases.get(membership.phaseOf(id)).add(id));
            ObjectNode spec = JSON.createObjectNode();
            spec.put("id", rollout);
            spec.put("configurationId", configuration);
            spec.putArray("phases").add(JSON.createObjectNode().put("name", "half").put("percent", 50.0))
                    .add(JSON.createObjectNode().put("name", "all").put("percent", 100.0));
            spec.putObject("success").put("metric", "compliant").put("minPercent", 95).put("soakSeconds", 0);
            spec.putObject("failure").put("reportedCondition", "properties.reported.firmware.state = 'Error'")
                    .put("maxPercent", 5);
            spec.put("onFailure", "pause");
            spec.put("phaseTimeoutSeconds", 1800);
            long postStart = System.nanoTime();
            HttpResponse<String> started = send("POST", "/rollouts", spec.toString());
            if (started.statusCode() != 201) {
                throw new IllegalStateException("POST /rollouts: " + started.statusCode() + " " + started.body());
            }
            System.out.printf("%nrollout %s on building b-%d: %d twins, %d in phase 0, %d in phase 1%n", rollout,
                    building, members.size(), phases.get(0).size(), phases.get(1).size());
            for (int phase = 0; phase < 2; phase++) {
                int admitted = phase == 0 ? phases.get(0).size() : members.size();
                int expectedPhase = phases.get(phase).size();
                final int p = phase;
                long waitStart = System.nanoTime();
                awaitRollout(rollout, doc -> doc.path("phases").get(p).path("targeted").asLong() == expectedPhase
                        && doc.path("phases").get(p).path("applied").asLong() == expectedPhase, 600);
                System.out.printf("  phase %d: %d twins shown applied %.1f s after %s%n", phase, expectedPhase,
                        (System.nanoTime() - (phase == 0 ? postStart : waitStart)) / 1e9,
                        phase == 0 ? "POST /rollouts" : "the decision was seen");
                // the monitor has seen the applied counts; nothing else is going on
                awaitProcessors(600);
                Cpu.Use quiet = Cpu.awaitQuiet(QUIET_WAIT);
                // The devices start at a random point of the monitor's cycle (waiting for the applied count above
                // ties this moment to the monitor's last look).
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(600));
                int alreadyCompliant = phase == 0 ? 0 : phases.get(0).size();
                int needed = (int) Math.ceil(0.95 * admitted) - alreadyCompliant;
                String decision = phase == 0 ? "phaseStarted" : "completed";
                Cpu cpu = Cpu.now();
                Latency latency = report(rollout, phases.get(phase), version, needed, decision, phase);
                Cpu.Use use = cpu.since();
                System.out.printf("  (before: other processes %.0f%% of the machine; during: machine busy %.0f%%,"
                        + " other processes %.0f%%)%n", quiet.others() * 100, use.busy() * 100, use.others() * 100);
                results.add(latency);
                System.out.printf("  %s: metric crossed (report %d of %d committed) at +0, report event time %+d ms,"
                                + " projection showed it %+d ms, monitor observed %+d ms, decision %+d ms%n", decision,
                        needed, phases.get(phase).size(), latency.reportEventMs - latency.crossingMs,
                        latency.visibleMs - latency.crossingMs, latency.observedMs - latency.crossingMs,
                        latency.total());
            }
            awaitRollout(rollout, doc -> doc.path("status").asText().equals("completed"), 60);
            // What one monitor look at this rollout costs now: its CountConfigurationTwins, as the monitor sends it.
            Map<String, String> conditions = new LinkedHashMap<>();
            conditions.put("targeted", null);
            conditions.put("applied", "configurations.[[" + configuration + "]].status IN ['Applied', 'Error']");
            conditions.put("succeeded", compliant);
            conditions.put("failed", "properties.reported.firmware.state = 'Error'");
            for (int i = 0; i < 7; i++) {
                long s = System.nanoTime();
                queries.query(new CountConfigurationTwins(configuration, rollout, conditions),
                        ResponseTypes.instanceOf(ConfigurationTwinCounts.class)).join();
                if (i >= 2) {
                    countMillis.add((System.nanoTime() - s) / 1e6);
                }
            }
        }
        summary.add("");
        summary.add("| rollout | decision | reports needed | report event | projection shows it | monitor observes |"
                + " decision | latency ms |");
        summary.add("|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < results.size(); i++) {
            Latency l = results.get(i);
            summary.add(String.format("| %d | %s | %d | %+d | %+d | %+d | %+d | %d |", i / 2 + 1, l.decision,
                    l.needed, l.reportEventMs - l.crossingMs, l.visibleMs - l.crossingMs,
                    l.observedMs - l.crossingMs, l.total(), l.total()));
        }
        for (String decision : List.of("phaseStarted", "completed")) {
            long[] totals = results.stream().filter(l -> l.decision.equals(decision)).mapToLong(Latency::total)
                    .sorted().toArray();
            long[] visible = results.stream().filter(l -> l.decision.equals(decision))
                    .mapToLong(l -> l.visibleMs - l.crossingMs).sorted().toArray();
            long[] monitor = results.stream().filter(l -> l.decision.equals(decision))
                    .mapToLong(l -> l.observedMs - l.visibleMs).sorted().toArray();
            long[] saga = results.stream().filter(l -> l.decision.equals(decision))
                    .mapToLong(l -> l.decidedMs - l.observedMs).sorted().toArray();
            summary.add(String.format("%s: latencies %s ms, median %d, max %d; parts (median): projection %d ms,"
                            + " projection to observation %d ms, observation to decision %d ms", decision,
                    Arrays.toString(totals), median(totals), totals.length == 0 ? 0 : totals[totals.length - 1],
                    median(visible), median(monitor), median(saga)));
        }
        double[] counts = countMillis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        summary.add(String.format("one monitor look (CountConfigurationTwins of 4 conditions, fleet of %,d): median"
                + " %.1f ms, max %.1f ms over %d runs", TWINS, counts[counts.length / 2], counts[counts.length - 1],
                counts.length));
    }

    /**
     * Plays the devices of {@code ids}: each reports the configuration's firmware, as fast as the command path takes
     * them. Answers when each step of the decision happened, in epoch milliseconds.
     */
    private Latency report(String rollout, List<String> ids, String version, int needed, String decision, int phase)
            throws Exception {
        long before = head();
        List<long[]> tokenSamples = new ArrayList<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement s = c.prepareStatement("SELECT convert_from(token, 'UTF8') FROM token_entry"
                         + " WHERE processor_name IN ('twin-state', 'twin-current')")) {
                while (sampling.get()) {
                    long min = Long.MAX_VALUE;
                    try (var rs = s.executeQuery()) {
                        while (rs.next()) {
                            min = Math.min(min, minIndex(rs.getString(1)));
                        }
                    }
                    synchronized (tokenSamples) {
                        tokenSamples.add(new long[]{System.currentTimeMillis(), min});
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                System.out.println("token sampler: " + e);
            }
        }, "token-sampler");
        sampler.start();
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.putObject("firmware").put("version", version);
        long[] done = new long[ids.size()];
        BenchSupport.parallel(REPORT_THREADS, ids.size(), i -> {
            commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                    new PatchReportedProperties(ids.get(i), patch, null))
                    .andMetaData(BenchSupport.audit(Channel.DEVICE).toMap()));
            done[i] = System.currentTimeMillis();
        });
        long[] sorted = done.clone();
        Arrays.sort(sorted);
        long crossing = sorted[needed - 1];
        JsonNode doc = awaitRollout(rollout, d -> decisionTime(d, decision, 1) != null, 120);
        long decided = decisionTime(doc, decision, 1).toEpochMilli();
        Thread.sleep(200);
        sampling.set(false);
        sampler.join();
        System.out.printf("  %d reports in %d ms%n", ids.size(), sorted[sorted.length - 1] - sorted[0]);

        // The crossing report's event: the needed-th of these reports in store order.
        List<long[]> events = jdbc.query("SELECT global_index, time_stamp FROM domain_event_entry"
                        + " WHERE global_index > ? AND payload_type = ? ORDER BY global_index",
                (rs, n) -> new long[]{rs.getLong(1), Instant.parse(rs.getString(2)).toEpochMilli()}, before, REPORTED);
        long[] crossingEvent = events.get(needed - 1);
        long visible = -1;
        synchronized (tokenSamples) {
            for (long[] sample : tokenSamples) {
                if (sample[1] >= crossingEvent[0]) {
                    visible = sample[0];
                    break;
                }
            }
        }
        // The monitor's first observation that counts enough compliant twins.
        long observed = -1;
        int admittedPhases = phase;
        for (Map<String, Object> row : jdbc.queryForList("SELECT time_stamp, convert_from(payload, 'UTF8') AS p"
                + " FROM domain_event_entry WHERE global_index > ? AND payload_type = ? ORDER BY global_index",
                before, OBSERVED)) {
            JsonNode payload = JSON.readTree((String) row.get("p"));
            if (!rollout.equals(payload.path("rolloutId").asText())) {
                continue;
            }
            long succeeded = 0;
            long targeted = 0;
            for (int p = 0; p <= admittedPhases; p++) {
                succeeded += payload.path("phases").path(String.valueOf(p)).path("succeeded").asLong();
                targeted += payload.path("phases").path(String.valueOf(p)).path("targeted").asLong();
            }
            if (targeted > 0 && succeeded * 100.0 / targeted >= 95) {
                observed = Instant.parse((String) row.get("time_stamp")).toEpochMilli();
                break;
            }
        }
        return new Latency(decision, crossing, crossingEvent[1], visible, observed, decided, ids.size(), needed);
    }

    /** The time of the rollout's first decision of that kind (for phaseStarted: into phase {@code phase}). */
    private static Instant decisionTime(JsonNode rollout, String decision, int phase) {
        for (JsonNode d : rollout.path("decisions")) {
            if (d.path("decision").asText().equals(decision)
                    && (!decision.equals("phaseStarted") || d.path("phase").asInt() == phase)) {
                return Instant.parse(d.path("time").asText());
            }
        }
        return null;
    }

    private JsonNode awaitRollout(String id, java.util.function.Predicate<JsonNode> until, int seconds)
            throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = JSON.readTree(send("GET", "/rollouts/" + id, null).body());
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("rollout " + id + " did not get there in " + seconds + " s; last: " + last);
    }

    // --- raw JDBC --------------------------------------------------------------------------------------------------

    private record Raw(long rows, double seconds, double cpuBusy) {
        double perSecond() {
            return rows / seconds;
        }
    }

    /** Plain JDBC: {@code rows} durable single-row transactions from {@code threads} threads, event-shaped rows. */
    private Raw rawInserts(long rows, int threads) throws Exception {
        BenchSupport.createRawEventTable(jdbc);
        byte[] meta = BenchSupport.audit(Channel.CONFIGURATION).toMap().toString().getBytes();
        byte[] payload = ("{\"twinId\":\"cb-000000\",\"statuses\":{\"bench\":{\"status\":\"Applied\"}},"
                + "\"desired\":{\"benchkey\":\"configured\"},\"desiredVersion\":3,\"version\":4}").getBytes();
        AtomicLong next = new AtomicLong();
        awaitProcessors(1800);
        Cpu.awaitQuiet(QUIET_WAIT);
        Cpu cpu = Cpu.now();
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try (Connection connection = dataSource.getConnection();
                     PreparedStatement insert = connection.prepareStatement(BenchSupport.RAW_INSERT)) {
                    connection.setAutoCommit(true);
                    long i;
                    while ((i = next.getAndIncrement()) < rows) {
                        BenchSupport.bindRawEvent(insert, i, meta, payload, APPLIED);
                        insert.executeUpdate();
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Cpu.Use use = cpu.since();
        jdbc.execute("DROP TABLE bench_raw_insert");
        System.out.printf("%nraw JDBC: %,d single-row inserts (%d threads) in %.1f s = %.0f/s; machine busy %.0f%%,"
                + " other processes %.0f%%%n", rows, threads, seconds, rows / seconds, use.busy() * 100,
                use.others() * 100);
        return new Raw(rows, seconds, use.busy());
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private long head() {
        Long head = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
        return head == null ? 0 : head;
    }

    /** Whether the current-state projection (every segment) has processed the event store up to {@code index}. */
    private boolean tokensReach(long index) {
        String tokens = jdbc.queryForObject("SELECT string_agg(convert_from(token, 'UTF8'), ',') FROM token_entry"
                + " WHERE processor_name IN ('twin-state', 'twin-current')", String.class);
        return tokens != null && BenchSupport.tokensReach(tokens, index);
    }

    /**
     * Waits until every event processor (each segment) has handled the whole event store, as on a platform that has
     * been quiet for a while: a timed phase then does not start behind the previous phase's backlog (the configuration
     * applier, for one, reads every twin event before it reaches the configuration).
     */
    private void awaitProcessors(int seconds) throws InterruptedException {
        long start = System.nanoTime();
        long head = head();
        String behind = null;
        while (System.nanoTime() - start < seconds * 1_000_000_000L) {
            behind = null;
            for (Map<String, Object> row : jdbc.queryForList("SELECT processor_name, segment,"
                    + " convert_from(token, 'UTF8') AS t FROM token_entry WHERE token IS NOT NULL")) {
                long index = minIndex((String) row.get("t"));
                if (index >= 0 && index < head) {
                    behind = row.get("processor_name") + " at " + index + " of " + head;
                }
            }
            if (behind == null) {
                if ((System.nanoTime() - start) / 1e9 > 1) {
                    System.out.printf("  every processor caught up with the store (waited %.1f s)%n",
                            (System.nanoTime() - start) / 1e9);
                }
                return;
            }
            Thread.sleep(200);
        }
        System.out.println("  WARNING: processors still behind after " + seconds + " s: " + behind);
    }

    private void awaitVisible(long index, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!tokensReach(index)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the projection did not reach " + index + " in " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    private static final Pattern INDEX = Pattern.compile("\"index\"\\s*:\\s*(\\d+)");

    private static long minIndex(String token) {
        Matcher m = INDEX.matcher(token == null ? "" : token);
        long min = Long.MAX_VALUE;
        while (m.find()) {
            min = Math.min(min, Long.parseLong(m.group(1)));
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    private static long median(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[(sorted.length - 1) / 2];
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = BenchSupport.request(URI.create("http://127.0.0.1:" + port + path));
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Machine-wide CPU from /proc/stat, and that of this benchmark's own processes (this JVM and its descendants, the
     * embedded PostgreSQL among them): how busy the two cores were, and how much of it was someone else's.
     */
    private record Cpu(long busyTicks, long totalTicks, long ownTicks) {

        static volatile String dataDirMarker;

        /** Shares of the machine (two cores = 1.0): all of it, and of other processes than ours. */
        record Use(double busy, double others) {
        }

        static Cpu now() {
            long own = ownNow();
            long[] ticks = ticks();
            return new Cpu(ticks[0], ticks[1], own);
        }

        Use since() {
            long ownAfter = ownNow();
            long[] ticks = ticks();
            long busy = ticks[0] - busyTicks;
            long total = ticks[1] - totalTicks;
            if (total <= 0) {
                return new Use(Double.NaN, Double.NaN);
            }
            long own = ownAfter - ownTicks;
            return new Use((double) busy / total, Math.max(0, (double) (busy - own) / total));
        }

        private static long[] ticks() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                return new long[]{total - idle, total};
            } catch (Exception e) {
                return new long[]{0, 0};
            }
        }

        /**
         * CPU ticks (10 ms) of this JVM and the embedded PostgreSQL (found by its data directory; pg_ctl leaves it to
         * init) with all their descendants, each with the children it has reaped: one pass over /proc.
         */
        private static long ownNow() {
            Map<Long, Long> parent = new java.util.HashMap<>();
            Map<Long, Long> ticks = new java.util.HashMap<>();
            java.util.Set<Long> roots = new java.util.HashSet<>();
            roots.add(ProcessHandle.current().pid());
            try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path dir : dirs) {
                    try {
                        long pid = Long.parseLong(dir.getFileName().toString());
                        String stat = Files.readString(dir.resolve("stat"));
                        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        // after the command: state, ppid, …; utime, stime, cutime, cstime are the 12th to 15th
                        parent.put(pid, Long.parseLong(f[1]));
                        ticks.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
                                + Long.parseLong(f[14]));
                        if (dataDirMarker != null && comm.equals("postgres")
                                && new String(Files.readAllBytes(dir.resolve("cmdline"))).contains(dataDirMarker)) {
                            roots.add(pid);
                        }
                    } catch (Exception e) {
                        // gone meanwhile
                    }
                }
            } catch (Exception e) {
                return 0;
            }
            long sum = 0;
            for (Map.Entry<Long, Long> entry : ticks.entrySet()) {
                long pid = entry.getKey();
                for (int depth = 0; depth < 20 && pid > 1; depth++) {
                    if (roots.contains(pid)) {
                        sum += entry.getValue();
                        break;
                    }
                    pid = parent.getOrDefault(pid, 0L);
                }
            }
            return sum;
        }

        /**
         * Waits up to {@code seconds} for a quiet machine (other processes than ours below 10% of it over 3 s), so a
         * timed phase does not start in the middle of someone else's build. Answers what the last window showed.
         */
        static Use awaitQuiet(int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            Use use;
            do {
                Cpu start = now();
                Thread.sleep(3000);
                use = start.since();
                if (use.others() < 0.10) {
                    return use;
                }
                System.out.printf("  waiting for a quiet machine: other processes take %.0f%% of it%n",
                        use.others() * 100);
            } while (System.nanoTime() < deadline);
            return use;
        }
    }
}
