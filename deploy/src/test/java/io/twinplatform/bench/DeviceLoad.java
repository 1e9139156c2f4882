package io.twinplatform.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.twinplatform.deploy.mqtt.BrokerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The device benchmarks' load generator, in a JVM of its own ({@link DeviceLoadProcess} starts it): MQTT 5 devices,
 * each its own connection with its derived key, publishing (QoS 1) as the device protocol has it: telemetry
 * ({@link TelemetryBenchmark}) or reported properties ({@link DeviceReportBenchmark}).
 * <p>
 * Everything it needs comes on standard input, never on the command line (which {@code ps} shows): {@code port N}
 * (the broker's TLS port), {@code ca FILE} (the CA certificate devices check it by), one {@code device ID PASSWORD}
 * line per device, then {@code start}. Devices connect over TLS, as real ones do. It connects every device (each also subscribes
 * to its {@code telemetry/rejected} and {@code reported/rejected}), prints {@code ready N}, then runs what it is told,
 * one line each:
 * <ul>
 *   <li>{@code run RATE SECONDS SAMPLES WATCH PREFIX [KIND]}: offers {@code RATE} samples/s for {@code SECONDS},
 *   round-robin over the devices. KIND {@code telemetry} (the default): messages of {@code SAMPLES} measurements
 *   ({@code PREFIX0} to {@code PREFIXn}) and a {@code ts} in epoch milliseconds; a device's {@code ts} always rises, so
 *   every sample is a row of its own. KIND {@code reported}: one reported patch per message ({@code PREFIX0} set to a
 *   value that differs from the device's previous one, and a {@code clientToken}), {@code SAMPLES} must be 1; the
 *   embedded broker's PUBACK comes only once the report is committed and answered. Every {@code WATCH}th message (0:
 *   none) is printed as {@code watch ID TS PUBLISHED_EPOCH_MICROS} when it goes out. At the end of the load it prints
 *   {@code loaded SENT ID TS} (the messages sent and the last one), waits (at most two minutes) for every PUBACK, then
 *   prints one {@code done key=value ...} line: what was sent, acknowledged, refused or rejected, publish → PUBACK,
 *   the PUBACKs in the first and the last third of the load and while it ran, when the last came, the PUBACKs per
 *   5 s, the first device's acknowledged samples, and this process's CPU time over the phase.</li>
 *   <li>{@code rejected}: prints {@code rejected N}, the {@code …/rejected} answers received so far (telemetry's come
 *   once the platform has written a batch, after {@code done}).</li>
 *   <li>{@code exit} (or the end of input): disconnects and ends.</li>
 * </ul>
 */
public final class DeviceLoad {

    private static final byte ACKED = 1;
    private static final byte FAILED = 2;
    private static final long SETTLE_NANOS = TimeUnit.MINUTES.toNanos(2);
    private static final long FIVE_SECONDS = TimeUnit.SECONDS.toNanos(5);

    private final List<String> ids = new ArrayList<>();
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final AtomicLong rejected = new AtomicLong();
    private final PrintStream out;
    private long[] lastTs;

    private DeviceLoad(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        DeviceLoad load = new DeviceLoad(out);
        int port = 0;
        Path caFile = null;
        List<String> passwords = new ArrayList<>();
        for (String line; (line = in.readLine()) != null && !line.equals("start"); ) {
            String[] words = line.split(" ");
            switch (words[0]) {
                case "port" -> port = Integer.parseInt(words[1]);
                case "ca" -> caFile = Path.of(line.substring(3));
                case "device" -> {
                    load.ids.add(words[1]);
                    passwords.add(words[2]);
                }
                default -> throw new IllegalArgumentException("unexpected input: " + words[0]);
            }
        }
        if (caFile == null) {
            throw new IllegalArgumentException("no 'ca FILE' line: devices connect over TLS");
        }
        load.connect(port, BrokerTls.clientConfig(caFile), passwords);
        passwords.clear();
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            String[] words = line.split(" ");
            if (words[0].equals("rejected")) {
                out.println("rejected " + load.rejected.get());
                out.flush();
            } else if (words[0].equals("run")) {
                load.run(Double.parseDouble(words[1]), Integer.parseInt(words[2]), Integer.parseInt(words[3]),
                        Integer.parseInt(words[4]), words[5], words.length > 6 ? words[6] : "telemetry");
            } else {
                throw new IllegalArgumentException("unexpected command: " + words[0]);
            }
        }
        CompletableFuture.allOf(load.clients.stream().map(Mqtt5AsyncClient::disconnect)
                .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        out.flush();
        System.exit(0);
    }

    private void connect(int port, MqttClientSslConfig tls, List<String> passwords) throws Exception {
        long start = System.nanoTime();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            Mqtt5AsyncClient client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                    .sslConfig(tls)
                    .simpleAuth().username(id).password(passwords.get(i).getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth().buildAsync();
            client.publishes(MqttGlobalPublishFilter.SUBSCRIBED, publish -> rejected.incrementAndGet());
            pending.add(client.connect().thenCompose(ack -> client.subscribeWith()
                    .topicFilter("twins/" + id + "/telemetry/rejected").qos(MqttQos.AT_LEAST_ONCE)
                    .addSubscription().topicFilter("twins/" + id + "/reported/rejected").qos(MqttQos.AT_LEAST_ONCE)
                    .applySubscription().send()));
            clients.add(client);
            if (pending.size() >= 200) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        lastTs = new long[ids.size()];
        out.printf(Locale.ROOT, "ready %d devices connected in %.1f s%n", ids.size(), (System.nanoTime() - start) / 1e9);
        out.flush();
    }

    /** One phase: the load, then every PUBACK; prints {@code loaded} and {@code done}. */
    private void run(double rate, int seconds, int samples, int watchEvery, String prefix, String kind)
            throws Exception {
        boolean reported = kind.equals("reported");
        if (!reported && !kind.equals("telemetry") || reported && samples != 1) {
            throw new IllegalArgumentException("run: KIND is telemetry or reported (with SAMPLES 1), not " + kind);
        }
        double messageRate = rate / samples;
        int capacity = (int) Math.ceil(messageRate * seconds) + 16;
        long[] sentAt = new long[capacity];
        long[] ackedAt = new long[capacity];
        AtomicIntegerArray state = new AtomicIntegerArray(capacity);
        AtomicReference<String> firstFailure = new AtomicReference<>();
        long rejectedBefore = rejected.get();
        long cpuBefore = cpuNanos();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        int seq = 0;
        StringBuilder payload = new StringBuilder(32 + samples * 16);
        while (System.nanoTime() < end && seq < capacity) {
            long due = (long) ((System.nanoTime() - start) * messageRate / 1e9);
            while (seq < due && seq < capacity) {
                int device = seq % ids.size();
                long ts = Math.max(System.currentTimeMillis(), lastTs[device] + 1);
                lastTs[device] = ts;
                payload.setLength(0);
                if (reported) {
                    // The value is the message's number: a device's next report always changes it.
                    payload.append("{\"").append(prefix).append("0\":").append(seq)
                            .append(",\"clientToken\":\"").append(prefix).append(seq).append("\"}");
                } else {
                    payload.append("{\"ts\":").append(ts);
                    for (int m = 0; m < samples; m++) {
                        payload.append(",\"").append(prefix).append(m).append("\":")
                                .append(15 + ((seq + m * 7) % 1000) / 100.0);
                    }
                    payload.append('}');
                }
                int at = seq;
                if (watchEvery > 0 && seq % watchEvery == 0) {
                    Instant now = Instant.now();
                    out.println("watch " + ids.get(device) + " " + ts + " "
                            + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000));
                }
                sentAt[at] = System.nanoTime();
                clients.get(device).publishWith().topic("twins/" + ids.get(device) + "/" + kind)
                        .qos(MqttQos.AT_LEAST_ONCE).payload(payload.toString().getBytes(StandardCharsets.UTF_8))
                        .send().whenComplete((result, failure) -> {
                            ackedAt[at] = System.nanoTime();
                            if (failure != null) {
                                firstFailure.compareAndSet(null, failure.toString());
                            }
                            state.set(at, failure == null ? ACKED : FAILED);
                        });
                seq++;
            }
            out.flush();
            Thread.sleep(5);
        }
        long loaded = System.nanoTime();
        int sent = seq;
        int lastDevice = Math.max(sent - 1, 0) % ids.size();
        out.println("loaded " + sent + " " + ids.get(lastDevice) + " " + lastTs[lastDevice]);
        out.flush();
        int next = 0;
        for (long settleBy = loaded + SETTLE_NANOS; next < sent && System.nanoTime() < settleBy; ) {
            if (state.get(next) != 0) {
                next++;
            } else {
                Thread.sleep(20);
            }
        }
        long cpu = cpuNanos() - cpuBefore;
        long acked = 0;
        long failed = 0;
        long firstDeviceAcked = 0;
        long[] toPuback = new long[sent];
        long third = (loaded - start) / 3;
        long firstThird = 0;
        long lastThird = 0;
        long whileLoaded = 0;
        long lastAck = start;
        // PUBACKs per 5 s from the start of the load to the last one: the phase's shape.
        int[] timeline = new int[1 + (int) ((SETTLE_NANOS + (loaded - start)) / FIVE_SECONDS)];
        for (int i = 0; i < sent; i++) {
            int s = state.get(i);
            if (s == ACKED) {
                whileLoaded += ackedAt[i] < loaded ? 1 : 0;
                lastAck = Math.max(lastAck, ackedAt[i]);
                timeline[(int) Math.min(timeline.length - 1, Math.max(0, ackedAt[i] - start) / FIVE_SECONDS)]++;
                if (ackedAt[i] < start + third) {
                    firstThird++;
                } else if (ackedAt[i] >= loaded - third && ackedAt[i] < loaded) {
                    lastThird++;
                }
                toPuback[(int) acked++] = ackedAt[i] - sentAt[i];
                if (i % ids.size() == 0) {
                    firstDeviceAcked += samples;
                }
            } else if (s == FAILED) {
                failed++;
            }
        }
        long[] sorted = Arrays.copyOf(toPuback, (int) acked);
        Arrays.sort(sorted);
        double loadSeconds = (loaded - start) / 1e9;
        out.printf(Locale.ROOT, "done seconds=%.2f messages=%d samples=%d acked_samples=%d failed_samples=%d"
                        + " unacked_samples=%d rejected_messages=%d puback_p50_ms=%.2f puback_p99_ms=%.2f"
                        + " acked_first_third=%d acked_last_third=%d acked_while_loaded=%d last_ack_seconds=%.2f"
                        + " acked_per_5s=%s"
                        + " first_device=%s first_device_samples=%d cpu_ms=%d first_failure=%s%n",
                loadSeconds, sent, (long) sent * samples, acked * samples, failed * samples,
                (sent - acked - failed) * samples, rejected.get() - rejectedBefore,
                BenchSupport.at(sorted, 0.5) / 1e6, BenchSupport.at(sorted, 0.99) / 1e6, firstThird * samples,
                lastThird * samples, whileLoaded * samples, (lastAck - start) / 1e9,
                Arrays.stream(timeline, 0, 1 + (int) ((lastAck - start) / FIVE_SECONDS))
                        .mapToObj(Integer::toString).collect(Collectors.joining(",")), ids.get(0),
                firstDeviceAcked, cpu / 1_000_000,
                firstFailure.get() == null ? "none" : firstFailure.get().replace(' ', '_'));
        out.flush();
    }

    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
