package io.twinplatform.deploy;

import io.twinplatform.deploy.database.EmbeddedDatabase;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A crash loses no acknowledged write, and the platform comes up again on the first try. The platform runs as its
 * own JVM ({@link PlatformProcess}: {@code java} with the test's classpath and the main class, not the packaged jar,
 * because {@code ./mvnw test} runs before the jar is built) and is killed with SIGKILL
 * ({@link Process#destroyForcibly()} on Linux; the exit code 137 = 128 + 9 proves it), while four threads write.
 */
class PlatformCrashTest {

    private static final Duration START = Duration.ofSeconds(150);

    @Test
    void everyAcknowledgedWriteSurvivesAKillAndTheFirstRestartComesUp() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        try {
            List<WriteLoad.Outcome> outcomes;
            try (PlatformProcess first = PlatformProcess.start(dataDir, START)) {
                WriteLoad load = WriteLoad.start(first.http(), 4, 2);
                load.awaitAcknowledged(150, Duration.ofSeconds(60));
                long postmaster = first.postmasterPid().orElseThrow();
                String password = Files.readString(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).trim();

                first.process().destroyForcibly();
                assertThat(first.awaitExit(Duration.ofSeconds(20))).as("killed by SIGKILL").isEqualTo(137);
                outcomes = load.stop();
                // the watchdog saw the JVM go and stopped its PostgreSQL
                assertThat(PlatformProcess.awaitGone(postmaster, Duration.ofSeconds(30)))
                        .as("PostgreSQL %d outlived the killed platform", postmaster).isTrue();
                assertThat(first.logText()).as("the log never shows the database password").doesNotContain(password);
            }

            try (PlatformProcess second = PlatformProcess.start(dataDir, START)) {
                WriteLoad.assertAcknowledgedWritesKept(second.http(), outcomes);
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    @Test
    void aPostgresLeftRunningOnTheDataDirectoryIsStoppedAndTheStartSucceeds() {
        Path dataDir = TestDataDirs.fresh();
        try {
            List<WriteLoad.Outcome> outcomes;
            long orphan;
            try (PlatformProcess first = PlatformProcess.start(dataDir, START)) {
                WriteLoad load = WriteLoad.start(first.http(), 2, 1);
                load.awaitAcknowledged(20, Duration.ofSeconds(60));
                orphan = first.postmasterPid().orElseThrow();
                // as before the watchdog existed (or if it is killed too): the JVM and its watchdog die together
                Optional<ProcessHandle> watchdog = first.process().children()
                        .filter(child -> child.info().commandLine().orElse("").contains("twin-postgres-watchdog"))
                        .findFirst();
                assertThat(watchdog).as("the PostgreSQL watchdog runs beside the platform").isPresent();
                watchdog.get().destroyForcibly();
                first.process().destroyForcibly();
                first.awaitExit(Duration.ofSeconds(20));
                outcomes = load.stop();
            }
            PlatformProcess.sleep(2000);
            assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).as("an orphaned PostgreSQL")
                    .contains(true);

            try (PlatformProcess second = PlatformProcess.start(dataDir, START)) {
                assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                        .as("the orphan was stopped").isFalse();
                assertThat(second.logText()).contains("still running on", "stopping it");
                WriteLoad.assertAcknowledgedWritesKept(second.http(), outcomes);
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }
}
