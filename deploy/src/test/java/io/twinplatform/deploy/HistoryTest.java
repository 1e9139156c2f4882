package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import io.twinplatform.history.HistoryRetention;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A twin's past: read as it was at an instant or a version, list its changes with who, through what and why,
 * filtered and paged; the history table keeps its day partitions and rebuilds equal on a replay.
 */
class HistoryTest extends PlatformTestSupport {

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    HistoryRetention partitions;

    @Autowired
    EventProcessingConfiguration processing;

    @Test
    void readsATwinAsItWasAtEachInstantAndVersion() throws Exception {
        String device = createDevice("{'tags':{'site':'north'},'properties':{'desired':{'fan':1}}}");
        String path = "/twins/" + device;
        List<Instant> instants = new ArrayList<>();
        List<JsonNode> documents = new ArrayList<>();
        documents.add(http.get(path).json());
        instants.add(TwinHttp.pause());
        http.patch(path + "/properties/reported", q("{'fan':1}"));
        documents.add(http.get(path).json());
        instants.add(TwinHttp.pause());
        http.patch(path, q("{'tags':{'site':'south'},'properties':{'desired':{'fan':2}}}"));
        documents.add(http.get(path).json());
        instants.add(TwinHttp.pause());
        assertThat(http.delete(path).status()).isEqualTo(204);
        Instant afterDelete = TwinHttp.pause();

        for (int i = 0; i < documents.size(); i++) {
            Reply byTime = awaitPast(path + "?asOf=" + instants.get(i));
            assertThat(byTime.json()).as("as of instant %d", i).isEqualTo(documents.get(i));
            assertThat(byTime.etag()).isEqualTo("\"" + (i + 1) + "\"");
            assertThat(http.get(path + "?atVersion=" + (i + 1)).json()).as("at version %d", i + 1)
                    .isEqualTo(documents.get(i));
        }
        Instant beforeCreation = Instant.parse(documents.get(0).path("statusUpdatedTime").asText()).minusMillis(1);
        TwinHttp.assertProblem(http.get(path + "?asOf=" + beforeCreation), 404, "twinNotFound");
        TwinHttp.assertProblem(http.get(path + "?asOf=" + afterDelete), 404, "twinNotFound");
        TwinHttp.assertProblem(http.get(path + "?atVersion=4"), 404, "twinNotFound");
        TwinHttp.assertProblem(http.get(path + "?atVersion=5"), 404, "twinNotFound");
    }

    @Test
    void readsAModuleTwinAsItWas() throws Exception {
        String device = createDevice("{}");
        String module = "/twins/" + device + "/modules/agent";
        assertThat(http.put(module, q("{'properties':{'desired':{'rate':5}}}")).status()).isEqualTo(201);
        JsonNode first = http.get(module).json();
        Instant between = TwinHttp.pause();
        http.patch(module, q("{'properties':{'desired':{'rate':6}}}"));

        assertThat(awaitPast(module + "?asOf=" + between).json()).isEqualTo(first);
        assertThat(http.get(module + "?atVersion=2").json()).isEqualTo(http.get(module).json());
    }

    @Test
    void refusesBadPointInTimeParameters() {
        String device = createDevice("{}");
        TwinHttp.assertProblem(http.get("/twins/" + device + "?asOf=yesterday"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get("/twins/" + device + "?atVersion=0"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get("/twins/" + device + "?asOf=2026-01-01T00:00:00Z&atVersion=1"), 400,
                "invalidParameter");
    }

    @Test
    void listsChangesWithWhoWhyAndWhatFilteredAndPaged() {
        String device = newDeviceId();
        String path = "/twins/" + device;
        assertThat(http.as("alice").http().put(path, q("{'tags':{'site':'a'},'properties':{'desired':{'fan':1}}}"), "X-Change-Reason", "installation").status()).isEqualTo(201);
        http.as("dev-1").http().patch(path + "/properties/reported", q("{'fan':1,'fw':{'version':'2'}}"));
        http.as("bob").http().patch(path, q("{'tags':{'site':'b'}}"));
        http.as("bob").http().put(path + "/status", q("{'status':'disabled'}"));
        assertThat(http.as("carol").http().delete(path).status()).isEqualTo(204);

        JsonNode all = http.awaitHistory(path + "/history", 5);
        assertThat(all.get("items")).extracting(item -> item.get("version").asLong()).containsExactly(5L, 4L, 3L, 2L, 1L);
        assertThat(all.get("items")).extracting(item -> item.get("eventType").asText()).containsExactly(
                "TwinDeleted", "TwinStatusChanged", "TwinPatched", "ReportedPropertiesPatched", "TwinCreated");
        JsonNode created = all.get("items").get(4);
        assertThat(created.get("principal").asText()).isEqualTo(http.as("alice").principal());
        assertThat(created.get("reason").asText()).isEqualTo("installation");
        assertThat(created.get("channel").asText()).isEqualTo("api");
        assertThat(all.get("items").get(3).get("channel").asText()).isEqualTo("device");
        assertThat(all.get("continuationToken").isNull()).isTrue();

        JsonNode oldest = http.get(path + "/history?order=oldest&pageSize=2").json();
        assertThat(oldest.get("items")).extracting(item -> item.get("version").asLong()).containsExactly(1L, 2L);
        JsonNode next = http.get(path + "/history?order=oldest&pageSize=2&continuationToken="
                + oldest.get("continuationToken").asText()).json();
        assertThat(next.get("items")).extracting(item -> item.get("version").asLong()).containsExactly(3L, 4L);

        assertThat(versions(path + "/history?principal=" + http.as("bob").principal())).containsExactly(4L, 3L);
        assertThat(versions(path + "/history?channel=device")).containsExactly(2L);
        assertThat(versions(path + "/history?path=tags.site")).containsExactly(3L, 1L);
        assertThat(versions(path + "/history?path=tags")).containsExactly(3L, 1L);
        assertThat(versions(path + "/history?path=properties.reported.fw")).containsExactly(2L);
        assertThat(versions(path + "/history?path=properties.reported.fw.version.major")).containsExactly(2L);
        assertThat(versions(path + "/history?path=tag")).isEmpty();

        String at = all.get("items").get(2).get("time").asText();
        assertThat(versions(path + "/history?from=" + at)).startsWith(5L).endsWith(3L);
        assertThat(versions(path + "/history?to=" + at)).containsExactly(2L, 1L);

        JsonNode withState = http.get(path + "/history?includeState=true&order=oldest&pageSize=1").json();
        assertThat(withState.at("/items/0/twin/tags/site").asText()).isEqualTo("a");
    }

    @Test
    void refusesBadHistoryParametersAndUnknownTwins() {
        String device = createDevice("{}");
        http.awaitHistory("/twins/" + device + "/history", 1);
        for (String query : List.of("order=sideways", "pageSize=0", "pageSize=1001", "from=monday",
                "channel=fax", "continuationToken=abc")) {
            TwinHttp.assertProblem(http.get("/twins/" + device + "/history?" + query), 400, "invalidParameter");
        }
        TwinHttp.assertProblem(http.get("/twins/" + newDeviceId() + "/history"), 404, "twinNotFound");
    }

    @Test
    void dropsPartitionsPastRetentionAndKeepsTheRest() {
        LocalDate old = LocalDate.now(ZoneOffset.UTC).minusDays(200);
        String name = "twin_history_p" + old.toString().replace("-", "");
        jdbc.execute("CREATE TABLE " + name + " PARTITION OF twin_history FOR VALUES FROM ('" + old
                + " 00:00:00+00') TO ('" + old.plusDays(1) + " 00:00:00+00')");

        assertThat(partitions.maintain()).containsExactly(name);

        List<String> left = jdbc.queryForList("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'twin_history'""", String.class);
        // Weeks from Monday: from the retention's horizon (90 days) to a week ahead.
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate monday = today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        assertThat(left).doesNotContain(name)
                .contains("twin_history_p" + monday.toString().replace("-", ""))
                .contains("twin_history_p" + monday.plusDays(7).toString().replace("-", ""))
                .contains("twin_history_p" + monday.minusDays(84).toString().replace("-", ""))
                .hasSizeLessThanOrEqualTo(16);
    }

    @Test
    void countsTheFleetsChangesPerTimeBucket() throws Exception {
        Instant start = Instant.now();
        String device = createDevice("{'tags':{'n':1}}");
        http.as("counter").http().patch("/twins/" + device, q("{'tags':{'n':2}}"));
        http.patch("/twins/" + device + "/properties/reported", q("{'n':2}"));
        http.awaitHistory("/twins/" + device + "/history", 3);
        Instant end = Instant.now().plusSeconds(1);

        JsonNode activity = http.get("/fleet/activity?from=" + start + "&to=" + end + "&bucket=1h").json();
        assertThat(activity.get("dialect").asText()).isEqualTo("native");
        long changes = 0;
        long created = 0;
        long byDevice = 0;
        for (JsonNode bucket : activity.get("buckets")) {
            assertThat(Instant.parse(bucket.get("start").asText()).getEpochSecond() % 3600).isZero();
            changes += bucket.get("changes").asLong();
            created += bucket.path("byEventType").path("TwinCreated").asLong();
            byDevice += bucket.path("byChannel").path("device").asLong();
        }
        // Other tests' twins may change in the same hour; these three changes are counted at least.
        assertThat(changes).isGreaterThanOrEqualTo(3);
        assertThat(created).isGreaterThanOrEqualTo(1);
        assertThat(byDevice).isGreaterThanOrEqualTo(1);

        JsonNode seconds = http.get("/fleet/activity?from=" + start + "&to=" + end + "&bucket=1s").json();
        long inSeconds = 0;
        for (JsonNode bucket : seconds.get("buckets")) {
            inSeconds += bucket.get("changes").asLong();
        }
        assertThat(inSeconds).isGreaterThanOrEqualTo(3).isLessThanOrEqualTo(changes);

        for (String bad : List.of("bucket=5x", "bucket=0m", "from=" + end + "&to=" + start, "from=soon",
                "from=2020-01-01T00:00:00Z&bucket=1s")) {
            TwinHttp.assertProblem(http.get("/fleet/activity?" + bad), 400, "invalidParameter");
        }
    }

    @Test
    void aReplayRebuildsTheSameHistory() throws Exception {
        String device = createDevice("{'tags':{'n':1}}");
        http.as("replayer").http().patch("/twins/" + device, q("{'tags':{'n':2}}"));
        JsonNode before = http.awaitHistory("/twins/" + device + "/history?includeState=true", 2);

        StreamingEventProcessor history = processing.eventProcessor("twin-state", StreamingEventProcessor.class)
                .orElseThrow();
        history.shutdownAsync().get(30, TimeUnit.SECONDS);
        history.resetTokens();
        history.start();

        JsonNode after = http.awaitHistory("/twins/" + device + "/history?includeState=true", 2);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void diffNamesEveryLeafThatChangedBetweenTwoVersionsOrInstants() throws Exception {
        String device = createDevice("{'tags':{'site':'a','keep':1},'properties':{'desired':{'fan':1,'mode':'eco'}}}");
        String path = "/twins/" + device;
        Instant first = TwinHttp.pause();
        http.patch(path, q("{'tags':{'site':'b'},'properties':{'desired':{'mode':null,'led':{'on':true}}}}"));
        http.patch(path + "/properties/reported", q("{'fan':1}"));
        http.put(path + "/status", q("{'status':'disabled'}"));

        JsonNode byVersion = http.get(path + "/diff?fromVersion=1&toVersion=4").json();
        assertThat(byVersion.get("fromVersion").asLong()).isEqualTo(1);
        assertThat(byVersion.get("toVersion").asLong()).isEqualTo(4);
        assertThat(byVersion.get("changes")).containsExactlyInAnyOrder(
                TwinHttp.j("{'path':'status','from':'enabled','to':'disabled'}"),
                TwinHttp.j("{'path':'tags.site','from':'a','to':'b'}"),
                TwinHttp.j("{'path':'properties.desired.mode','from':'eco'}"),
                TwinHttp.j("{'path':'properties.desired.led.on','to':true}"),
                TwinHttp.j("{'path':'properties.reported.fan','to':1}"));
        JsonNode byTime = http.get(path + "/diff?fromTime=" + first + "&toVersion=2").json();
        assertThat(byTime.get("changes")).hasSize(3);
        assertThat(http.get(path + "/diff?fromVersion=2&toVersion=2").json().get("changes")).isEmpty();
        TwinHttp.assertProblem(http.get(path + "/diff?toVersion=2"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get(path + "/diff?fromVersion=1&fromTime=" + first + "&toVersion=2"), 400,
                "invalidParameter");
    }

    @Test
    void replayStepsThroughEachEventWithTheTwinAfterIt() {
        String device = createDevice("{'tags':{'n':1}}");
        String path = "/twins/" + device;
        http.as("stepper").http().patch(path, q("{'tags':{'n':2}}"), "X-Change-Reason", "second");
        http.patch(path, q("{'tags':{'n':3}}"));
        assertThat(http.delete(path).status()).isEqualTo(204);

        JsonNode all = http.get(path + "/replay").json().get("items");
        assertThat(all).extracting(item -> item.get("eventType").asText())
                .containsExactly("TwinCreated", "TwinPatched", "TwinPatched", "TwinDeleted");
        assertThat(all).extracting(item -> item.path("twin").path("tags").path("n").asInt(-1))
                .containsExactly(1, 2, 3, -1);
        assertThat(all.get(3).get("twin").isNull()).isTrue();
        assertThat(all.get(1).get("principal").asText()).isEqualTo(http.as("stepper").principal());
        assertThat(all.get(1).get("reason").asText()).isEqualTo("second");

        JsonNode middle = http.get(path + "/replay?fromVersion=2&toVersion=3").json().get("items");
        assertThat(middle).extracting(item -> item.get("version").asLong()).containsExactly(2L, 3L);
        TwinHttp.assertProblem(http.get(path + "/replay?fromVersion=3&toVersion=2"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get(path + "/replay?fromVersion=1&toVersion=5000"), 400, "invalidParameter");
        TwinHttp.assertProblem(http.get("/twins/" + newDeviceId() + "/replay"), 404, "twinNotFound");
    }

    /** The history projection runs on its own; wait until it has written what a read needs. */
    private Reply awaitPast(String path) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Reply reply;
        do {
            reply = http.get(path);
            if (reply.status() == 200) {
                return reply;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return reply;
    }

    private List<Long> versions(String path) {
        List<Long> versions = new ArrayList<>();
        http.get(path).json().get("items").forEach(item -> versions.add(item.get("version").asLong()));
        return versions;
    }
}
