package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stop (SIGTERM, as systemd or Kubernetes send it) under write load drains: the web server stops taking requests
 * and answers those in flight, the event processors, the device channel and the database stop after that, all within
 * 30 s, and no write that was stored is answered with an error. The platform runs as its own JVM
 * ({@link PlatformProcess}: the test's classpath, not the packaged jar); {@link Process#destroy()} sends SIGTERM on
 * Linux, and the JVM then exits with 143 (128 + 15) once Spring's shutdown hook has run.
 */
class PlatformStopTest {

    private static final Duration START = Duration.ofSeconds(150);

    @Test
    void aStopUnderLoadDrainsWithinThirtySecondsAndNoStoredWriteIsAnsweredWithAnError() {
        Path dataDir = TestDataDirs.fresh();
        try {
            List<WriteLoad.Outcome> outcomes;
            try (PlatformProcess platform = PlatformProcess.start(dataDir, START)) {
                WriteLoad load = WriteLoad.start(platform.http(), 6, 1);
                load.awaitAcknowledged(100, Duration.ofSeconds(60));
                long postmaster = platform.postmasterPid().orElseThrow();

                long stopping = System.nanoTime();
                platform.process().destroy();
                int code = platform.awaitExit(Duration.ofSeconds(60));
                Duration took = Duration.ofNanos(System.nanoTime() - stopping);
                outcomes = load.stop();

                System.out.printf("stop under load: exited %d after %.1f s%n", code, took.toMillis() / 1000.0);
                assertThat(took).as("stop under load\n%s", platform.logTail()).isLessThan(Duration.ofSeconds(30));
                assertThat(code).as("exit code after SIGTERM").isIn(0, 143);
                // The platform stopped its database itself: its log says so, in order (below), and the server is
                // gone soon after (a shutdown checkpoint on a busy machine may take a few seconds).
                assertThat(PlatformProcess.awaitGone(postmaster, Duration.ofSeconds(10)))
                        .as("PostgreSQL %d still running after the platform stopped", postmaster).isTrue();
                String log = platform.logText();
                assertThat(log).doesNotContain("Could not stop postmaster");
                // in this order: web server drained, processors, device channel, database
                assertThat(log.indexOf("Graceful shutdown complete")).isPositive()
                        .isLessThan(log.indexOf("Shutdown state set for Processor 'twin-state'"));
                assertThat(log.indexOf("Shutdown state set for Processor 'twin-state'"))
                        .isLessThan(log.indexOf("embedded MQTT broker stopped"));
                assertThat(log.indexOf("embedded MQTT broker stopped"))
                        .isLessThan(log.indexOf("embedded PostgreSQL stopped"));
            }
            assertThat(outcomes.stream().filter(WriteLoad.Outcome::acknowledged)).hasSizeGreaterThanOrEqualTo(100);
            System.out.printf("stop under load: %d writes acknowledged, %d answered 5xx, %d without an answer%n",
                    outcomes.stream().filter(WriteLoad.Outcome::acknowledged).count(),
                    outcomes.stream().filter(outcome -> outcome.status() >= 500).count(),
                    outcomes.stream().filter(outcome -> outcome.status() < 0).count());

            try (PlatformProcess again = PlatformProcess.start(dataDir, START)) {
                TwinHttp http = again.http();
                WriteLoad.assertAcknowledgedWritesKept(http, outcomes);
                for (WriteLoad.Outcome outcome : outcomes) {
                    if (outcome.status() >= 500) {
                        assertThat(WriteLoad.stored(http, outcome))
                                .as("a write answered %d was stored: %s", outcome.status(), outcome).isFalse();
                    }
                }
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    /**
     * A client following {@code GET /events} (an open console) does not hold a stop: its stream ends first, so the
     * web server's graceful shutdown has no request left to wait 10 s for.
     */
    @Test
    void anOpenEventStreamEndsAtAStopAndDoesNotHoldIt() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        try (PlatformProcess platform = PlatformProcess.start(dataDir, START)) {
            java.net.http.HttpResponse<java.io.InputStream> stream = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + platform.port()
                                    + "/events"))
                            .header("Authorization", platform.http().authorization()).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            var ended = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return stream.body().readAllBytes().length >= 0;
                } catch (java.io.IOException e) {
                    return true;
                }
            });

            long stopping = System.nanoTime();
            platform.process().destroy();
            int code = platform.awaitExit(Duration.ofSeconds(60));
            Duration took = Duration.ofNanos(System.nanoTime() - stopping);
            System.out.printf("stop with an open event stream: exited %d after %.1f s%n", code,
                    took.toMillis() / 1000.0);
            assertThat(code).isIn(0, 143);
            assertThat(ended.get(10, java.util.concurrent.TimeUnit.SECONDS)).as("the stream ended").isTrue();
            String log = platform.logText();
            assertThat(log).as("the web server's drain").contains("Graceful shutdown complete")
                    .doesNotContain("Graceful shutdown aborted");
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }
}
