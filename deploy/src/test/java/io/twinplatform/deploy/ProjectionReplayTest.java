package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Current state and history are safe to replay: resetting their processor (one, merged) rebuilds every twin document,
 * fleet view count and history row from the events, equal to what was written live, deleted twins included.
 */
class ProjectionReplayTest extends PlatformTestSupport {

    @Autowired
    EventProcessingConfiguration processing;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void rebuildsEveryTwinDocumentAndHistoryRowExactlyFromTheEvents() throws Exception {
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
        http.awaitHistory("/twins/" + gone + "/history", 2);
        http.awaitHistory("/twins/" + device + "/modules/m1/history", 2);
        List<String> documentsBefore = documentRows(device, gone);
        List<String> historyBefore = historyRows(device, gone);
        assertThat(documentsBefore).hasSize(3);
        assertThat(historyBefore).hasSize(7);

        StreamingEventProcessor projection = processing
                .eventProcessor("twin-state", StreamingEventProcessor.class).orElseThrow();
        projection.shutdownAsync().get(30, TimeUnit.SECONDS);
        projection.resetTokens();
        assertThat(http.get(paths.get(0)).status()).as("the reset emptied the table").isEqualTo(404);
        assertThat(historyRows(device, gone)).as("the reset emptied the history").isEmpty();
        projection.start();

        List<JsonNode> after = awaitDocuments(paths, before, Duration.ofSeconds(60));
        assertThat(after).isEqualTo(before);
        assertThat(http.get("/twins/" + gone).status()).isEqualTo(404);
        // The fleet views were emptied with the documents and counted again from the same events.
        assertThat(awaitViews(viewsBefore, Duration.ofSeconds(60))).isEqualTo(viewsBefore);
        // The rows themselves, every column: the documents (the tombstone too) and one history row per event.
        assertThat(documentRows(device, gone)).isEqualTo(documentsBefore);
        http.awaitHistory("/twins/" + gone + "/history", 2);
        assertThat(historyRows(device, gone)).isEqualTo(historyBefore);
    }

    private List<String> documentRows(String... devices) {
        return jdbc.queryForList("SELECT row_to_json(d)::text FROM twin_document d WHERE device_id = ANY (?)"
                + " ORDER BY twin_id", String.class, (Object) devices);
    }

    private List<String> historyRows(String... devices) {
        return jdbc.queryForList("SELECT row_to_json(h)::text FROM twin_history h WHERE device_id = ANY (?)"
                + " ORDER BY twin_id, version", String.class, (Object) devices);
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
