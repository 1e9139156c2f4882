package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The current-state projection is safe to replay: resetting its processor rebuilds every twin document from the
 * events, equal to what it showed before, deleted twins included.
 */
class ProjectionReplayTest extends PlatformTestSupport {

    @Autowired
    EventProcessingConfiguration processing;

    @Test
    void rebuildsEveryTwinDocumentExactlyFromTheEvents() throws Exception {
        String device = createDevice("{'tags':{'site':'north'},'properties':{'desired':{'interval':30,'mode':'eco'}}}");
        http.patch("/twins/" + device + "/properties/reported", q("{'interval':60,'fw':{'version':'1.2.3'}}"));
        http.patch("/twins/" + device, q("{'properties':{'desired':{'mode':null,'list':[1,2]}}}"));
        assertThat(http.put("/twins/" + device + "/modules/m1", q("{'tags':{'kind':'camera'}}")).status()).isEqualTo(201);
        http.patch("/twins/" + device + "/modules/m1/properties/reported", q("{'fps':25}"));
        String gone = createDevice("{'tags':{'site':'south'}}");
        assertThat(http.delete("/twins/" + gone).status()).isEqualTo(204);
        List<String> paths = List.of("/twins/" + device, "/twins/" + device + "/modules/m1");
        List<JsonNode> before = paths.stream().map(path -> http.get(path).json()).toList();
        JsonNode viewsBefore = http.get("/fleet/views").json();

        StreamingEventProcessor projection = processing
                .eventProcessor("twin-current", StreamingEventProcessor.class).orElseThrow();
        projection.shutdownAsync().get(30, TimeUnit.SECONDS);
        projection.resetTokens();
        assertThat(http.get(paths.get(0)).status()).as("the reset emptied the table").isEqualTo(404);
        projection.start();

        List<JsonNode> after = awaitDocuments(paths, before, Duration.ofSeconds(60));
        assertThat(after).isEqualTo(before);
        assertThat(http.get("/twins/" + gone).status()).isEqualTo(404);
        // The fleet views were emptied with the documents and counted again from the same events.
        assertThat(awaitViews(viewsBefore, Duration.ofSeconds(60))).isEqualTo(viewsBefore);
    }

    private JsonNode awaitViews(JsonNode expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode read;
        do {
            read = http.get("/fleet/views").json();
            if (read.equals(expected)) {
                return read;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return read;
    }

    /** Reads the documents until they equal {@code expected} or the time is up; returns the last read. */
    private List<JsonNode> awaitDocuments(List<String> paths, List<JsonNode> expected, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> read;
        do {
            read = paths.stream().map(path -> {
                TwinHttp.Reply reply = http.get(path);
                return reply.status() == 200 ? reply.json() : null;
            }).toList();
            if (read.equals(expected)) {
                return read;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return read;
    }
}
