package io.twinplatform.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@link ScalingBenchmark}'s device load, in a JVM of its own so that its CPU is counted apart from the platform's:
 * devices on a plain, anonymous MQTT broker (an external one, such as Mosquitto, that the platform instances read
 * through their shared subscription), each its own MQTT 5 connection, each in a closed loop: one QoS 1 publish, then
 * the next once the answer to it came. The load therefore follows what the platform answers and never piles up in the
 * broker's queue (whose overflow would drop messages).
 * <p>
 * Arguments: {@code HOST PORT PREFIX COUNT MODE}: devices {@code PREFIX0} to {@code PREFIX<COUNT-1>} (twin ids);
 * MODE {@code reported} publishes reported patches (a new value and {@code clientToken} each) on
 * {@code twins/ID/reported} and waits for {@code …/reported/accepted} or {@code …/rejected}; MODE {@code raw} publishes
 * to a topic of its own that it subscribes to and waits for its message to come back: the broker alone, the raw
 * limit. It connects every device, prints {@code ready}, then runs what standard input says: {@code run SECONDS}
 * loads for that long, then waits (at most 60 s) for the answers still due and prints one line {@code done
 * key=value ...}: messages sent, answered while the load ran and in all, rejected, unanswered, p50/p99 publish →
 * answer, this process's CPU over the phase. {@code exit} (or the end of input) disconnects and ends.
 */
public final class ScalingDeviceLoad {

    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final boolean reported;
    private final AtomicLongArray sentAt;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong answeredWhileLoaded = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicInteger latencyCount = new AtomicInteger();
    private final long[] latencies = new long[1 << 22];
    private volatile boolean running;

    private ScalingDeviceLoad(int devices, boolean reported) {
        this.reported = reported;
        this.sentAt = new AtomicLongArray(devices);
    }

    public static void main(String[] args) throws Exception {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String prefix = args[2];
        int count = Integer.parseInt(args[3]);
        String mode = args[4];
        if (!mode.equals("reported") && !mode.equals("raw")) {
            throw new IllegalArgumentException("MODE is reported or raw, not " + mode);
        }
        ScalingDeviceLoad load = new ScalingDeviceLoad(count, mode.equals("reported"));
        load.connect(host, port, prefix, count);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            String[] words = line.split(" ");
            if (!words[0].equals("run")) {
                throw new IllegalArgumentException("unexpected command: " + line);
            }
            load.run(Integer.parseInt(words[1]));
        }
        CompletableFuture.allOf(load.clients.stream().map(Mqtt5AsyncClient::disconnect)
                .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        System.exit(0);
    }

    private void connect(String host, int port, String prefix, int count) throws Exception {
        long start = System.nanoTime();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = prefix + i;
            int device = i;
            String topic = reported ? "twins/" + id + "/reported" : "scaling-raw/" + id;
            Mqtt5AsyncClient client = Mqtt5Client.builder().identifier("scaling-load-" + id).serverHost(host)
                    .serverPort(port).buildAsync();
            client.publishes(MqttGlobalPublishFilter.SUBSCRIBED, publish -> {
                if (publish.getTopic().toString().endsWith("/rejected")) {
                    rejected.incrementAndGet();
                }
                answer(device);
            });
            List<Mqtt5Subscription> answers = (reported ? List.of(topic + "/accepted", topic + "/rejected")
                    : List.of(topic)).stream().map(filter -> Mqtt5Subscription.builder().topicFilter(filter)
                    .qos(MqttQos.AT_LEAST_ONCE).build()).toList();
            Mqtt5Subscribe subscribe = Mqtt5Subscribe.builder().addSubscriptions(answers).build();
            pending.add(client.connect().thenCompose(ack -> client.subscribe(subscribe)));
            clients.add(client);
            topics.add(topic);
            if (pending.size() >= 200) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        System.out.printf(Locale.ROOT, "ready %d devices connected in %.1f s%n", count,
                (System.nanoTime() - start) / 1e9);
        System.out.flush();
    }

    /** An answer to device {@code device}'s message in flight: counted, and while the load runs its next one sent. */
    private void answer(int device) {
        long sentNanos = sentAt.getAndSet(device, 0);
        if (sentNanos == 0) {
            return; // a repeated answer (QoS 1 may deliver twice): its message was counted already
        }
        long now = System.nanoTime();
        answered.incrementAndGet();
        int at = latencyCount.getAndIncrement();
        if (at < latencies.length) {
            latencies[at] = now - sentNanos;
        }
        if (running) {
            answeredWhileLoaded.incrementAndGet();
            publish(device);
        }
    }

    private void publish(int device) {
        long n = sequence.incrementAndGet();
        String payload = reported ? "{\"level\":" + n + ",\"clientToken\":\"s" + n + "\"}" : "{\"n\":" + n + "}";
        sentAt.set(device, System.nanoTime());
        sent.incrementAndGet();
        clients.get(device).publishWith().topic(topics.get(device)).qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    }

    private void run(int seconds) throws Exception {
        sent.set(0);
        answered.set(0);
        answeredWhileLoaded.set(0);
        rejected.set(0);
        latencyCount.set(0);
        long cpuBefore = cpuNanos();
        long start = System.nanoTime();
        running = true;
        for (int device = 0; device < clients.size(); device++) {
            publish(device);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        running = false;
        long loaded = System.nanoTime();
        long settleBy = loaded + SETTLE_NANOS;
        while (answered.get() < sent.get() && System.nanoTime() < settleBy) {
            Thread.sleep(20);
        }
        long settled = System.nanoTime();
        long cpu = cpuNanos() - cpuBefore;
        int n = Math.min(latencyCount.get(), latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "done seconds=%.2f settle_seconds=%.2f sent=%d answered_while_loaded=%d"
                        + " answered=%d rejected=%d unanswered=%d p50_ms=%.2f p99_ms=%.2f cpu_ms=%d%n",
                (loaded - start) / 1e9, (settled - loaded) / 1e9, sent.get(), answeredWhileLoaded.get(),
                answered.get(), rejected.get(), sent.get() - answered.get(), BenchSupport.at(sorted, 0.5) / 1e6,
                BenchSupport.at(sorted, 0.99) / 1e6, cpu / 1_000_000);
        System.out.flush();
    }

    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
