package io.twinplatform.bench;

import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Does one flooding caller leave another caller's latency alone? A quiet caller (its own key) reads one twin
 * {@code bench.quiet-rate} times a second on a fixed schedule (latency counted from the scheduled time, so waiting
 * behind the flood counts); a flooder (another key) reads it from {@code bench.flood-threads} threads as fast as
 * answers come, 429s included. Three phases of {@code bench.seconds}: quiet alone, quiet with the flood under the
 * per-caller limit ({@code bench.limit} requests a second, bursts as large), and then, on a platform started again
 * with no effective limit, quiet with the same flood. Each phase is measured after {@value #WARM_UP} s of the same
 * load, so that the code it runs is compiled before it is counted. Prints the quiet caller's p50/p99 in each phase,
 * the flooder's answers by status, and the ratio of p99 under flood to quiet. Run: {@code ./mvnw -Pbench
 * -DskipTests -pl deploy -am verify -Dbench.main=io.twinplatform.bench.ThrottleBenchmark}.
 */
public final class ThrottleBenchmark {

    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int LIMIT = Integer.getInteger("bench.limit", 100);
    private static final int QUIET_RATE = Integer.getInteger("bench.quiet-rate", 20);
    private static final int FLOOD_THREADS = Integer.getInteger("bench.flood-threads", 8);
    /** Seconds of each kind of load before it is measured, so that what it runs is compiled (JIT) when counted. */
    private static final int WARM_UP = 5;

    private ThrottleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("machine: %d cores, Java %s; limit %d requests/s per caller; quiet caller %d/s; flooder %d"
                        + " threads; %d s phases%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), LIMIT, QUIET_RATE, FLOOD_THREADS, SECONDS);
        double[] quiet;
        double[] limited;
        double[] unlimited;
        long[] floodLimited;
        long[] floodUnlimited;
        Path dataDir = Files.createTempDirectory("twin-bench-throttle");
        try (ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of(
                "twin.security.rate-limit.requests-per-second", String.valueOf(LIMIT),
                "twin.security.rate-limit.burst", String.valueOf(LIMIT)))) {
            Setup setup = setup(app);
            phase(setup, false, WARM_UP);
            quiet = phase(setup, false, SECONDS).quiet;
            phase(setup, true, WARM_UP);
            Phase flood = phase(setup, true, SECONDS);
            limited = flood.quiet;
            floodLimited = flood.flood;
        } finally {
            BenchSupport.deleteRecursively(dataDir);
        }
        dataDir = Files.createTempDirectory("twin-bench-throttle");
        try (ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of(
                "twin.security.rate-limit.requests-per-second", "1000000000",
                "twin.security.rate-limit.burst", "1000000000"))) {
            Setup setup = setup(app);
            phase(setup, false, WARM_UP);
            phase(setup, true, WARM_UP);
            Phase flood = phase(setup, true, SECONDS);
            unlimited = flood.quiet;
            floodUnlimited = flood.flood;
        } finally {
            BenchSupport.deleteRecursively(dataDir);
        }
        System.out.println();
        System.out.println("| phase | quiet caller p50 ms | quiet caller p99 ms | p99 / quiet p99 | flooder 200/s |"
                + " flooder 429/s |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf("| quiet alone | %.2f | %.2f | 1.00 | - | - |%n", quiet[0], quiet[1]);
        System.out.printf("| flood, limit %d/s | %.2f | %.2f | %.2f | %.0f | %.0f |%n", LIMIT, limited[0], limited[1],
                limited[1] / quiet[1], floodLimited[0] / (double) SECONDS, floodLimited[1] / (double) SECONDS);
        System.out.printf("| flood, no limit | %.2f | %.2f | %.2f | %.0f | %.0f |%n", unlimited[0], unlimited[1],
                unlimited[1] / quiet[1], floodUnlimited[0] / (double) SECONDS, floodUnlimited[1] / (double) SECONDS);
    }

    private record Setup(HttpClient http, URI twin, String quietKey, String floodKey) {
    }

    private record Phase(double[] quiet, long[] flood) {
    }

    private static Setup setup(ConfigurableApplicationContext app) throws Exception {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://127.0.0.1:" + port;
        URI twin = URI.create(base + "/twins/throttle-bench");
        send(http, BenchSupport.request(twin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"tags\":{\"site\":\"a\"}}")).build(), 201);
        return new Setup(http, twin, key(http, base, "quiet"), key(http, base, "flooder"));
    }

    private static String key(HttpClient http, String base, String name) throws Exception {
        String body = send(http, BenchSupport.request(URI.create(base + "/admin/keys"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"roles\":[\"viewer\"]}"))
                .build(), 201);
        int at = body.indexOf("\"key\":\"") + 7;
        return body.substring(at, body.indexOf('"', at));
    }

    private static String send(HttpClient http, HttpRequest request, int expected) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body();
    }

    /** Quiet caller p50 and p99 (ms); flooder answers {200s, 429s}. */
    private static Phase phase(Setup setup, boolean flood, int seconds) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        AtomicLong throttled = new AtomicLong();
        ExecutorService flooders = Executors.newFixedThreadPool(FLOOD_THREADS, task -> {
            Thread thread = new Thread(task, "throttle-bench-flooder");
            thread.setDaemon(true);
            return thread;
        });
        if (flood) {
            HttpRequest request = HttpRequest.newBuilder(setup.twin())
                    .header("Authorization", "Bearer " + setup.floodKey()).GET().build();
            for (int t = 0; t < FLOOD_THREADS; t++) {
                flooders.submit(() -> {
                    while (!stop.get()) {
                        try {
                            int status = setup.http().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                            (status == 429 ? throttled : ok).incrementAndGet();
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
            }
        }
        HttpRequest quiet = HttpRequest.newBuilder(setup.twin())
                .header("Authorization", "Bearer " + setup.quietKey()).GET().build();
        long interval = 1_000_000_000L / QUIET_RATE;
        int count = seconds * QUIET_RATE;
        long[] latencies = new long[count];
        long start = System.nanoTime();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int status = setup.http().send(quiet, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                statuses.add(status);
            }
            latencies[i] = System.nanoTime() - due;
        }
        stop.set(true);
        flooders.shutdown();
        if (!statuses.isEmpty()) {
            throw new IllegalStateException("the quiet caller got " + statuses);
        }
        Arrays.sort(latencies);
        return new Phase(new double[]{latencies[count / 2] / 1e6, latencies[(int) (count * 0.99)] / 1e6},
                new long[]{ok.get(), throttled.get()});
    }
}
