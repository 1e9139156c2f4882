package io.twinplatform.bench;

import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The device benchmarks' load generator's process: {@link DeviceLoad} in a child JVM on the benchmark's class path,
 * its input the broker's TLS port, its CA file and the devices' keys, its output read on a thread of this JVM ({@code watch} lines go
 * to {@link #watches}, the rest to {@link #expect}).
 */
final class DeviceLoadProcess implements AutoCloseable {

    final ConcurrentLinkedQueue<Watch> watches = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Process process;
    private final Writer input;

    private DeviceLoadProcess(Process process) {
        this.process = process;
        this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::read, "bench-device-load-output");
        reader.setDaemon(true);
        reader.start();
    }

    static DeviceLoadProcess start(EmbeddedBroker broker, List<String> ids) throws Exception {
        DeviceKeys keys = broker.deviceKeys();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xms256m",
                "-Xmx" + System.getProperty("bench.load-heap", "1g")));
        // -Dbench.load-gc-log=FILE: the load generator's own GC log, to tell its pauses from the platform's.
        String gcLog = System.getProperty("bench.load-gc-log", "");
        if (!gcLog.isBlank()) {
            command.add("-Xlog:gc:file=" + gcLog);
        }
        command.add(DeviceLoad.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        // The class path in the environment: long, and no business of the command line.
        builder.environment().put("CLASSPATH", classPath());
        DeviceLoadProcess load = new DeviceLoadProcess(builder.start());
        load.send("port " + broker.tlsPort());
        load.send("ca " + broker.tls().caFile().orElseThrow().toAbsolutePath());
        for (String id : ids) {
            load.input.write("device " + id + " " + keys.password(id) + "\n");
        }
        load.send("start");
        return load;
    }

    /**
     * This benchmark's class path: the URLs of the loader that loaded it (Maven's {@code exec:java} runs it in a
     * class loader of its own, while {@code java.class.path} names Maven's), else {@code java.class.path}.
     */
    private static String classPath() throws URISyntaxException {
        if (DeviceLoadProcess.class.getClassLoader() instanceof URLClassLoader loader
                && loader.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                entries.add(Path.of(url.toURI()).toString());
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    void send(String line) throws Exception {
        input.write(line + "\n");
        input.flush();
    }

    /** The next line that starts with {@code word}; others are printed. Fails after {@code seconds}. */
    String expect(String word, long seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("the load generator did not say '" + word + "' within " + seconds
                        + " s" + (process.isAlive() ? "" : "; it exited with " + process.exitValue()));
            }
            if (line.startsWith(word + " ")) {
                return line;
            }
            System.out.println("  [load] " + line);
        }
    }

    private void read() {
        try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = output.readLine()) != null; ) {
                if (line.startsWith("watch ")) {
                    String[] words = line.split(" ");
                    watches.add(new Watch(words[1], Long.parseLong(words[2]), Long.parseLong(words[3])));
                } else {
                    lines.add(line);
                }
            }
        } catch (Exception e) {
            lines.add("output ended: " + e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            send("exit");
            input.close();
        } catch (Exception e) {
            // already gone
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroy();
        }
    }

    /** {@code key=value} words after the first. */
    static Map<String, String> fields(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String word : line.split(" ")) {
            int equals = word.indexOf('=');
            if (equals > 0) {
                fields.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return fields;
    }

    /** A sampled message: its device, its {@code ts} (epoch ms), and when it was published (epoch µs). */
    record Watch(String twinId, long ts, long publishedMicros) {
    }
}
