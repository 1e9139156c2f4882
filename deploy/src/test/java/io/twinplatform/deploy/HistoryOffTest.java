package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Instant;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that does not run the history side ({@code twin.history.enabled=false}) still serves current twins,
 * and says plainly that it cannot read one as it was; telemetry and the Kafka stream are switched on their own.
 */
class HistoryOffTest {

    @Test
    void pointInTimeReadsNeedTheHistorySide() {
        Path dataDir = TestDataDirs.fresh();
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir, "twin.history.enabled=false")) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            assertThat(http.put("/twins/d1", q("{'tags':{'a':1}}")).status()).isEqualTo(201);
            assertThat(http.get("/twins/d1").status()).isEqualTo(200);
            TwinHttp.assertProblem(http.get("/twins/d1?atVersion=1"), 422, "pointInTimeNotAvailable");
            TwinHttp.assertProblem(http.get("/twins/d1?asOf=2026-01-01T00:00:00Z"), 422, "pointInTimeNotAvailable");
            assertThat(http.get("/twins/d1/history").status()).isEqualTo(404);
            TwinHttp.assertProblem(http.post("/query", "{\"query\":\"SELECT * FROM devices\",\"asOf\":\""
                    + Instant.now() + "\"}"), 422, "pointInTimeNotAvailable");
            assertThat(http.get("/twins/d1/telemetry").status()).as("telemetry is a capability of its own")
                    .isEqualTo(200);
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    @Test
    void eachCapabilityHasItsOwnSwitch_theKafkaStreamRunsWithoutTheHistorySide() {
        Path dataDir = TestDataDirs.fresh();
        String device = TwinHttp.newDeviceId();
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir, "twin.history.enabled=false",
                "twin.telemetry.enabled=false",
                "twin.kafka.bootstrap-servers=" + KafkaPlatformTestSupport.KAFKA.bootstrapServers(),
                "twin.kafka.events-topic=history-off.events", "twin.kafka.state-topic=history-off.state")) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            assertThat(http.put("/twins/" + device, q("{'tags':{'a':1}}")).status()).isEqualTo(201);
            assertThat(http.get("/twins/" + device + "/telemetry").status()).isEqualTo(404);
            assertThat(http.get("/twins/" + device + "/history").status()).isEqualTo(404);
            assertThat(http.get("/admin/kafka").json().path("state").asText()).isNotEqualTo("off");
            assertThat(KafkaPlatformTestSupport.read("history-off.events", device, records -> !records.isEmpty()))
                    .as("the twin's creation reaches the stream").isNotEmpty();
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }
}
