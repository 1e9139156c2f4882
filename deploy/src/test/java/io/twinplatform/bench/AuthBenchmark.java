package io.twinplatform.bench;

import io.twinplatform.deploy.TestIssuer;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.lang.management.ManagementFactory;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What authentication costs a request. The same request, {@code GET /actuator/health/liveness} (it answers anyone,
 * and authenticates whatever credential comes with it), is sent without credentials, with an API key and with an
 * OAuth2 JWT (RS256, from an issuer this program runs), in alternating rounds of {@code bench.seconds} each, from
 * {@code bench.threads} client threads in this JVM (the per-caller rate limit raised out of the way). Per variant: requests/s, p50 and p99, and the CPU of this whole
 * process per request, each round and in a table of the last round (the earlier ones warm the JIT up); the difference
 * to the variant without credentials is what the check costs. Run:
 * {@code ./mvnw -Pbench -DskipTests -pl deploy -am verify -Dbench.main=io.twinplatform.bench.AuthBenchmark}.
 */
public final class AuthBenchmark {

    private static final int SECONDS = Integer.getInteger("bench.seconds", 10);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int THREADS = Integer.getInteger("bench.threads", 8);

    private AuthBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Files.createTempDirectory("twin-bench-auth");
        // The rate limit is raised out of the way: this measures what checking a credential costs, not the limit.
        try (TestIssuer issuer = TestIssuer.start();
             ConfigurableApplicationContext app = BenchSupport.start(dataDir, Map.of(
                "twin.security.jwt.issuer-uri", issuer.issuer(),
                "twin.security.jwt.jwk-set-uri", issuer.jwkSetUri(),
                "twin.security.jwt.audience", TestIssuer.AUDIENCE,
                "twin.security.rate-limit.requests-per-second", "1000000000",
                "twin.security.rate-limit.burst", "1000000000"))) {
            int port = ((WebServerApplicationContext) app).getWebServer().getPort();
            URI uri = URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness");
            String key = Files.readString(dataDir.resolve("admin-key")).trim();
            Map<String, String> variants = new LinkedHashMap<>();
            variants.put("no credentials", null);
            variants.put("API key", "Bearer " + key);
            variants.put("JWT", "Bearer " + issuer.token("bench", List.of("viewer")));
            System.out.printf("machine: %d cores, Java %s; %d client threads, %d rounds of %d s per variant%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), THREADS, ROUNDS,
                    SECONDS);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String authorization : variants.values()) {
                run(http, uri, authorization, 5);
            }
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            for (int round = 0; round < ROUNDS; round++) {
                for (Map.Entry<String, String> variant : variants.entrySet()) {
                    double[] result = run(http, uri, variant.getValue(), SECONDS);
                    results.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(result);
                    System.out.printf("round %d, %s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, %.0f µs CPU per"
                            + " request%n", round + 1, variant.getKey(), result[0], result[1], result[2], result[3]);
                }
            }
            // The last round: the earlier ones still warm the JIT up (all variants get cheaper round after round).
            System.out.println();
            System.out.println("| variant (last round) | requests/s | p50 ms | p99 ms | CPU µs per request (whole JVM) |"
                    + " CPU µs over no credentials |");
            System.out.println("|---|---|---|---|---|---|");
            double base = last(results.get("no credentials"))[3];
            for (Map.Entry<String, List<double[]>> entry : results.entrySet()) {
                double[] last = last(entry.getValue());
                System.out.printf("| %s | %.0f | %.2f | %.2f | %.0f | %+.0f |%n", entry.getKey(), last[0], last[1],
                        last[2], last[3], last[3] - base);
            }
        } finally {
            BenchSupport.deleteRecursively(dataDir);
        }
    }

    private static double[] last(List<double[]> rounds) {
        return rounds.get(rounds.size() - 1);
    }

    /** {requests/s, p50 ms, p99 ms, CPU µs per request}. */
    private static double[] run(HttpClient http, URI uri, String authorization, int seconds) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).GET();
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        HttpRequest request = builder.build();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS, task -> {
            Thread thread = new Thread(task, "auth-bench-client");
            thread.setDaemon(true);
            return thread;
        });
        List<Future<long[]>> futures = new ArrayList<>();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long started = System.nanoTime();
        for (int t = 0; t < THREADS; t++) {
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 20];
                int n = 0;
                while (!stop.get()) {
                    long sent = System.nanoTime();
                    HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("liveness answered " + response.statusCode());
                    }
                    if (n < latencies.length) {
                        latencies[n++] = System.nanoTime() - sent;
                    }
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> future : futures) {
            all.add(future.get());
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        long cpu = os.getProcessCpuTime() - cpuBefore;
        pool.shutdown();
        long[] latencies = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new double[]{latencies.length / elapsed, latencies[latencies.length / 2] / 1e6,
                latencies[(int) (latencies.length * 0.99)] / 1e6, cpu / 1e3 / latencies.length};
    }
}
