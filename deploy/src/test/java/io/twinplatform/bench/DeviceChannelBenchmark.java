package io.twinplatform.bench;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.deploy.mqtt.BrokerTls;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device channel under a fleet's load: {@code bench.devices} devices (default 10,000), each its own MQTT 5
 * connection to the embedded broker with its derived key, publish reported patches (QoS 1, with a clientToken) at
 * {@code bench.rate} messages/s in total (default 5,000) for {@code bench.seconds} (default 60). Prints:
 * <ul>
 *   <li>accepted/s: {@code reported/accepted} answers received per second (each one a committed event);</li>
 *   <li>p50/p99 publish → accepted, and p50/p99 publish → visible (the read side's row at that version, sampled
 *   every {@code bench.sample}th message);</li>
 *   <li>memory: heap in use after a GC, and the process's resident set;</li>
 *   <li>raw limits measured in the same run: the broker alone (QoS 1 publishes to a topic nobody handles, from the
 *   same clients, as fast as PUBACKs come) and plain JDBC single-row inserts into the same PostgreSQL.</li>
 * </ul>
 * Everything runs in one JVM on the same machine: the load's own clients compete with the platform for the CPU.
 * <p>
 * <b>Overload</b> ({@code -Dbench.overload=2}): first the saturated rate is measured (the load at {@code bench.rate},
 * far above what the platform handles, for {@code bench.measure-seconds}, default 20; the rate is the accepted answers
 * per second over the second half of that window), every message of that phase is left to settle, then the load is
 * offered at that multiple of the saturated rate for {@code bench.seconds}. For each phase it prints accepted/s,
 * p50/p99 publish → PUBACK (the wait at the broker's edge) and publish → accepted, the publishes refused at the edge
 * (PUBACK {@code QUOTA_EXCEEDED}: the device knows and may resend), the messages <em>lost</em> (acknowledged, never
 * answered: must be 0), the admission gauges' peaks, and whether throughput stayed flat: accepted/s in the last third
 * of the phase against the first third. With an external broker (no edge of ours) the backlog builds in the broker's
 * shared-subscription queue and the last third falls behind. The platform runs in this JVM, so
 * its settings can be given as system properties ({@code -Dtwin.mqtt.max-backlog=…},
 * {@code -Dtwin.mqtt.admission-timeout=…}).
 * <p>
 * {@code -Dbench.warmup-seconds=N} (at {@code bench.warmup-rate}, default 1,000 msg/s) runs a phase first that is
 * printed but not used, so the measured phases run on a warm JVM.
 * <p>
 * Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.DeviceChannelBenchmark -DskipTests -pl deploy -am verify}.
 */
public final class DeviceChannelBenchmark {

    private static final int DEVICES = Integer.getInteger("bench.devices", 10_000);
    private static final int RATE = Integer.getInteger("bench.rate", 5_000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    private static final int SAMPLE = Integer.getInteger("bench.sample", 50);
    private static final int RAW_SECONDS = Integer.getInteger("bench.raw-seconds", 10);
    private static final double OVERLOAD = Double.parseDouble(System.getProperty("bench.overload", "0"));
    private static final int MEASURE_SECONDS = Integer.getInteger("bench.measure-seconds", 20);
    /** A first phase, not counted, so the measured ones run on a warm JVM (0: none). */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 0);
    private static final int WARMUP_RATE = Integer.getInteger("bench.warmup-rate", 1000);
    /** The longest the benchmark waits for a phase's messages to be answered or refused after its load ends. */
    private static final long SETTLE_NANOS = 120_000_000_000L;
    private static final byte ACKED = 1;
    private static final byte REFUSED = 2;
    private static final byte ACCEPTED = 1;
    private static final byte REJECTED = 2;

    /**
     * The devices' twin ids, as {@link BenchSupport#createDevices} made them: device {@code i} is {@code ids.get(i)}.
     */
    private static List<String> ids = List.of();

    private DeviceChannelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Files.createTempDirectory("twin-bench-devices");
        try (ConfigurableApplicationContext platform = BenchSupport.start(dataDir, Map.of(
                "twin.mqtt.enabled", "true", "twin.mqtt.tls-port", "0", "twin.devices.max-in-flight", "1024",
                "twin.devices.connections", System.getProperty("bench.connections", "1"),
                "twin.mqtt.shared-group", System.getProperty("bench.shared-group", "twin-platform")))) {
            EmbeddedBroker broker = platform.getBean(EmbeddedBroker.class);
            CommandGateway commands = platform.getBean(CommandGateway.class);
            DataSource dataSource = platform.getBean(DataSource.class);
            System.out.printf("devices %d, target %s for %d s, %d cores, max heap %d MB%n", DEVICES,
                    OVERLOAD > 0 ? String.format("%.1f x the saturated rate (measured at %d msg/s for %d s)",
                            OVERLOAD, RATE, MEASURE_SECONDS) : RATE + " msg/s",
                    SECONDS, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

            ids = BenchSupport.createDevices(commands, dataSource, "bench-dev", DEVICES);

            // Room for every phase: the overload phase's rate is a multiple of the saturated rate, far below RATE.
            int capacity = RATE * (SECONDS + (OVERLOAD > 0 ? MEASURE_SECONDS : 0)) + RATE
                    + WARMUP_RATE * WARMUP_SECONDS;
            Traffic traffic = new Traffic(capacity);
            AtomicLong rawAcks = new AtomicLong();
            ConcurrentLinkedQueue<long[]> toWatch = new ConcurrentLinkedQueue<>();
            List<Mqtt5AsyncClient> clients = connect(broker, traffic, toWatch);
            MeterRegistry meters = platform.getBean(MeterRegistry.class);

            ExecutorService watchers = Executors.newFixedThreadPool(2);
            List<Long> visible = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicLong running = new AtomicLong(1);
            for (int w = 0; w < 2; w++) {
                watchers.submit(() -> watchVisible(dataSource, toWatch, traffic.sentAt, visible, running));
            }

            int first = 0;
            if (WARMUP_SECONDS > 0) {
                Phase warmup = Phase.run("warm-up", clients, traffic, meters, 0, WARMUP_RATE, WARMUP_SECONDS);
                warmup.print();
                first = warmup.to;
            }
            if (OVERLOAD > 0) {
                Phase saturate = Phase.run("saturate", clients, traffic, meters, first, RATE, MEASURE_SECONDS);
                double saturated = saturate.acceptedPerSecond(0.5, 1.0);
                saturate.print();
                System.out.printf("saturated rate: %.0f accepted/s (second half of the saturate phase)%n", saturated);
                double rate = Math.min(RATE, OVERLOAD * saturated);
                System.out.printf("overload: offering %.1f x %.0f = %.0f msg/s for %d s%n", OVERLOAD, saturated, rate,
                        SECONDS);
                Phase.run("overload", clients, traffic, meters, saturate.to, rate, SECONDS).print();
            } else {
                Phase.run("load", clients, traffic, meters, first, RATE, SECONDS).print();
            }
            running.set(0);
            watchers.shutdown();
            watchers.awaitTermination(30, TimeUnit.SECONDS);

            long[] sortedVisible = visible.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("publish -> visible (%d samples): p50 %.1f ms, p99 %.1f ms%n", sortedVisible.length,
                    BenchSupport.at(sortedVisible, 0.5) / 1e6, BenchSupport.at(sortedVisible, 0.99) / 1e6);
            System.gc();
            Runtime runtime = Runtime.getRuntime();
            System.out.printf("memory: heap in use after GC %d MB, resident %s (platform, broker, PostgreSQL client"
                            + " side and %d device clients in one JVM)%n",
                    (runtime.totalMemory() - runtime.freeMemory()) >> 20, residentSet(), DEVICES);

            // Raw limit 1: the broker alone, QoS 1 to a topic nobody reads, from the same clients.
            rawBroker(broker, rawAcks);
            // Raw limit 2: plain JDBC single-row inserts into the same PostgreSQL.
            rawJdbc(dataSource);
            for (Mqtt5AsyncClient client : clients) {
                client.disconnect();
            }
        }
    }

    private static String id(int i) {
        return ids.get(i);
    }

    private static List<Mqtt5AsyncClient> connect(EmbeddedBroker broker, Traffic traffic,
                                                  ConcurrentLinkedQueue<long[]> toWatch) throws Exception {
        DeviceKeys keys = broker.deviceKeys();
        // Over TLS, checking the broker by the CA file the platform made, as devices do.
        MqttClientSslConfig tls = BrokerTls.clientConfig(broker.tls().caFile().orElseThrow());
        List<Mqtt5AsyncClient> clients = new ArrayList<>(DEVICES);
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < DEVICES; i++) {
            String id = id(i);
            Mqtt5AsyncClient client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1")
                    .serverPort(broker.tlsPort()).sslConfig(tls).simpleAuth().username(id)
                    .password(keys.password(id).getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
            client.publishes(MqttGlobalPublishFilter.SUBSCRIBED, publish -> {
                String topic = publish.getTopic().toString();
                String body = new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8);
                int at = body.indexOf("\"clientToken\":\"");
                if (at < 0) {
                    return;
                }
                int seq = Integer.parseInt(body.substring(at + 15, body.indexOf('"', at + 15)));
                long now = System.nanoTime();
                if (topic.endsWith("/accepted")) {
                    traffic.acceptedAt[seq] = now;
                    traffic.answer.set(seq, ACCEPTED);
                    if (seq % SAMPLE == 0) {
                        int v = body.indexOf("\"version\":");
                        long version = Long.parseLong(body.substring(v + 10).split("[,}]")[0]);
                        toWatch.add(new long[]{seq, seq % DEVICES, version});
                    }
                } else {
                    traffic.answer.set(seq, REJECTED);
                }
            });
            pending.add(client.connect().thenCompose(ack -> client.subscribeWith()
                    .topicFilter(TwinTopic.prefix(TwinId.device(id)) + "reported/+").qos(MqttQos.AT_LEAST_ONCE)
                    .send()));
            clients.add(client);
            if (pending.size() >= 200) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        System.out.printf("connected and subscribed %d devices in %.1f s%n", DEVICES,
                (System.nanoTime() - start) / 1e9);
        return clients;
    }

    /** What became of each message, by its sequence number (also its clientToken). */
    private static final class Traffic {

        final long[] sentAt;
        final long[] pubackAt;
        final long[] acceptedAt;
        /** {@link #ACKED} (PUBACK success) or {@link #REFUSED} (PUBACK with an error code, e.g. QUOTA_EXCEEDED). */
        final AtomicIntegerArray ack;
        /** {@link #ACCEPTED} or {@link #REJECTED}: the platform's answer. */
        final AtomicIntegerArray answer;

        Traffic(int capacity) {
            sentAt = new long[capacity];
            pubackAt = new long[capacity];
            acceptedAt = new long[capacity];
            ack = new AtomicIntegerArray(capacity);
            answer = new AtomicIntegerArray(capacity);
        }

        /** Answered, or refused at the broker's edge: nothing more will come for it. */
        boolean settled(int seq) {
            return answer.get(seq) != 0 || ack.get(seq) == REFUSED;
        }
    }

    /** One load phase: messages {@code from} (inclusive) to {@code to}, offered from {@code start} to {@code end}. */
    private record Phase(String name, Traffic traffic, int from, int to, long start, long end, long settled,
                         boolean complete, AdmissionPeaks peaks) {

        /**
         * Offers {@code rate} messages/s for {@code seconds}, round-robin over the devices, from sequence number
         * {@code from}: every 10 ms, the messages due by then. Then waits (up to two minutes) until each one is
         * answered or refused.
         */
        static Phase run(String name, List<Mqtt5AsyncClient> clients, Traffic traffic, MeterRegistry meters,
                         int from, double rate, int seconds) throws InterruptedException {
            try (AdmissionPeaks peaks = new AdmissionPeaks(meters)) {
                long start = System.nanoTime();
                long end = start + seconds * 1_000_000_000L;
                int seq = from;
                while (System.nanoTime() < end && seq < traffic.sentAt.length) {
                    long due = from + (long) ((System.nanoTime() - start) * rate / 1e9);
                    while (seq < due && seq < traffic.sentAt.length) {
                        publish(clients, traffic, seq++);
                    }
                    Thread.sleep(10);
                }
                long sent = System.nanoTime();
                int to = seq;
                long settleBy = sent + SETTLE_NANOS;
                int next = from;
                while (next < to && System.nanoTime() < settleBy) {
                    if (traffic.settled(next)) {
                        next++;
                    } else {
                        Thread.sleep(50);
                    }
                }
                return new Phase(name, traffic, from, to, start, sent, System.nanoTime(), next == to, peaks.stop());
            }
        }

        private static void publish(List<Mqtt5AsyncClient> clients, Traffic traffic, int seq) {
            int device = seq % DEVICES;
            String payload = "{\"temperature\":" + (15 + (seq % 100) / 10.0) + ",\"sequence\":" + seq
                    + ",\"clientToken\":\"" + seq + "\"}";
            traffic.sentAt[seq] = System.nanoTime();
            clients.get(device).publishWith().topic(new TwinTopic(TwinId.device(id(device)), "reported").text())
                    .qos(MqttQos.AT_LEAST_ONCE).payload(payload.getBytes(StandardCharsets.UTF_8)).send()
                    .whenComplete((result, failure) -> {
                        traffic.pubackAt[seq] = System.nanoTime();
                        traffic.ack.set(seq, failure == null ? ACKED : REFUSED);
                    });
        }

        /** Answers accepted per second while the load ran, between these fractions of the phase (0 to 1). */
        double acceptedPerSecond(double fromFraction, double toFraction) {
            long windowStart = start + (long) ((end - start) * fromFraction);
            long windowEnd = start + (long) ((end - start) * toFraction);
            long count = 0;
            for (int seq = 0; seq < to; seq++) {
                long at = traffic.acceptedAt[seq];
                if (at >= windowStart && at < windowEnd) {
                    count++;
                }
            }
            return count / ((windowEnd - windowStart) / 1e9);
        }

        void print() {
            int sent = to - from;
            long accepted = 0;
            long rejected = 0;
            long refused = 0;
            long lost = 0;
            long unsettled = 0;
            long[] toPuback = new long[sent];
            long[] toAccepted = new long[sent];
            int pubacks = 0;
            int answers = 0;
            for (int seq = from; seq < to; seq++) {
                int answer = traffic.answer.get(seq);
                int ack = traffic.ack.get(seq);
                if (answer == ACCEPTED) {
                    accepted++;
                    toAccepted[answers++] = traffic.acceptedAt[seq] - traffic.sentAt[seq];
                } else if (answer == REJECTED) {
                    rejected++;
                }
                if (ack == REFUSED) {
                    refused++;
                } else if (ack == ACKED) {
                    toPuback[pubacks++] = traffic.pubackAt[seq] - traffic.sentAt[seq];
                    if (answer == 0) {
                        lost++;
                    }
                } else if (answer == 0) {
                    unsettled++;
                }
            }
            long[] sortedPuback = Arrays.copyOf(toPuback, pubacks);
            long[] sortedAccepted = Arrays.copyOf(toAccepted, answers);
            Arrays.sort(sortedPuback);
            Arrays.sort(sortedAccepted);
            double seconds = (end - start) / 1e9;
            System.out.printf("[%s] sent %d in %.1f s (%.0f msg/s); accepted %d, rejected %d, refused at the broker's"
                            + " edge %d; settled %.1f s after the load%n", name, sent, seconds, sent / seconds,
                    accepted, rejected, refused, (settled - end) / 1e9);
            System.out.printf("[%s] accepted/s while loaded: %.0f; over the whole phase and its settling: %.0f%n", name,
                    acceptedPerSecond(0, 1), accepted / ((settled - start) / 1e9));
            System.out.printf("[%s] publish -> PUBACK: p50 %.1f ms, p99 %.1f ms; publish -> accepted: p50 %.1f ms,"
                            + " p99 %.1f ms, max %.1f ms%n", name,
                    BenchSupport.at(sortedPuback, 0.5) / 1e6, BenchSupport.at(sortedPuback, 0.99) / 1e6,
                    BenchSupport.at(sortedAccepted, 0.5) / 1e6, BenchSupport.at(sortedAccepted, 0.99) / 1e6,
                    BenchSupport.at(sortedAccepted, 1.0) / 1e6);
            if (complete) {
                System.out.printf("[%s] lost (acknowledged by the broker, never answered): %d%s%n", name, lost,
                        lost == 0 ? "" : "  <-- must be 0");
            } else {
                System.out.printf("[%s] not settled %.0f s after the load: %d acknowledged and unanswered, %d without"
                        + " PUBACK or answer (late or lost; the next phase starts with them)%n", name,
                        SETTLE_NANOS / 1e9, lost, unsettled);
            }
            double first = acceptedPerSecond(0, 1 / 3.0);
            double last = acceptedPerSecond(2 / 3.0, 1);
            System.out.printf("[%s] throughput: first third %.0f accepted/s, last third %.0f (%.0f%%): %s%n", name,
                    first, last, first > 0 ? 100 * last / first : 0,
                    last >= 0.9 * first ? "stayed flat" : "fell");
            System.out.printf("[%s] %s%n", name, peaks.summary());
        }
    }

    /** The admission control's figures while a phase runs, sampled every 100 ms (none without it). */
    private static final class AdmissionPeaks implements AutoCloseable {

        private final MeterRegistry meters;
        private final AtomicLong backlog = new AtomicLong();
        private final AtomicLong suspended = new AtomicLong();
        private final double refusedBefore;
        private final double unansweredBefore;
        private volatile boolean sampling = true;
        private final Thread sampler;
        private String summary;

        AdmissionPeaks(MeterRegistry meters) {
            this.meters = meters;
            refusedBefore = count("twin.devices.admission.refused");
            unansweredBefore = count("twin.devices.admission.unanswered");
            sampler = new Thread(() -> {
                while (sampling) {
                    backlog.accumulateAndGet((long) value("twin.devices.admission.backlog"), Math::max);
                    suspended.accumulateAndGet((long) value("twin.devices.admission.suspended"), Math::max);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-admission-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        AdmissionPeaks stop() {
            sampling = false;
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            summary = meters.find("twin.devices.admission.limit").gauge() == null ? "no admission control"
                    : String.format("admission: in hand peak %d of %.0f, suspended peak %d, refused %.0f, messages"
                            + " taken and not answered %.0f", backlog.get(), value("twin.devices.admission.limit"),
                    suspended.get(), count("twin.devices.admission.refused") - refusedBefore,
                    count("twin.devices.admission.unanswered") - unansweredBefore);
            return this;
        }

        String summary() {
            return summary;
        }

        @Override
        public void close() {
            sampling = false;
        }

        private double value(String gauge) {
            Gauge found = meters.find(gauge).gauge();
            return found == null ? 0 : found.value();
        }

        private double count(String counter) {
            FunctionCounter found = meters.find(counter).functionCounter();
            return found == null ? 0 : found.count();
        }
    }

    /**
     * Polls the read side for sampled messages until their twin shows the accepted version; after the load it keeps
     * going for up to 30 s for the ones still open.
     */
    private static void watchVisible(DataSource dataSource, ConcurrentLinkedQueue<long[]> toWatch, long[] sentAt,
                                     List<Long> visible, AtomicLong running) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        List<long[]> open = new ArrayList<>();
        long giveUpAt = Long.MAX_VALUE;
        while (System.nanoTime() < giveUpAt) {
            for (long[] next; (next = toWatch.poll()) != null; ) {
                open.add(next);
            }
            open.removeIf(watch -> {
                Long version = jdbc.query("SELECT version FROM twin_document WHERE twin_id = ?",
                        rs -> rs.next() ? rs.getLong(1) : null, id((int) watch[1]));
                if (version != null && version >= watch[2]) {
                    visible.add(System.nanoTime() - sentAt[(int) watch[0]]);
                    return true;
                }
                return false;
            });
            if (running.get() == 0) {
                if (open.isEmpty() && toWatch.isEmpty()) {
                    return;
                }
                giveUpAt = Math.min(giveUpAt, System.nanoTime() + 30_000_000_000L);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The broker alone: QoS 1 publishes from one platform-credentialed client to a topic nobody reads. */
    private static void rawBroker(EmbeddedBroker broker, AtomicLong acks) throws Exception {
        Mqtt5AsyncClient client = Mqtt5Client.builder().identifier("bench-raw").serverHost("127.0.0.1")
                .serverPort(broker.tlsPort()).sslConfig(broker.tls().clientConfig()).simpleAuth().username(EmbeddedBroker.PLATFORM_USER)
                .password(broker.platformPassword().getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        client.connect().get(30, TimeUnit.SECONDS);
        byte[] payload = "{\"temperature\":21.5,\"sequence\":1,\"clientToken\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(2_000);
        long start = System.nanoTime();
        long end = start + RAW_SECONDS * 1_000_000_000L;
        while (System.nanoTime() < end) {
            window.acquire();
            client.publishWith().topic("bench/raw").qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload).send().whenComplete((r, f) -> {
                        acks.incrementAndGet();
                        window.release();
                    });
        }
        window.acquire(2_000);
        client.disconnect();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("raw broker: %d QoS 1 publishes acknowledged in %.1f s = %.0f msg/s%n", acks.get(), seconds,
                acks.get() / seconds);
    }

    private static void rawJdbc(DataSource dataSource) throws Exception {
        BenchSupport.createRawEventTable(new JdbcTemplate(dataSource));
        AtomicLong rows = new AtomicLong();
        long start = System.nanoTime();
        long end = start + RAW_SECONDS * 1_000_000_000L;
        byte[] meta = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] payload = "{\"patch\":{\"temperature\":21.5}}".getBytes(StandardCharsets.UTF_8);
        BenchSupport.parallel(32, 32, t -> {
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement insert = connection.prepareStatement(BenchSupport.RAW_INSERT)) {
                connection.setAutoCommit(true);
                for (long i = t; System.nanoTime() < end; i += 32) {
                    BenchSupport.bindRawEvent(insert, i, meta, payload, "ReportedPropertiesPatched");
                    insert.executeUpdate();
                    rows.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("raw JDBC: %d single-row inserts in %.1f s = %.0f rows/s%n", rows.get(), seconds,
                rows.get() / seconds);
    }

    private static String residentSet() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS"))
                    .map(l -> l.replaceAll("\\s+", " ").substring(6).trim()).findFirst().orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }
}
