package io.twinplatform.deploy;

import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Current state and history as one processor, and the move to it from the two separate ones: the merged processor
 * starts at the lowest position the separate ones had reached, so an event one of them had not projected yet is
 * projected, and none is projected twice into the history.
 */
@ExtendWith(OutputCaptureExtension.class)
class MergedProjectionsTest {

    @Test
    void aStoreProjectedBySeparateProcessorsIsTakenOverWhereTheSlowerOneStood(CapturedOutput output) throws Exception {
        Path dataDir = TestDataDirs.fresh();
        String first = "/twins/" + TwinHttp.newDeviceId();
        String second = "/twins/" + TwinHttp.newDeviceId();
        long firstDone;
        long secondFrom;
        try {
            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                    "twin.projections.merged=false")) {
                EventProcessingConfiguration processing = app.getBean(EventProcessingConfiguration.class);
                assertThat(processing.eventProcessor("twin-state")).isEmpty();
                TwinHttp http = RestartKeepsTwinsTest.client(app);
                assertThat(http.put(first, q("{'tags':{'n':1}}")).status()).isEqualTo(201);
                http.patch(first + "/properties/reported", q("{'fan':1}"));
                http.awaitHistory(first + "/history", 2);
                // The history stops here; current state goes on with the second twin.
                StreamingEventProcessor history = processing
                        .eventProcessor("twin-history", StreamingEventProcessor.class).orElseThrow();
                history.shutdownAsync().get(30, TimeUnit.SECONDS);
                firstDone = head(app);
                assertThat(http.put(second, q("{'tags':{'n':2}}")).status()).isEqualTo(201);
                assertThat(http.patch(second + "/properties/reported", q("{'fan':2}")).version()).isEqualTo(2);
                assertThat(http.get(second).version()).as("current state went on").isEqualTo(2);
                secondFrom = app.getBean(JdbcTemplate.class).queryForObject("SELECT min(global_index) FROM"
                        + " domain_event_entry WHERE aggregate_identifier = ?", Long.class, twinId(second));
                assertThat(historyRows(app, second)).isZero();
            }

            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir)) {
                EventProcessingConfiguration processing = app.getBean(EventProcessingConfiguration.class);
                assertThat(processing.eventProcessor("twin-state")).isPresent();
                assertThat(processing.eventProcessor("twin-current")).isEmpty();
                assertThat(processing.eventProcessor("twin-history")).isEmpty();
                TwinHttp http = RestartKeepsTwinsTest.client(app);
                // The events the history had not reached are projected; none is written twice.
                http.awaitHistory(second + "/history", 2);
                assertThat(http.get(first + "/history").json().path("items")).hasSize(2);
                Matcher took = Pattern.compile("twin-state starts after global index (\\d+)").matcher(output.getOut());
                assertThat(took.find()).as("the merged processor logs where it took over").isTrue();
                assertThat(Long.parseLong(took.group(1))).isBetween(firstDone, secondFrom - 1);
                // And it goes on from there, both projections in step.
                TwinHttp.Reply written = http.patch(first + "/properties/reported", q("{'fan':3}"));
                assertThat(written.version()).isEqualTo(3);
                assertThat(http.get(first).json().at("/properties/reported/fan").asInt()).isEqualTo(3);
                assertThat(http.awaitHistory(first + "/history", 3).path("items")).hasSize(3);
                assertThat(historyRows(app, first)).isEqualTo(3);
                assertThat(historyRows(app, second)).isEqualTo(2);
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static long historyRows(ConfigurableApplicationContext app, String path) {
        Long rows = app.getBean(JdbcTemplate.class).queryForObject("SELECT count(*) FROM twin_history WHERE twin_id = ?",
                Long.class, twinId(path));
        return rows == null ? 0 : rows;
    }

    private static String twinId(String path) {
        return path.substring("/twins/".length());
    }

    private static long head(ConfigurableApplicationContext app) {
        Long head = app.getBean(JdbcTemplate.class).queryForObject("SELECT max(global_index) FROM domain_event_entry",
                Long.class);
        return head == null ? -1 : head;
    }
}
