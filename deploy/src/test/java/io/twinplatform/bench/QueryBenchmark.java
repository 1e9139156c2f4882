package io.twinplatform.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Fleet query latency over {@code bench.twins} (default 100,000) device twins, against hand-written SQL of the same
 * answer on the same PostgreSQL in the same run.
 *
 * <p>Loads the fleet through the write path (the command gateway: one {@link PutTwin} and one
 * {@link PatchReportedProperties} per twin, {@code bench.threads} threads), waits for the projection, runs
 * {@code ANALYZE}, then times each query over HTTP ({@code POST /query}, one client, sequential, after a warm-up)
 * and its raw SQL twin over plain JDBC, printing p50/p95 of each and their ratio. The fields in
 * {@code bench.indexed-fields} (default the reported temperature; {@code -Dbench.indexed-fields=} for none) get an
 * expression index, as {@code twin.query.indexed-fields} would give them. With {@code bench.data-dir} the
 * platform keeps its data there and a second run skips the load.
 *
 * <p>Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.QueryBenchmark -DskipTests -pl deploy -am verify}
 */
public final class QueryBenchmark {

    private static final int TWINS = Integer.getInteger("bench.twins", 100_000);
    private static final int THREADS = Integer.getInteger("bench.threads", 32);
    private static final int RUNS = Integer.getInteger("bench.runs", 200);
    private static final int BUILDINGS = TWINS / 100;
    /** Fields given an expression index ({@code twin.query.indexed-fields}); empty for none. */
    private static final String INDEXED = System.getProperty("bench.indexed-fields", "properties.reported.temperature");
    private static final String[] TYPES = {"thermostat", "meter", "valve", "pump", "camera", "gateway", "lock",
            "sensor", "light", "hvac"};
    private static final String[] ENVIRONMENTS = {"prod", "staging", "dev"};

    private QueryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String configured = System.getProperty("bench.data-dir");
        Path dataDir = configured != null ? Path.of(configured) : Files.createTempDirectory("twin-query-bench");
        ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of("twin.query.indexed-fields", INDEXED));
        try {
            run(app);
        } finally {
            app.close();
        }
    }

    private static void run(ConfigurableApplicationContext app) throws Exception {
        DataSource dataSource = app.getBean(DataSource.class);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        System.out.printf("machine: %d cores, %s, Java %s; %d twins%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("java.version"), TWINS);
        Long loaded = jdbc.queryForObject(
                "SELECT count(*) FROM twin_document WHERE NOT deleted AND fields @> '{\"tags\":{\"fleet\":\"qbench\"}}'",
                Long.class);
        if (loaded == null || loaded < TWINS) {
            load(app.getBean(CommandGateway.class), dataSource);
        } else {
            System.out.printf("fleet already loaded: %d twins%n", loaded);
        }
        jdbc.execute("ANALYZE twin_document");
        System.out.printf("twin_document: %s rows, %s in all, %s in the row pages (documents average %s bytes,"
                        + " their fields column %s bytes)%n",
                jdbc.queryForObject("SELECT count(*) FROM twin_document", Long.class),
                jdbc.queryForObject("SELECT pg_size_pretty(pg_total_relation_size('twin_document'))", String.class),
                jdbc.queryForObject("SELECT pg_size_pretty(pg_relation_size('twin_document'))", String.class),
                jdbc.queryForObject("SELECT avg(pg_column_size(document))::int FROM twin_document", Integer.class),
                jdbc.queryForObject("SELECT avg(pg_column_size(fields))::int FROM twin_document", Integer.class));

        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ObjectMapper json = new ObjectMapper();
        Random random = new Random(7);

        Map<String, Case> cases = new LinkedHashMap<>();
        cases.put("selective tag equality (100 twins)", new Case(
                i -> "SELECT * FROM devices WHERE tags.location.building = 'b-" + random.nextInt(BUILDINGS) + "'",
                i -> "SELECT document::text FROM twin_document WHERE fields @> '{\"tags\":{\"location\":{\"building\":\"b-"
                        + random.nextInt(BUILDINGS) + "\"}}}' AND NOT deleted AND module_id IS NULL", 1000));
        cases.put("range on a reported number (~0.5%)", new Case(
                i -> "SELECT deviceId FROM devices WHERE properties.reported.temperature > " + (99.5 - random.nextInt(5) * 0.01),
                i -> "SELECT device_id FROM twin_document WHERE fields['properties']['reported']['temperature'] > '"
                        + (99.5 - random.nextInt(5) * 0.01) + "'::jsonb AND jsonb_typeof(fields['properties']['reported']['temperature']) = 'number'"
                        + " AND NOT deleted AND module_id IS NULL", 1000));
        cases.put("IN list of 10 buildings (1,000 twins)", new Case(
                i -> "SELECT deviceId FROM devices WHERE tags.location.building IN [" + buildings(random) + "]",
                i -> "SELECT device_id FROM twin_document WHERE fields['tags']['location']['building'] IN ("
                        + buildings(random).replace("'b-", "'\"b-").replace("',", "\"',").replaceAll("'$", "\"'")
                        + ") AND NOT deleted AND module_id IS NULL", 1000));
        cases.put("GROUP BY firmware over the whole fleet", new Case(
                i -> "SELECT properties.reported.firmware.version AS firmware, COUNT() AS n FROM devices"
                        + " GROUP BY properties.reported.firmware.version",
                i -> "SELECT fields['properties']['reported']['firmware']['version'], count(*) FROM twin_document"
                        + " WHERE NOT deleted AND module_id IS NULL GROUP BY 1", 1000));
        cases.put("GROUP BY type and environment, COUNT and AVG", new Case(
                i -> "SELECT tags.deviceType, tags.environment, COUNT() AS n, AVG(properties.reported.temperature) AS t"
                        + " FROM devices GROUP BY tags.deviceType, tags.environment",
                i -> "SELECT fields['tags']['deviceType'], fields['tags']['environment'], count(*),"
                        + " avg(fields['properties']['reported']['temperature']::numeric) FROM twin_document"
                        + " WHERE NOT deleted AND module_id IS NULL GROUP BY 1, 2", 1000));

        System.out.println();
        System.out.println("| query | runs | p50 ms | p95 ms | raw SQL p50 ms | raw SQL p95 ms | ratio p95 |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Map.Entry<String, Case> entry : cases.entrySet()) {
            Case c = entry.getValue();
            int runs = entry.getKey().startsWith("GROUP") ? Math.max(20, RUNS / 4) : RUNS;
            for (int i = 0; i < 10; i++) {
                send(http, json, port, c.query.apply(i), c.pageSize, null);
                jdbc.queryForList(c.raw.apply(i));
            }
            long[] ours = new long[runs];
            long[] raw = new long[runs];
            for (int i = 0; i < runs; i++) {
                String text = c.query.apply(i);
                long start = System.nanoTime();
                send(http, json, port, text, c.pageSize, null);
                ours[i] = System.nanoTime() - start;
                String sql = c.raw.apply(i);
                start = System.nanoTime();
                jdbc.queryForList(sql);
                raw[i] = System.nanoTime() - start;
            }
            Arrays.sort(ours);
            Arrays.sort(raw);
            System.out.printf("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f |%n", entry.getKey(), runs,
                    BenchSupport.at(ours, 0.5) / 1e6, BenchSupport.at(ours, 0.95) / 1e6,
                    BenchSupport.at(raw, 0.5) / 1e6, BenchSupport.at(raw, 0.95) / 1e6,
                    (double) BenchSupport.at(ours, 0.95) / BenchSupport.at(raw, 0.95));
        }
        pageThroughEverything(http, json, port, jdbc);
    }

    private record Case(IntFunction<String> query, IntFunction<String> raw, int pageSize) {
    }

    /** Every device twin's id, 1,000 per page, by continuation token; against the same keyset paging in raw SQL. */
    private static void pageThroughEverything(HttpClient http, ObjectMapper json, int port, JdbcTemplate jdbc)
            throws Exception {
        List<Long> pages = new ArrayList<>();
        long total = 0;
        long start = System.nanoTime();
        String token = null;
        do {
            long pageStart = System.nanoTime();
            JsonNode page = query(http, json, port, "SELECT deviceId FROM devices", 1000, token);
            pages.add(System.nanoTime() - pageStart);
            total += page.get("items").size();
            token = page.get("continuationToken").isNull() ? null : page.get("continuationToken").asText();
        } while (token != null);
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Long> rawPages = new ArrayList<>();
        long rawStart = System.nanoTime();
        String last = "";
        while (true) {
            long pageStart = System.nanoTime();
            List<String> ids = jdbc.queryForList("SELECT twin_id FROM twin_document WHERE NOT deleted AND module_id IS NULL"
                    + " AND twin_id > ? ORDER BY twin_id LIMIT 1000", String.class, last);
            rawPages.add(System.nanoTime() - pageStart);
            if (ids.isEmpty()) {
                break;
            }
            last = ids.get(ids.size() - 1);
        }
        double rawSeconds = (System.nanoTime() - rawStart) / 1e9;
        long[] sorted = pages.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] rawSorted = rawPages.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("| paging through everything (%d twins, %d pages of 1,000) | %d | %.1f | %.1f | %.1f | %.1f | %.2f |%n",
                total, pages.size(), pages.size(), BenchSupport.at(sorted, 0.5) / 1e6, BenchSupport.at(sorted, 0.95) / 1e6,
                BenchSupport.at(rawSorted, 0.5) / 1e6, BenchSupport.at(rawSorted, 0.95) / 1e6,
                (double) BenchSupport.at(sorted, 0.95) / BenchSupport.at(rawSorted, 0.95));
        System.out.printf("paging through everything: %.2f s in all (raw keyset SQL: %.2f s)%n", seconds, rawSeconds);
    }

    private static JsonNode query(HttpClient http, ObjectMapper json, int port, String text, int pageSize,
                                  String token) throws Exception {
        return json.readTree(send(http, json, port, text, pageSize, token));
    }

    /** The response body as received: timed runs do not parse it, as the raw SQL side does not either. */
    private static String send(HttpClient http, ObjectMapper json, int port, String text, int pageSize,
                               String token) throws Exception {
        ObjectNode body = json.createObjectNode().put("query", text).put("pageSize", pageSize)
                .put("continuationToken", token);
        HttpRequest request = BenchSupport.request(URI.create("http://127.0.0.1:" + port + "/query"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + " for " + text + ": " + response.body());
        }
        return response.body();
    }

    private static String buildings(Random random) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            list.append(i == 0 ? "" : ", ").append("'b-").append(random.nextInt(BUILDINGS)).append('\'');
        }
        return list.toString();
    }

    private static void load(CommandGateway commands, DataSource dataSource) throws Exception {
        long start = System.nanoTime();
        BenchSupport.parallel(THREADS, TWINS, i -> {
            String twinId = "q-" + String.format("%06d", i);
            Random random = new Random(i);
            commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                    new PutTwin(twinId, tags(i, random), desired(random), null, false))
                    .andMetaData(BenchSupport.audit(Channel.API).toMap()));
            commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                    new PatchReportedProperties(twinId, reported(random), null))
                    .andMetaData(BenchSupport.audit(Channel.DEVICE).toMap()));
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("load: %d twins (%d commands) in %.1f s = %.0f commands/s%n", TWINS, 2 * TWINS, seconds,
                2 * TWINS / seconds);
        long drain = System.nanoTime();
        BenchSupport.awaitProjection(dataSource, 1800);
        System.out.printf("load: projection caught up %.1f s after the last command%n", (System.nanoTime() - drain) / 1e9);
    }

    private static ObjectNode tags(int i, Random random) {
        ObjectNode tags = JsonNodeFactory.instance.objectNode();
        tags.put("fleet", "qbench");
        tags.put("deviceType", TYPES[random.nextInt(TYPES.length)]);
        tags.put("environment", ENVIRONMENTS[random.nextInt(ENVIRONMENTS.length)]);
        ObjectNode location = tags.putObject("location");
        location.put("building", "b-" + (i % BUILDINGS));
        location.put("floor", random.nextInt(20));
        return tags;
    }

    private static ObjectNode desired(Random random) {
        ObjectNode desired = JsonNodeFactory.instance.objectNode();
        desired.putObject("telemetryConfig").put("sendFrequency", (1 + random.nextInt(10)) + "m");
        desired.putObject("firmware").put("version", "2." + random.nextInt(5));
        return desired;
    }

    private static ObjectNode reported(Random random) {
        ObjectNode reported = JsonNodeFactory.instance.objectNode();
        reported.put("temperature", Math.round(random.nextDouble() * 10000) / 100.0);
        reported.putObject("firmware").put("version", "2." + random.nextInt(5)).put("state", "Current");
        reported.putObject("telemetryConfig").put("status", random.nextInt(50) == 0 ? "Error" : "Success");
        return reported;
    }
}
