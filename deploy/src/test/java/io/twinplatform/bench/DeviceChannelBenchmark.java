package io.twinplatform.bench;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.axonframework.commandhandling.GenericCommandMessage;
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
 * Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.DeviceChannelBenchmark -DskipTests -pl deploy -am verify}.
 */
public final class DeviceChannelBenchmark {

    private static final int DEVICES = Integer.getInteger("bench.devices", 10_000);
    private static final int RATE = Integer.getInteger("bench.rate", 5_000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    private static final int SAMPLE = Integer.getInteger("bench.sample", 50);
    private static final int RAW_SECONDS = Integer.getInteger("bench.raw-seconds", 10);

    private DeviceChannelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Files.createTempDirectory("twin-bench-devices");
        try (ConfigurableApplicationContext platform = BenchSupport.start(dataDir, Map.of(
                "twin.mqtt.enabled", "true", "twin.mqtt.port", "0", "twin.devices.max-in-flight", "1024",
                "twin.devices.connections", System.getProperty("bench.connections", "1"),
                "twin.mqtt.shared-group", System.getProperty("bench.shared-group", "twin-platform")))) {
            EmbeddedBroker broker = platform.getBean(EmbeddedBroker.class);
            CommandGateway commands = platform.getBean(CommandGateway.class);
            DataSource dataSource = platform.getBean(DataSource.class);
            System.out.printf("devices %d, target %d msg/s for %d s, %d cores, max heap %d MB%n", DEVICES, RATE,
                    SECONDS, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

            long createStart = System.nanoTime();
            BenchSupport.parallel(32, DEVICES, i -> commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                    new PutTwin(id(i), BenchSupport.tags(i), null, null, false))
                    .andMetaData(BenchSupport.audit(Channel.API).toMap())));
            System.out.printf("created %d twins in %.1f s%n", DEVICES, (System.nanoTime() - createStart) / 1e9);
            BenchSupport.awaitProjection(dataSource, 300);

            long[] sentAt = new long[RATE * SECONDS + RATE];
            long[] acceptedAt = new long[sentAt.length];
            AtomicLong accepted = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            AtomicLong rawAcks = new AtomicLong();
            ConcurrentLinkedQueue<long[]> toWatch = new ConcurrentLinkedQueue<>();
            List<Mqtt5AsyncClient> clients = connect(broker, sentAt, acceptedAt, accepted, rejected, toWatch);

            ExecutorService watchers = Executors.newFixedThreadPool(2);
            List<Long> visible = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicLong running = new AtomicLong(1);
            for (int w = 0; w < 2; w++) {
                watchers.submit(() -> watchVisible(dataSource, toWatch, sentAt, visible, running));
            }

            // The load: every 10 ms, the messages due by then, round-robin over the devices.
            long start = System.nanoTime();
            int seq = 0;
            long end = start + SECONDS * 1_000_000_000L;
            while (System.nanoTime() < end && seq < sentAt.length) {
                long due = (System.nanoTime() - start) * RATE / 1_000_000_000L;
                while (seq < due && seq < sentAt.length) {
                    int device = seq % DEVICES;
                    String payload = "{\"temperature\":" + (15 + (seq % 100) / 10.0) + ",\"sequence\":" + seq
                            + ",\"clientToken\":\"" + seq + "\"}";
                    sentAt[seq] = System.nanoTime();
                    clients.get(device).publishWith().topic(new TwinTopic(TwinId.device(id(device)), "reported").text())
                            .qos(MqttQos.AT_LEAST_ONCE).payload(payload.getBytes(StandardCharsets.UTF_8)).send();
                    seq++;
                }
                Thread.sleep(10);
            }
            int sent = seq;
            double sendSeconds = (System.nanoTime() - start) / 1e9;
            long drainEnd = System.nanoTime() + 120_000_000_000L;
            while (accepted.get() + rejected.get() < sent && System.nanoTime() < drainEnd) {
                Thread.sleep(50);
            }
            double allSeconds = (System.nanoTime() - start) / 1e9;
            running.set(0);
            watchers.shutdown();
            watchers.awaitTermination(30, TimeUnit.SECONDS);

            long[] latencies = new long[(int) Math.min(accepted.get(), sent)];
            int n = 0;
            for (int i = 0; i < sent && n < latencies.length; i++) {
                if (acceptedAt[i] != 0) {
                    latencies[n++] = acceptedAt[i] - sentAt[i];
                }
            }
            long[] sortedAccepted = Arrays.copyOf(latencies, n);
            Arrays.sort(sortedAccepted);
            long[] sortedVisible = visible.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("sent %d in %.1f s (%.0f msg/s); accepted %d, rejected %d; all answered after %.1f s%n",
                    sent, sendSeconds, sent / sendSeconds, accepted.get(), rejected.get(), allSeconds);
            System.out.printf("accepted/s: %.0f%n", accepted.get() / allSeconds);
            System.out.printf("publish -> accepted: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    BenchSupport.at(sortedAccepted, 0.5) / 1e6, BenchSupport.at(sortedAccepted, 0.99) / 1e6,
                    BenchSupport.at(sortedAccepted, 1.0) / 1e6);
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
        return String.format("bench-dev-%05d", i);
    }

    private static List<Mqtt5AsyncClient> connect(EmbeddedBroker broker, long[] sentAt, long[] acceptedAt,
                                                  AtomicLong accepted, AtomicLong rejected,
                                                  ConcurrentLinkedQueue<long[]> toWatch) throws Exception {
        DeviceKeys keys = broker.deviceKeys();
        List<Mqtt5AsyncClient> clients = new ArrayList<>(DEVICES);
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < DEVICES; i++) {
            String id = id(i);
            Mqtt5AsyncClient client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1")
                    .serverPort(broker.port()).simpleAuth().username(id)
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
                    acceptedAt[seq] = now;
                    accepted.incrementAndGet();
                    if (seq % SAMPLE == 0) {
                        int v = body.indexOf("\"version\":");
                        long version = Long.parseLong(body.substring(v + 10).split("[,}]")[0]);
                        toWatch.add(new long[]{seq, seq % DEVICES, version});
                    }
                } else {
                    rejected.incrementAndGet();
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
                .serverPort(broker.port()).simpleAuth().username(EmbeddedBroker.PLATFORM_USER)
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
