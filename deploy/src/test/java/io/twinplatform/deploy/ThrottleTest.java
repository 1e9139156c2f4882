package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits, per caller over HTTP and per device over MQTT (this context: 200 requests a second, bursts of 400; 20
 * device messages a second, bursts of 40): the one over its limit is refused with 429 and nothing it sent is
 * applied, while the others go on.
 */
class ThrottleTest extends DeviceChannelTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aCallerOverItsLimitGets429WithRetryAfterAndOthersGoOn() throws Exception {
        TwinHttp flooder = http.as("flooder-" + TwinHttp.newDeviceId().substring(4, 12), "operator").http();
        String twin = createDevice("{}");
        AtomicReference<Reply> refused = new AtomicReference<>();
        AtomicInteger writesApplied = new AtomicInteger();
        AtomicInteger writesRefused = new AtomicInteger();
        AtomicInteger others = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> floods = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            floods.add(pool.submit(() -> {
                // Reads, with a write every tenth request, until well past the first refusal.
                for (int i = 0; i < 20_000 && (refused.get() == null || writesRefused.get() < 20); i++) {
                    boolean write = i % 10 == 0;
                    Reply reply = write ? flooder.patch("/twins/" + twin, q("{'tags':{'t" + thread + "':" + i + "}}"))
                            : flooder.get("/twins/" + twin);
                    if (reply.status() == 429) {
                        refused.compareAndSet(null, reply);
                        if (write) {
                            writesRefused.incrementAndGet();
                        }
                    } else {
                        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
                        if (write) {
                            writesApplied.incrementAndGet();
                        }
                    }
                }
            }));
        }
        // Another caller, within its own limit (50 requests a second of its 200), is served all the while.
        while (refused.get() == null || writesRefused.get() < 20) {
            assertThat(http.get("/twins/" + twin).status()).isEqualTo(200);
            others.incrementAndGet();
            if (floods.stream().allMatch(Future::isDone)) {
                break;
            }
            Thread.sleep(20);
        }
        for (Future<?> flood : floods) {
            flood.get(2, TimeUnit.MINUTES);
        }
        pool.shutdown();
        Reply reply = refused.get();
        assertThat(reply).as("a 429 within 80,000 requests").isNotNull();
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isEqualTo("throttled");
        assertThat(reply.json().get("detail").asText()).contains("200 a second");
        long retryAfter = Long.parseLong(reply.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);
        assertThat(others.get()).isPositive();

        // A refused write took nothing: the twin holds exactly the writes that were answered 200.
        assertThat(writesRefused.get()).isGreaterThanOrEqualTo(20);
        assertThat(http.get("/twins/" + twin).json().get("version").asLong()).isEqualTo(1 + writesApplied.get());

        // After the wait it asked for, the caller is served again.
        Thread.sleep(retryAfter * 1000);
        assertThat(flooder.get("/twins/" + twin).status()).isEqualTo(200);
        assertThat(http.get("/actuator/metrics/twin.security.throttled").json().at("/measurements/0/value").asDouble())
                .isPositive();
    }

    @Test
    void aDeviceOverItsLimitIsRejectedWithoutLosingOrder() throws Exception {
        String id = createDevice("{}");
        String quiet = createDevice("{}");
        int sent = 120;
        try (MqttDevice device = device(id); MqttDevice other = device(quiet)) {
            List<CompletableFuture<Mqtt5PublishResult>> publishes = new ArrayList<>();
            for (int i = 0; i < sent; i++) {
                publishes.add(device.publishAsync("reported", q("{'seq':" + i + ",'clientToken':'s" + i + "'}")));
            }
            for (CompletableFuture<Mqtt5PublishResult> publish : publishes) {
                publish.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            other.publish("reported", q("{'seq':1,'clientToken':'q1'}"));
            assertThat(other.await("reported/accepted", WAIT).get("clientToken").asText()).isEqualTo("q1");

            List<JsonNode> answers = new ArrayList<>();
            List<JsonNode> rejections = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (answers.size() + rejections.size() < sent && System.nanoTime() < deadline) {
                JsonNode yes = device.poll("reported/accepted", Duration.ofMillis(20));
                if (yes != null) {
                    answers.add(yes);
                }
                device.queue("reported/rejected").drainTo(rejections);
            }
            int accepted = answers.size();
            List<Integer> order = answers.stream().map(a -> Integer.parseInt(a.get("clientToken").asText().substring(1)))
                    .toList();
            assertThat(order).as("accepted in the order sent").isSorted();
            int lastAccepted = order.get(order.size() - 1);
            assertThat(accepted + rejections.size()).isEqualTo(sent);
            assertThat(rejections).as("over a burst of 40 at 20 a second").isNotEmpty();
            assertThat(accepted).as("the burst and the rate, no more").isBetween(40, sent - 1);
            for (JsonNode rejection : rejections) {
                assertThat(rejection.get("code").asText()).isEqualTo("throttled");
                assertThat(rejection.get("status").asInt()).isEqualTo(429);
                assertThat(rejection.get("clientToken").asText()).startsWith("s");
            }
            // Only accepted reports were applied, in the order sent.
            int last = lastAccepted;
            int applied = accepted;
            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() >= 1 + applied, WAIT);
            assertThat(twin.get("version").asLong()).isEqualTo(1 + accepted);
            assertThat(twin.at("/properties/reported/seq").asInt()).isEqualTo(last);
        }
    }
}
