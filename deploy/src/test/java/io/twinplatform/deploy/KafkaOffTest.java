package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Without TWIN_KAFKA_BOOTSTRAP the stream is off, says so, and its replay is refused; health has no Kafka part. */
class KafkaOffTest extends PlatformTestSupport {

    @Test
    void theStreamIsOffAndSaysSo() {
        assertThat(http.get("/admin/kafka").json().path("state").asText()).isEqualTo("off");
        TwinHttp.assertProblem(http.post("/admin/kafka/replay?from=0", null), 409, "kafkaOff");
        assertThat(http.get("/actuator/health").json().path("components").has("kafkaPublisher")).isFalse();
        assertThat(http.get("/actuator/health").json().path("status").asText()).isEqualTo("UP");
    }

    @Test
    void theOpenApiDocumentDescribesTheStreamsEndpoints() {
        JsonNode paths = http.get("/v3/api-docs").json().path("paths");
        assertThat(paths.path("/admin/kafka").has("get")).isTrue();
        JsonNode replay = paths.path("/admin/kafka/replay").path("post");
        assertThat(replay.path("parameters").findValuesAsText("name")).containsExactly("from");
        assertThat(replay.path("summary").asText()).contains("keep their CloudEvent ids");
    }
}
