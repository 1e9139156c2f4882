package io.twinplatform.bench;

import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
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
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The cost of the one read of a twin with its recent past ({@code GET /twins/{id}?include=history,telemetry,computed
 * &window=24h}, docs/api.md) over {@code bench.twins} twins (default 100,000), beside the plain {@code GET
 * /twins/{id}} in the same run.
 *
 * <p>Loads the fleet through the write path (one {@code PutTwin} and {@code bench.reports} reported patches per twin,
 * so each has a history), then telemetry rows straight into the telemetry table ({@code bench.samples} samples of two
 * series per twin over the last 24 hours, one JDBC batch per 10,000 rows) and one computed value per twin straight into
 * the computed read model (this measures the read, not the computing). Waits until every processor has drained, runs
 * {@code ANALYZE}, then reads random twins over HTTP, one client, sequentially, {@code bench.runs} times each way
 * after a warm-up, and prints p50/p95/p99 and the ratio. With {@code bench.data-dir} a second run skips the load.
 *
 * <p>Run: {@code ./mvnw -Pbench -DskipTests -pl deploy -am verify -Dbench.main=io.twinplatform.bench.RichTwinBenchmark}
 */
public final class RichTwinBenchmark {

    private static final int TWINS = Integer.getInteger("bench.twins", 100_000);
    private static final int REPORTS = Integer.getInteger("bench.reports", 2);
    private static final int SAMPLES = Integer.getInteger("bench.samples", 12);
    private static final int RUNS = Integer.getInteger("bench.runs", 2000);
    private static final String PREFIX = "rich";

    private RichTwinBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String configured = System.getProperty("bench.data-dir");
        Path dataDir = configured != null ? Path.of(configured) : Files.createTempDirectory("twin-rich-bench");
        try (ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of())) {
            run(app);
        }
    }

    private static void run(ConfigurableApplicationContext app) throws Exception {
        DataSource dataSource = app.getBean(DataSource.class);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        System.out.println(BenchSupport.machine(dataSource) + "; " + TWINS + " twins");
        Long loaded = jdbc.queryForObject("SELECT count(*) FROM computed_value WHERE name = 'benchMean'", Long.class);
        List<String> ids;
        if (loaded == null || loaded < TWINS) {
            ids = load(app, jdbc, dataSource);
        } else {
            ids = jdbc.queryForList("SELECT twin_id FROM computed_value WHERE name = 'benchMean' ORDER BY twin_id",
                    String.class);
            System.out.println("fleet kept from an earlier run");
        }
        jdbc.execute("ANALYZE");
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        HttpClient http = HttpClient.newHttpClient();
        Random random = new Random(11);
        String rich = "?include=history,telemetry,computed&window=24h";
        // warm-up: compile what both reads run
        measure(http, port, ids, random, "", RUNS / 4);
        measure(http, port, ids, random, rich, RUNS / 4);
        long[] plain = measure(http, port, ids, random, "", RUNS);
        long[] full = measure(http, port, ids, random, rich, RUNS);
        print("GET /twins/{id}", plain);
        print("GET /twins/{id}" + rich, full);
        System.out.printf(Locale.ROOT, "p99 ratio with include to without: %.2f%n",
                BenchSupport.at(full, 0.99) / (double) BenchSupport.at(plain, 0.99));
    }

    private static List<String> load(ConfigurableApplicationContext app, JdbcTemplate jdbc, DataSource dataSource)
            throws Exception {
        CommandGateway commands = app.getBean(CommandGateway.class);
        List<String> ids = BenchSupport.createDevices(commands, dataSource, PREFIX, TWINS);
        long started = System.nanoTime();
        BenchSupport.parallel(32, TWINS * REPORTS, i -> commands.sendAndWait(GenericCommandMessage
                .asCommandMessage(new PatchReportedProperties(ids.get(i % TWINS), BenchSupport.reported(i), null,
                        null))
                .andMetaData(BenchSupport.audit(Channel.DEVICE).toMap())));
        System.out.printf(Locale.ROOT, "reported %,d patches in %.1f s%n", TWINS * REPORTS,
                (System.nanoTime() - started) / 1e9);

        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        started = System.nanoTime();
        // The samples lie within the last 24 hours: the telemetry table's daily partitions exist from the start.
        List<Object[]> rows = new ArrayList<>();
        Random random = new Random(5);
        for (String id : ids) {
            for (int s = 0; s < SAMPLES; s++) {
                Timestamp ts = Timestamp.from(now.minus(Duration.ofMinutes(120L * s + 1)));
                rows.add(new Object[]{id, ts, "temperature", 15 + random.nextDouble() * 10});
                rows.add(new Object[]{id, ts, "humidity", 30 + random.nextDouble() * 40});
                if (rows.size() >= 10_000) {
                    insertTelemetry(jdbc, rows);
                }
            }
        }
        insertTelemetry(jdbc, rows);
        System.out.printf(Locale.ROOT, "stored %,d telemetry samples in %.1f s%n", (long) TWINS * SAMPLES * 2,
                (System.nanoTime() - started) / 1e9);

        jdbc.update("""
                INSERT INTO computed_definition (name, definition, version, created_at, updated_at, updated_by)
                VALUES ('benchMean', ?::jsonb, 1, now(), now(), 'bench') ON CONFLICT DO NOTHING""",
                "{\"targetCondition\":\"*\",\"function\":\"mean\",\"input\":\"telemetry.temperature\","
                        + "\"window\":\"PT24H\",\"minSamples\":1}");
        jdbc.update("""
                INSERT INTO computed_value (twin_id, name, value, detail, computed_at)
                SELECT twin_id, 'benchMean', avg(value), jsonb_build_object('function', 'mean', 'samples', count(*)),
                    max(ts)
                FROM telemetry WHERE name = 'temperature' AND twin_id LIKE ? GROUP BY twin_id
                ON CONFLICT DO NOTHING""", PREFIX + "-%");
        double drained = BenchSupport.awaitAllProcessors(dataSource, 900);
        System.out.printf(Locale.ROOT, "every processor drained %.1f s after the load%n", drained);
        return ids;
    }

    private static void insertTelemetry(JdbcTemplate jdbc, List<Object[]> rows) {
        if (!rows.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO telemetry (twin_id, ts, name, value) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING", rows);
            rows.clear();
        }
    }

    private static long[] measure(HttpClient http, int port, List<String> ids, Random random, String query, int runs)
            throws Exception {
        long[] micros = new long[runs];
        for (int i = 0; i < runs; i++) {
            String id = ids.get(random.nextInt(ids.size()));
            HttpRequest request = BenchSupport.request(URI.create("http://127.0.0.1:" + port + "/twins/" + id + query))
                    .GET().build();
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            micros[i] = (System.nanoTime() - start) / 1000;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + request.uri() + " answered " + response.statusCode() + ": "
                        + response.body());
            }
        }
        Arrays.sort(micros);
        return micros;
    }

    private static void print(String what, long[] sorted) {
        System.out.printf(Locale.ROOT, "%-70s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  (%d reads)%n", what,
                BenchSupport.at(sorted, 0.50) / 1000.0, BenchSupport.at(sorted, 0.95) / 1000.0,
                BenchSupport.at(sorted, 0.99) / 1000.0, sorted.length);
    }
}
