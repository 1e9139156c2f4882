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
 * The embedded broker's edge, with at most {@value #LIMIT} device messages in the platform's hands: a real broker,
 * devices as real MQTT 5 clients. A device's publish is answered (PUBACK) only once the platform committed and
 * answered it; publishes over the limit wait unacknowledged at the edge and come in as earlier ones are answered, or
 * are refused with {@code QUOTA_EXCEEDED} after {@code twin.mqtt.admission-timeout}. Its own platform (the limit is a
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
        registry.add("twin.mqtt.tls-port", () -> "0");
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
        http = new TwinHttp(port, DATA_DIR);
    }

    @Test
    void aBurstFromManyDevicesOverTheLimitIsAllAppliedInOrderWithAtMostTheLimitInHand() throws Exception {
        int devices = 4 * LIMIT;
        int each = 3;
        List<String> ids = new ArrayList<>();
        List<MqttDevice> connected = new ArrayList<>();
        try {
            for (int d = 0; d < devices; d++) {
                ids.add(createDevice());
                connected.add(device(ids.get(d)));
            }
            double suspensionsBefore = counter("twin.devices.admission.suspensions");
            AtomicInteger mostInHand = new AtomicInteger();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    mostInHand.accumulateAndGet((int) gauge("twin.devices.admission.backlog"), Math::max);
                    LockSupport.parkNanos(100_000);
                }
            }, "admission-sampler");
            sampler.start();

            List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
            for (int i = 0; i < each; i++) {
                for (MqttDevice device : connected) {
                    sent.add(device.publishAsync("reported", q("{'seq':" + i + ",'clientToken':'b" + i + "'}")));
                }
            }
            for (CompletableFuture<Mqtt5PublishResult> publish : sent) {
                Mqtt5PublishResult result = publish.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode())
                        .as("every report is taken, none refused or dropped").isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
            }
            sampling.set(false);
            sampler.join();
            for (int d = 0; d < devices; d++) {
                long lastVersion = 0;
                for (int i = 0; i < each; i++) {
                    JsonNode accepted = connected.get(d).await("reported/accepted", WAIT);
                    assertThat(accepted.get("clientToken").asText()).as("answers in the order sent").isEqualTo("b" + i);
                    assertThat(accepted.get("version").asLong()).isGreaterThan(lastVersion);
                    lastVersion = accepted.get("version").asLong();
                }
                JsonNode twin = http.awaitJson("/twins/" + ids.get(d), t -> t.get("version").asLong() >= 1 + each, WAIT);
                assertThat(twin.at("/properties/reported/seq").asInt()).as("the last report is the twin's state")
                        .isEqualTo(each - 1);
            }
            assertThat(mostInHand.get()).as("messages in the platform's hands at once").isBetween(1, LIMIT);
            assertThat(counter("twin.devices.admission.suspensions") - suspensionsBefore)
                    .as("publishes over the limit waited at the edge").isPositive();
            awaitGauge("twin.devices.admission.backlog", 0);
            awaitGauge("twin.devices.admission.suspended", 0);
            assertThat(http.get("/actuator/metrics/twin.devices.admission.limit").json()
                    .at("/measurements/0/value").asInt()).isEqualTo(LIMIT);
        } finally {
            connected.forEach(MqttDevice::close);
        }
    }

    /**
     * The platform is held up (its event table locked, so no write commits): {@value #LIMIT} devices' reports are
     * taken but none is acknowledged while nothing is committed; the next device's report waits at the edge and is
     * refused with {@code QUOTA_EXCEEDED} after the timeout. Once the platform moves again every taken report is
     * acknowledged and applied, and the refused one goes through when sent again.
     */
    @Test
    void aDeviceIsAcknowledgedOnlyAfterItsReportIsCommittedAndAPublishOverTheLimitIsRefusedAfterTheTimeout()
            throws Exception {
        List<String> ids = new ArrayList<>();
        List<MqttDevice> connected = new ArrayList<>();
        for (int d = 0; d <= LIMIT; d++) {
            ids.add(createDevice());
            connected.add(device(ids.get(d)));
        }
        double refusedBefore = counter("twin.devices.admission.refused");
        try (Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                statement.execute("LOCK TABLE domain_event_entry IN EXCLUSIVE MODE");
            }
            List<CompletableFuture<Mqtt5PublishResult>> taken = new ArrayList<>();
            long refusedAfterMillis;
            try {
                for (int d = 0; d < LIMIT; d++) {
                    taken.add(connected.get(d).publishAsync("reported", q("{'seq':1,'clientToken':'t" + d + "'}")));
                }
                awaitGauge("twin.devices.admission.backlog", LIMIT);
                long start = System.nanoTime();
                CompletableFuture<Mqtt5PublishResult> over = connected.get(LIMIT).publishAsync("reported",
                        q("{'seq':1,'clientToken':'over'}"));
                awaitGauge("twin.devices.admission.suspended", 1);
                Throwable refusal = over.handle((result, failure) -> failure).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                refusedAfterMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(refusal).as("the broker's answer to the publish over the limit")
                        .isInstanceOf(Mqtt5PubAckException.class);
                assertThat(((Mqtt5PubAckException) refusal).getMqttMessage().getReasonCode())
                        .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
                assertThat(taken).as("no device holds a PUBACK for a report that is not committed")
                        .noneMatch(CompletableFuture::isDone);
                assertThat(connected.get(0).poll("reported/accepted", Duration.ZERO)).as("the platform is held up")
                        .isNull();
            } finally {
                lock.rollback();
            }
            assertThat(refusedAfterMillis).as("refused after waiting the timeout")
                    .isGreaterThanOrEqualTo(ADMISSION_TIMEOUT.toMillis() - 100);
            for (int d = 0; d < LIMIT; d++) {
                Mqtt5PublishResult result = taken.get(d).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode())
                        .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
                assertThat(connected.get(d).await("reported/accepted", WAIT).get("clientToken").asText())
                        .isEqualTo("t" + d);
                assertThat(http.awaitJson("/twins/" + ids.get(d), t -> t.get("version").asLong() >= 2, WAIT)
                        .at("/properties/reported/seq").asInt()).isEqualTo(1);
            }
            String refusedId = ids.get(LIMIT);
            assertThat(http.get("/twins/" + refusedId).json().at("/properties/reported/seq").isMissingNode())
                    .as("the refused report was not applied").isTrue();
            assertThat(counter("twin.devices.admission.refused") - refusedBefore).isEqualTo(1);

            connected.get(LIMIT).publish("reported", q("{'seq':1,'clientToken':'over'}"));
            JsonNode again = connected.get(LIMIT).await("reported/accepted", WAIT);
            assertThat(again.get("clientToken").asText()).isEqualTo("over");
            // The answer comes when the event is stored; the read side shows it a moment later.
            assertThat(http.awaitJson("/twins/" + refusedId,
                    t -> t.get("version").asLong() >= again.get("version").asLong(), WAIT)
                    .at("/properties/reported/seq").asInt()).isEqualTo(1);
            awaitGauge("twin.devices.admission.backlog", 0);
        } finally {
            connected.forEach(MqttDevice::close);
        }
    }

    private String createDevice() {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, q("{'tags':{}}"));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }

    private MqttDevice device(String twinId) {
        MqttDevice.Broker tls = MqttDevice.Broker.tls("127.0.0.1", broker.tlsPort(),
                DATA_DIR.resolve("mqtt/tls/ca.crt"));
        return MqttDevice.connect(tls, twinId, broker.deviceKeys().password(twinId)).subscribe();
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
