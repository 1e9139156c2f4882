package io.twinplatform.deploy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
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
 * {@code platform-<n>.log} beside the data directory. Every wait is bounded. The benchmarks start it too (several
 * instances on one database), with JVM options of their own.
 */
public final class PlatformProcess implements AutoCloseable {

    /** The tests' JVM options: a small heap, and only the first JIT tier, which starts the platform sooner. */
    private static final List<String> TEST_JVM_OPTIONS = List.of("-Xmx768m", "-XX:TieredStopAtLevel=1");

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
        return start(dataDir, timeout, TEST_JVM_OPTIONS, arguments, environment);
    }

    /** As {@link #start(Path, Duration, List, Map)}, with {@code jvmOptions} instead of the tests' small heap and JIT. */
    public static PlatformProcess start(Path dataDir, Duration timeout, List<String> jvmOptions, List<String> arguments,
                                        Map<String, String> environment) {
        try {
            Path argFile = dataDir.resolveSibling(dataDir.getFileName() + "-java.args");
            Files.writeString(argFile, "-cp " + quoted(classPath()) + "\n");
            Path log;
            synchronized (PlatformProcess.class) {
                log = dataDir.resolveSibling(dataDir.getFileName() + "-platform-" + (++started) + ".log");
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("@" + argFile,
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

    public Process process() {
        return process;
    }

    /** The HTTP port it listens on. */
    public int port() {
        return port;
    }

    /**
     * The class path this JVM runs the platform from: the URLs of the loader that loaded this class (Maven's
     * {@code exec:java}, which runs the benchmarks, gives them a class loader of their own while
     * {@code java.class.path} names Maven's), else {@code java.class.path}.
     */
    public static String classPath() {
        if (PlatformProcess.class.getClassLoader() instanceof URLClassLoader loader && loader.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            try {
                for (URL url : loader.getURLs()) {
                    entries.add(Path.of(url.toURI()).toString());
                }
            } catch (URISyntaxException e) {
                throw new IllegalStateException("a class path entry that is not a file: " + e.getInput(), e);
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
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
    public int awaitExit(Duration timeout) {
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

    public String logTail() {
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
