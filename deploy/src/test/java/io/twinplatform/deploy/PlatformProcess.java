package io.twinplatform.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The platform as an operator runs it: its own JVM, started here with {@code java} on the test's own classpath (the
 * classes the jar is built from; {@code ./mvnw test} runs before the jar exists) and the main class, so it can be
 * killed with a signal like a real deployment. HTTP on a port of its own choosing (read from its log), the device
 * channel on (its broker's TLS listener on a free port), a small {@code shared_buffers}; its output goes to
 * {@code platform-<n>.log} beside the data directory. Every wait is bounded.
 */
final class PlatformProcess implements AutoCloseable {

    private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");
    private static int started;

    private final Process process;
    private final Path log;
    private final Path dataDir;
    private int port;

    private PlatformProcess(Process process, Path log, Path dataDir) {
        this.process = process;
        this.log = log;
        this.dataDir = dataDir;
    }

    /** Starts a platform on {@code dataDir} and waits (up to {@code timeout}) until its health says UP. */
    static PlatformProcess start(Path dataDir, Duration timeout) {
        return start(dataDir, timeout, List.of(), Map.of());
    }

    /**
     * As {@link #start(Path, Duration)}, with more command-line {@code arguments} (after the defaults above, so they
     * win) and {@code environment} variables (for a secret, which any local user could read on a command line).
     */
    static PlatformProcess start(Path dataDir, Duration timeout, List<String> arguments,
                                 Map<String, String> environment) {
        try {
            Path argFile = dataDir.resolveSibling(dataDir.getFileName() + "-java.args");
            Files.writeString(argFile, "-cp " + quoted(System.getProperty("java.class.path")) + "\n");
            Path log;
            synchronized (PlatformProcess.class) {
                log = dataDir.resolveSibling(dataDir.getFileName() + "-platform-" + (++started) + ".log");
            }
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx768m", "-XX:TieredStopAtLevel=1", "@" + argFile,
                    TwinPlatformApplication.class.getName(),
                    "--server.port=0",
                    "--twin.data-dir=" + dataDir,
                    "--twin.mqtt.enabled=true",
                    "--twin.mqtt.tls-port=0",
                    "--twin.embedded.shared-buffers=64MB"));
            command.addAll(arguments);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            PlatformProcess platform = new PlatformProcess(process, log, dataDir);
            platform.awaitUp(timeout);
            return platform;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TwinHttp http() {
        return new TwinHttp(port, dataDir);
    }

    Process process() {
        return process;
    }

    /** The pid of the PostgreSQL running on this platform's data directory, from its pid file. */
    Optional<Long> postmasterPid() {
        return postmasterPid(dataDir);
    }

    /** The port the PostgreSQL running on this platform's data directory listens on, from its pid file. */
    OptionalInt postgresPort() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
            // the pid file's fourth line is the port
            return lines.size() < 4 ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(lines.get(3).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    static Optional<Long> postmasterPid(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Waits up to {@code timeout} for the process {@code pid} to end; true when it has. */
    static boolean awaitGone(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                return true;
            }
            sleep(100);
        }
        return false;
    }

    /** Waits up to {@code timeout} for the JVM to exit; returns its exit code, or fails with its log's end. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the platform did not exit within " + timeout + "\n" + logTail());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills whatever is left (the JVM and any process it started), for a test's clean-up. */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the platform exited (code " + process.exitValue() + ") while starting\n"
                        + logTail());
            }
            if (port == 0) {
                Matcher matcher = PORT.matcher(logText());
                if (matcher.find()) {
                    port = Integer.parseInt(matcher.group(1));
                }
            }
            if (port != 0) {
                try {
                    TwinHttp.Reply health = http().get("/actuator/health");
                    if (health.status() == 200 && health.json().path("status").asText().equals("UP")) {
                        return;
                    }
                } catch (UncheckedIOException notYet) {
                    // not listening yet
                }
            }
            sleep(250);
        }
        close();
        throw new AssertionError("the platform was not UP within " + timeout + "\n" + logTail());
    }

    private static String quoted(String argument) {
        return "\"" + argument.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
