package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.examples.TwinEventsConsumer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer example of docs/events.md (plain kafka-clients and Jackson) runs against the platform's topics: it
 * bootstraps from twin.state, follows twin.events, and ends with the platform's twins, versions and reported values.
 */
class KafkaConsumerExampleTest extends KafkaPlatformTestSupport {

    private static final Path EXAMPLE = Path.of("src", "test", "java", "io", "twinplatform", "examples",
            "TwinEventsConsumer.java");

    @Test
    void bootstrapsFromTheStateTopicThenFollowsTheEventsToThePlatformsTwins() throws Exception {
        String prefix = "example-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        for (int i = 0; i < 4; i++) {
            assertCreated(http.put("/twins/" + prefix + i, q("{'tags':{'n':" + i + "}}")));
            http.patch("/twins/" + prefix + i + "/properties/reported", q("{'temp':" + (20 + i) + ",'fw':{'v':'1.0'}}"));
        }
        assertThat(http.delete("/twins/" + prefix + "3").status()).isEqualTo(204);
        awaitCaughtUp();

        try (TwinEventsConsumer consumer = new TwinEventsConsumer(KAFKA.bootstrapServers(), "example-" + prefix)) {
            consumer.bootstrap();
            assertThat(known(consumer, prefix)).as("bootstrapped from twin.state").isEqualTo(platform(prefix, 4));

            http.patch("/twins/" + prefix + "0/properties/reported", q("{'temp':25.5,'fw':{'v':null}}"));
            http.patch("/twins/" + prefix + "1", q("{'properties':{'desired':{'mode':'eco'}}}"));
            assertThat(http.delete("/twins/" + prefix + "2").status()).isEqualTo(204);
            assertCreated(http.put("/twins/" + prefix + "3", q("{}")));
            http.patch("/twins/" + prefix + "3/properties/reported", q("{'back':true}"));
            Map<String, TwinEventsConsumer.Twin> expected = platform(prefix, 4);

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!known(consumer, prefix).equals(expected) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200));
            }
            assertThat(known(consumer, prefix)).as("after following twin.events").isEqualTo(expected);
        }
    }

    @Test
    void itsMainRunsAndPrintsWhatItKnows() throws Exception {
        assertCreated(http.put("/twins/" + "example-main-" + UUID.randomUUID(), q("{}")));
        awaitCaughtUp();
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            TwinEventsConsumer.main(new String[]{KAFKA.bootstrapServers(), "example-main-" + UUID.randomUUID(), "3"});
        } finally {
            System.setOut(out);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).containsPattern("[1-9][0-9]* twins from twin.state")
                .containsPattern("events applied, [1-9][0-9]* twins");
    }

    @Test
    void docsShowTheExampleAsCompiledHere() throws Exception {
        String source = Files.readString(EXAMPLE).replace("\r\n", "\n");
        String docs = Files.readString(Path.of("..", "docs", "events.md")).replace("\r\n", "\n");
        assertThat(docs).as("docs/events.md holds TwinEventsConsumer.java verbatim").contains(source.strip());
    }

    private static Map<String, TwinEventsConsumer.Twin> known(TwinEventsConsumer consumer, String prefix) {
        return consumer.twins().entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** The platform's current twins among {@code prefix0..prefix(n-1)}: version and reported values. */
    private Map<String, TwinEventsConsumer.Twin> platform(String prefix, int n) {
        Map<String, TwinEventsConsumer.Twin> twins = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TwinHttp.Reply reply = http.get("/twins/" + prefix + i);
            if (reply.status() == 200) {
                JsonNode doc = reply.json();
                ObjectNode reported = doc.path("properties").path("reported").deepCopy();
                reported.remove(List.of("$metadata", "$version"));
                twins.put(prefix + i, new TwinEventsConsumer.Twin(doc.path("version").asLong(), reported));
            }
        }
        return twins;
    }
}
