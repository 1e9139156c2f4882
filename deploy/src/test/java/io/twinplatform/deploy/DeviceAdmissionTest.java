package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admission control at the embedded broker's edge, with a backlog of {@value #LIMIT}: a real broker, the device a
 * real MQTT 5 client, the platform's own reader. The broker lets at most that many device messages in for the
 * platform; the rest wait unacknowledged at the edge and come in as the platform handles earlier ones, or are
 * refused with {@code QUOTA_EXCEEDED} after {@code twin.mqtt.admission-timeout}. Its own platform (the limit is a
 * start-up setting).
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DeviceAdmissionTest {

    private static final int LIMIT = 4;
    private static final Duration ADMISSION_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path DATA_DIR = TestDataDirs.fresh();

    @DynamicPropertySource
    static void tinyBacklog(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        registry.add("twin.mqtt.port", () -> "0");
        registry.add("twin.mqtt.max-backlog", () -> LIMIT);
        registry.add("twin.mqtt.admission-timeout", () -> ADMISSION_TIMEOUT.toMillis() + "ms");
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBroker broker;

    @Autowired
    MeterRegistry meters;

    @Autowired
    DataSource dataSource;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port);
    }

    @Test
    void aBurstOverTheLimitIsAllAppliedInOrderWhileTheBrokerHoldsAtMostTheLimit() throws Exception {
        String id = createDevice();
        try (MqttDevice device = device(id)) {
            int burst = 6 * LIMIT;
            double suspensionsBefore = counter("twin.devices.admission.suspensions");
            AtomicInteger acknowledged = new AtomicInteger();
            AtomicInteger mostAdmitted = new AtomicInteger();
            AtomicInteger mostSuspended = new AtomicInteger();
            AtomicInteger mostAcknowledgedUnanswered = new AtomicInteger();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    mostAdmitted.accumulateAndGet((int) gauge("twin.devices.admission.backlog"), Math::max);
                    mostSuspended.accumulateAndGet((int) gauge("twin.devices.admission.suspended"), Math::max);
                    mostAcknowledgedUnanswered.accumulateAndGet(
                            acknowledged.get() - device.queue("reported/accepted").size(), Math::max);
                    LockSupport.parkNanos(100_000);
                }
            }, "admission-sampler");
            sampler.start();

            List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
                sent.add(device.publishAsync("reported", q("{'seq':" + i + ",'clientToken':'b" + i + "'}"))
                        .whenComplete((result, failure) -> acknowledged.incrementAndGet()));
            }
            for (CompletableFuture<Mqtt5PublishResult> publish : sent) {
                Mqtt5PublishResult result = publish.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode())
                        .as("every report is taken, none refused or dropped").isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
            }
            // Every answer in before the sampler stops (reading them below empties the queue it looks at).
            long end = System.nanoTime() + WAIT.toNanos();
            while (device.queue("reported/accepted").size() < burst && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            sampling.set(false);
            sampler.join();
            long lastVersion = 0;
            for (int i = 0; i < burst; i++) {
                JsonNode accepted = device.await("reported/accepted", WAIT);
                assertThat(accepted.get("clientToken").asText()).as("answers in the order sent").isEqualTo("b" + i);
                assertThat(accepted.get("version").asLong()).isGreaterThan(lastVersion);
                lastVersion = accepted.get("version").asLong();
            }

            assertThat(mostAdmitted.get()).as("the broker's backlog for the platform").isBetween(1, LIMIT);
            assertThat(counter("twin.devices.admission.suspensions") - suspensionsBefore)
                    .as("publishes over the limit waited at the edge").isPositive();
            assertThat(mostSuspended.get()).as("one device: one publish held at a time, the rest behind it")
                    .isLessThanOrEqualTo(1);
            // Seen from the device: acknowledged (taken by the broker) but not yet answered. Without admission control
            // the broker acknowledges the whole burst at once; with it, about the limit (plus answers on their way).
            assertThat(mostAcknowledgedUnanswered.get()).isLessThanOrEqualTo(2 * LIMIT);
            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() >= 1 + burst, WAIT);
            assertThat(twin.at("/properties/reported/seq").asInt()).isEqualTo(burst - 1);
            awaitGauge("twin.devices.admission.backlog", 0);
            awaitGauge("twin.devices.admission.suspended", 0);
            assertThat(http.get("/actuator/metrics/twin.devices.admission.limit").json()
                    .at("/measurements/0/value").asInt()).isEqualTo(LIMIT);
        }
    }

    /**
     * The platform is held up (its event table locked, so every write waits): the first {@value #LIMIT} reports are
     * taken, the next waits at the edge and is refused with {@code QUOTA_EXCEEDED} after the timeout; nothing the
     * broker acknowledged is lost once the platform moves again, and the refused report goes through when sent again.
     */
    @Test
    void aPublishThatWaitsOutTheTimeoutIsRefusedWithQuotaExceededAndNothingAcknowledgedIsLost() throws Exception {
        String id = createDevice();
        double refusedBefore = counter("twin.devices.admission.refused");
        try (MqttDevice device = device(id); Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                statement.execute("LOCK TABLE domain_event_entry IN EXCLUSIVE MODE");
            }
            long refusedAfterMillis;
            try {
                for (int i = 0; i < LIMIT; i++) {
                    Mqtt5PublishResult taken = device.publishAsync("reported", q("{'seq':" + i + ",'clientToken':'t" + i
                            + "'}")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) taken).getPubAck().getReasonCode())
                            .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
                }
                long start = System.nanoTime();
                CompletableFuture<Mqtt5PublishResult> over = device.publishAsync("reported",
                        q("{'seq':" + LIMIT + ",'clientToken':'t" + LIMIT + "'}"));
                awaitGauge("twin.devices.admission.suspended", 1);
                assertThat(gauge("twin.devices.admission.backlog")).isEqualTo(LIMIT);
                Throwable refusal = over.handle((result, failure) -> failure).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                refusedAfterMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(refusal).as("the broker's answer to the publish over the limit")
                        .isInstanceOf(Mqtt5PubAckException.class);
                assertThat(((Mqtt5PubAckException) refusal).getMqttMessage().getReasonCode())
                        .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
                assertThat(device.poll("reported/accepted", Duration.ZERO)).as("the platform is held up").isNull();
            } finally {
                lock.rollback();
            }
            assertThat(refusedAfterMillis).as("refused after waiting the timeout")
                    .isGreaterThanOrEqualTo(ADMISSION_TIMEOUT.toMillis() - 100);
            for (int i = 0; i < LIMIT; i++) {
                assertThat(device.await("reported/accepted", WAIT).get("clientToken").asText()).isEqualTo("t" + i);
            }
            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() >= 1 + LIMIT, WAIT);
            assertThat(twin.at("/properties/reported/seq").asInt()).as("the refused report was not applied")
                    .isEqualTo(LIMIT - 1);
            assertThat(counter("twin.devices.admission.refused") - refusedBefore).isEqualTo(1);

            device.publish("reported", q("{'seq':" + LIMIT + ",'clientToken':'t" + LIMIT + "'}"));
            JsonNode again = device.await("reported/accepted", WAIT);
            assertThat(again.get("clientToken").asText()).isEqualTo("t" + LIMIT);
            // The answer comes when the event is stored; the read side shows it a moment later.
            assertThat(http.awaitJson("/twins/" + id, t -> t.get("version").asLong() >= again.get("version").asLong(),
                    WAIT).at("/properties/reported/seq").asInt()).isEqualTo(LIMIT);
            awaitGauge("twin.devices.admission.backlog", 0);
        }
    }

    private String createDevice() {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, q("{'tags':{}}"));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }

    private MqttDevice device(String twinId) {
        return MqttDevice.connect("127.0.0.1", broker.port(), twinId, broker.deviceKeys().password(twinId))
                .subscribe();
    }

    private double gauge(String name) {
        return meters.get(name).gauge().value();
    }

    private double counter(String name) {
        return meters.get(name).functionCounter().count();
    }

    private void awaitGauge(String name, double value) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (gauge(name) != value) {
            assertThat(System.nanoTime()).as("%s reaches %s (now %s)", name, value, gauge(name)).isLessThan(end);
            Thread.sleep(20);
        }
    }
}
