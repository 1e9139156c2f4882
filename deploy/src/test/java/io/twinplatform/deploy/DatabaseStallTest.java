package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL frozen (every process of the embedded server stopped with SIGSTOP, as a stalled disk, a paused VM or a
 * debugger would leave it): a write and a read fail within seconds with {@code 503 databaseUnavailable} and
 * {@code Retry-After}; {@code /actuator/health} answers within about a second and says DOWN (readiness too),
 * liveness stays UP; once the server runs again (SIGCONT) writes, read-your-writes and health come back with no
 * operator action. Its own platform on its own data directory, so freezing its database disturbs no other test;
 * the server is always continued, whatever the assertions say, before the platform is closed.
 */
class DatabaseStallTest {

    /** The most a frozen database may hold a request here: request-timeout 5 s, pool wait 3 s, plus a loaded machine. */
    private static final Duration REQUEST_BOUND = Duration.ofSeconds(10);
    /** The most health may take: its own wait is 800 ms; the rest is slack for a machine running other builds. */
    private static final Duration HEALTH_BOUND = Duration.ofMillis(2500);

    @Test
    void aFrozenDatabaseFailsRequestsFastAndTheyRecoverOnTheirOwn() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir)) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            String twin = "/twins/" + TwinHttp.newDeviceId();
            assertThat(http.put(twin, q("{'properties':{'desired':{'fan':1}}}")).status()).isEqualTo(201);
            assertThat(http.get("/actuator/health").json().path("status").asText()).isEqualTo("UP");
            // The embedded pool takes spring.datasource.hikari.* as a configured one would; a connection taken
            // outside a request waits as long as background work does.
            HikariDataSource pool = app.getBean(DataSource.class).unwrap(HikariDataSource.class);
            assertThat(pool.getConnectionTimeout()).isEqualTo(3000);
            assertThat(pool.getDataSourceProperties()).containsEntry("socketTimeout", "10")
                    .containsEntry("reWriteBatchedInserts", "true");
            try (Connection connection = app.getBean(DataSource.class).getConnection()) {
                assertThat(connection.getNetworkTimeout()).isEqualTo((int) Duration.ofMinutes(10).toMillis());
            }

            List<Long> server = freeze(dataDir);
            try {
                Timed<Reply> write = timed(() -> http.patch(twin, q("{'properties':{'desired':{'fan':2}}}")));
                assertUnavailable(write, "PATCH");
                assertThat(write.value().json().path("detail").asText()).as("a write's outcome is not claimed")
                        .contains("unknown").contains("Idempotency-Key").doesNotContain("nothing was written");

                Timed<Reply> read = timed(() -> http.get(twin));
                assertUnavailable(read, "GET");
                assertThat(read.value().json().path("detail").asText()).contains("Nothing was written");

                for (String path : List.of("/actuator/health", "/actuator/health/readiness")) {
                    Timed<Reply> health = timed(() -> http.get(path));
                    System.out.printf("frozen database: %s answered %d in %d ms%n", path, health.value().status(),
                            health.took().toMillis());
                    assertThat(health.took()).as("%s answers promptly", path).isLessThan(HEALTH_BOUND);
                    assertThat(health.value().status()).as("%s", health.value()).isEqualTo(503);
                    assertThat(health.value().json().path("status").asText()).isEqualTo("DOWN");
                    if (path.equals("/actuator/health")) {
                        // the probes say no more than UP or DOWN; the admin's view names the component
                        assertThat(health.value().json().at("/components/db/status").asText()).isEqualTo("DOWN");
                    }
                }
                Timed<Reply> liveness = timed(() -> http.get("/actuator/health/liveness"));
                assertThat(liveness.took()).isLessThan(HEALTH_BOUND);
                assertThat(liveness.value().json().path("status").asText()).as("the JVM is fine").isEqualTo("UP");
            } finally {
                signal("CONT", server);
            }

            // Recovery: the next writes go through (a pooled connection broken by the freeze is replaced), and the
            // read side shows each one when it is answered.
            long recovering = System.nanoTime();
            Reply written = awaitReply(() -> http.patch(twin, q("{'properties':{'desired':{'fan':3}}}")), 200,
                    Duration.ofSeconds(60));
            Reply shown = http.get(twin);
            assertThat(shown.status()).isEqualTo(200);
            assertThat(shown.version()).as("read your writes").isEqualTo(written.version());
            assertThat(shown.json().at("/properties/desired/fan").asInt()).isEqualTo(3);
            Reply health = awaitReply(() -> http.get("/actuator/health"), 200, Duration.ofSeconds(30));
            assertThat(health.json().path("status").asText()).isEqualTo("UP");
            System.out.printf("after SIGCONT: a write answered and health UP within %d ms%n",
                    Duration.ofNanos(System.nanoTime() - recovering).toMillis());
            // The frozen write may have been applied when the server ran again (its outcome was unknown): either way
            // the twin is consistent and later writes follow it.
            assertThat(written.version()).isBetween(2L, 3L);
            Reply next = http.patch(twin, q("{'properties':{'desired':{'fan':4}}}"));
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.version()).isEqualTo(written.version() + 1);
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static void assertUnavailable(Timed<Reply> timed, String method) {
        Reply reply = timed.value();
        System.out.printf("frozen database: %s answered %d in %d ms%n", method, reply.status(), timed.took().toMillis());
        JsonNode problem = assertProblem(reply, 503, "databaseUnavailable");
        assertThat(problem.path("status").asInt()).isEqualTo(503);
        assertThat(reply.headers().firstValue("Retry-After")).as("Retry-After").hasValue("5");
        assertThat(timed.took()).as("%s fails fast", method).isLessThan(REQUEST_BOUND);
    }

    /** The postmaster (first line of postmaster.pid) and every process it started (backends, background workers). */
    static List<Long> serverProcesses(Path dataDir) throws IOException {
        long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"))
                .get(0).trim());
        ProcessHandle handle = ProcessHandle.of(postmaster).orElseThrow(
                () -> new AssertionError("no PostgreSQL process " + postmaster));
        List<Long> pids = new ArrayList<>();
        pids.add(postmaster);
        handle.descendants().forEach(child -> pids.add(child.pid()));
        assertThat(pids).as("postmaster and its backends").hasSizeGreaterThan(2);
        return pids;
    }

    /**
     * Stops the postmaster first, so that it forks no backend meanwhile, then every process under it, again until no
     * new one appears (a backend forked just before the postmaster stopped would otherwise go on serving its
     * connection); returns them all, to be continued.
     */
    static List<Long> freeze(Path dataDir) throws IOException, InterruptedException {
        List<Long> all = serverProcesses(dataDir);
        signal("STOP", List.of(all.get(0)));
        Set<Long> stopped = new LinkedHashSet<>(List.of(all.get(0)));
        for (int round = 0; round < 5; round++) {
            List<Long> fresh = serverProcesses(dataDir).stream().filter(pid -> !stopped.contains(pid)).toList();
            if (fresh.isEmpty()) {
                break;
            }
            signal("STOP", fresh);
            stopped.addAll(fresh);
        }
        return new ArrayList<>(stopped);
    }

    /** {@code kill -<signal>} to each process; one already gone is not an error. */
    static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        kill.waitFor();
    }

    private record Timed<T>(T value, Duration took) {
    }

    private static <T> Timed<T> timed(Supplier<T> call) {
        long start = System.nanoTime();
        T value = call.get();
        return new Timed<>(value, Duration.ofNanos(System.nanoTime() - start));
    }

    private static Reply awaitReply(Supplier<Reply> call, int status, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Reply reply = call.get();
        while (reply.status() != status && System.nanoTime() < deadline) {
            Thread.sleep(200);
            reply = call.get();
        }
        assertThat(reply.status()).as("within %s: %s", within, reply).isEqualTo(status);
        return reply;
    }
}
