package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every twin event reaches {@code twin.events} as a CloudEvent, in order per twin, through a broker outage, and again
 * on a replay with the same ids; {@code twin.state} ends with each current twin's document and a tombstone for each
 * deleted one.
 */
class KafkaStreamTest extends KafkaPlatformTestSupport {

    @Test
    void aThousandTwinsTenChangesEachArriveInOrderPerTwin() throws Exception {
        String prefix = "order-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> twins = IntStream.range(0, 1000).mapToObj(i -> prefix + i).toList();
        inParallel(twins, twin -> {
            assertCreated(http.put("/twins/" + twin, q("{'tags':{'site':'s1'},'properties':{'desired':{'n':0}}}")));
            for (int change = 1; change <= 10; change++) {
                TwinHttp.Reply reply = switch (change % 3) {
                    case 0 -> http.patch("/twins/" + twin, q("{'tags':{'step':" + change + "}}"));
                    case 1 -> http.patch("/twins/" + twin, q("{'properties':{'desired':{'n':" + change + "}}}"));
                    default -> http.patch("/twins/" + twin + "/properties/reported", q("{'n':" + change + "}"));
                };
                assertThat(reply.status()).as("%s change %d: %s", twin, change, reply).isEqualTo(200);
            }
        });
        List<StoredEvent> stored = storedEvents(prefix);
        assertThat(stored).hasSize(11_000);

        List<ConsumerRecord<String, byte[]>> records = read(EVENTS, prefix, read -> read.size() >= 11_000);

        assertThat(records).hasSize(11_000);
        Map<String, List<String>> idsByTwin = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            JsonNode event = json(record.value());
            assertThat(event.path("subject").asText()).isEqualTo(record.key());
            assertMatchesSchemas(event);
            idsByTwin.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(event.path("id").asText());
        }
        Map<String, List<String>> storedIds = stored.stream().collect(Collectors.groupingBy(StoredEvent::twinId,
                LinkedHashMap::new, Collectors.mapping(StoredEvent::id, Collectors.toList())));
        assertThat(idsByTwin).as("each twin's events, in the order consumed, are its stored events in version order")
                .isEqualTo(storedIds);
    }

    @Test
    void eachRecordIsAStructuredCloudEventWithTheEventItsMetadataAndVersions() {
        String twin = "ce-" + UUID.randomUUID();
        assertCreated(http.put("/twins/" + twin, q("{}")));
        assertCreated(http.as("alice").http().put("/twins/" + twin + "/modules/m1", q("{'properties':{'desired':{'interval':30}}}"), "X-Correlation-Id", "corr-42", "X-Change-Reason", "commissioning"));
        http.patch("/twins/" + twin + "/modules/m1/properties/reported", q("{'interval':30,'fw':'1.0'}"));
        String key = twin + "/m1";
        List<StoredEvent> stored = storedEvents(key);

        List<ConsumerRecord<String, byte[]>> records = read(EVENTS, key, read -> read.size() >= 2);

        records.forEach(record -> assertMatchesSchemas(json(record.value())));
        ConsumerRecord<String, byte[]> created = records.get(0);
        assertThat(header(created, "content-type")).isEqualTo("application/cloudevents+json; charset=UTF-8");
        JsonNode event = json(created.value());
        assertThat(event.path("specversion").asText()).isEqualTo("1.0");
        assertThat(event.path("id").asText()).isEqualTo(stored.get(0).id());
        assertThat(event.path("type").asText()).isEqualTo("io.twinplatform.twin.TwinCreated.v1");
        assertThat(event.path("source").asText()).isEqualTo("/twin-platform");
        assertThat(event.path("subject").asText()).isEqualTo(key);
        assertThat(event.path("partitionkey").asText()).isEqualTo(key);
        assertThat(event.path("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(Instant.parse(event.path("time").asText())).isBefore(Instant.now().plusSeconds(1));
        JsonNode data = event.path("data");
        assertThat(data.path("deviceId").asText()).isEqualTo(twin);
        assertThat(data.path("moduleId").asText()).isEqualTo("m1");
        assertThat(data.path("version").asLong()).isEqualTo(1);
        assertThat(data.path("event").path("desired").path("interval").asInt()).isEqualTo(30);
        assertThat(data.path("metadata").path("principal").asText()).isEqualTo(http.as("alice").principal());
        assertThat(data.path("metadata").path("correlationId").asText()).isEqualTo("corr-42");
        assertThat(data.path("metadata").path("reason").asText()).isEqualTo("commissioning");
        assertThat(data.path("metadata").path("channel").asText()).isEqualTo("api");
        assertThat(data.path("metadata").path("causationId").asText()).isNotBlank();
        assertThat(data.path("globalIndex").asLong()).isPositive();

        JsonNode reported = json(records.get(1).value()).path("data");
        assertThat(json(records.get(1).value()).path("type").asText())
                .isEqualTo("io.twinplatform.twin.ReportedPropertiesPatched.v1");
        assertThat(reported.path("version").asLong()).isEqualTo(2);
        assertThat(reported.path("desiredVersion").asLong()).isEqualTo(1);
        assertThat(reported.path("reportedVersion").asLong()).isEqualTo(2);
        assertThat(reported.path("globalIndex").asLong()).isGreaterThan(data.path("globalIndex").asLong());
        assertThat(reported.path("event").path("patch").path("fw").asText()).isEqualTo("1.0");
    }

    @Test
    void theStateTopicEndsWithTheCurrentTwinsAndATombstoneForEachDeletedOne() {
        String prefix = "state-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            assertCreated(http.put("/twins/" + prefix + i, q("{'tags':{'n':" + i + "}}")));
            http.patch("/twins/" + prefix + i + "/properties/reported", q("{'temp':" + (20 + i) + "}"));
            paths.add("/twins/" + prefix + i);
        }
        assertCreated(http.put("/twins/" + prefix + "0/modules/camera", q("{'tags':{'kind':'camera'}}")));
        paths.add("/twins/" + prefix + "0/modules/camera");
        http.patch("/twins/" + prefix + "1", q("{'properties':{'desired':{'mode':'eco'}}}"));
        Set<String> deleted = Set.of(prefix + "2", prefix + "5", prefix + "7");
        deleted.forEach(twin -> assertThat(http.delete("/twins/" + twin).status()).isEqualTo(204));
        assertCreated(http.put("/twins/" + prefix + "7", q("{'tags':{'again':true}}")));
        Map<String, JsonNode> current = new HashMap<>();
        for (String path : paths) {
            TwinHttp.Reply reply = http.get(path);
            if (reply.status() == 200) {
                current.put(path.substring("/twins/".length()).replace("/modules/", "/"), reply.json());
            }
        }
        assertThat(current).hasSize(9);
        Map<String, Long> lastVersion = storedEvents(prefix).stream()
                .collect(Collectors.toMap(StoredEvent::twinId, StoredEvent::version, Math::max));

        List<ConsumerRecord<String, byte[]>> records = read(STATE, prefix, read -> lastVersion.entrySet().stream()
                .allMatch(last -> read.stream().anyMatch(r -> r.key().equals(last.getKey())
                        && String.valueOf(last.getValue()).equals(header(r, "twin-version")))));

        Map<String, JsonNode> latest = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            latest.put(record.key(), record.value() == null ? null : json(record.value()));
        }
        assertThat(latest.keySet()).isEqualTo(lastVersion.keySet());
        Map<String, JsonNode> live = new HashMap<>(latest);
        live.values().removeIf(java.util.Objects::isNull);
        assertThat(live).as("the last record of each current twin is its document").isEqualTo(current);
        assertThat(latest.get(prefix + "2")).as("deleted: a tombstone").isNull();
        assertThat(latest.get(prefix + "5")).isNull();
        assertThat(latest.get(prefix + "7").path("tags").path("again").asBoolean()).isTrue();
    }

    @Test
    void aBrokerOutageStallsTheStreamAndItResumesWithoutSkippingAnEvent() throws Exception {
        String prefix = "outage-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> twins = IntStream.range(0, 50).mapToObj(i -> prefix + i).toList();
        inParallel(twins, twin -> assertCreated(http.put("/twins/" + twin, q("{'tags':{'site':'s1'}}"))));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger writes = new AtomicInteger();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        Future<?> written = writer.submit(() -> {
            for (int round = 1; writing.get(); round++) {
                for (String twin : twins) {
                    TwinHttp.Reply reply = http.patch("/twins/" + twin + "/properties/reported",
                            q("{'round':" + round + "}"));
                    assertThat(reply.status()).as("a write during the outage: %s", reply).isEqualTo(200);
                    writes.incrementAndGet();
                }
            }
            return null;
        });
        try {
            sleep(500);
            KAFKA.stopBroker();
            JsonNode stalled = awaitPublisher(health -> "DOWN".equals(health.path("status").asText()),
                    Duration.ofSeconds(60));
            assertThat(stalled.path("details").path("state").asText()).isEqualTo("stalled");
            assertThat(stalled.path("details").path("lastError").asText()).isNotBlank();
            int before = writes.get();
            sleep(1000);
            assertThat(writes.get()).as("writes go on while Kafka is away").isGreaterThan(before);
            assertThat(http.get("/actuator/health/readiness").json().path("status").asText()).isEqualTo("UP");
            assertThat(awaitPublisher(health -> health.path("details").path("lag").asLong() > 0,
                    Duration.ofSeconds(10)).path("details").path("lag").asLong()).isPositive();
            // the same lag for a scraper, and the publisher's processor behind the store's head
            assertThat(http.get("/actuator/metrics/twin.kafka.lag").json().at("/measurements/0/value").asDouble())
                    .isPositive();
            assertThat(http.get("/actuator/metrics/twin.projection.backlog?tag=processor:twin-kafka").json()
                    .at("/measurements/0/value").asDouble()).isPositive();
        } finally {
            KAFKA.startBroker();
        }
        sleep(500);
        writing.set(false);
        written.get(60, TimeUnit.SECONDS);
        writer.shutdown();
        JsonNode recovered = awaitCaughtUp();
        assertThat(recovered.path("status").asText()).isEqualTo("UP");
        List<StoredEvent> stored = storedEvents(prefix);
        Set<String> storedIds = stored.stream().map(StoredEvent::id).collect(Collectors.toSet());

        List<ConsumerRecord<String, byte[]>> records = read(EVENTS, prefix,
                read -> read.stream().map(r -> json(r.value()).path("id").asText()).collect(Collectors.toSet())
                        .containsAll(storedIds));

        Map<String, List<Long>> firstSeenVersions = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            JsonNode event = json(record.value());
            if (seen.add(event.path("id").asText())) {
                firstSeenVersions.computeIfAbsent(record.key(), k -> new ArrayList<>())
                        .add(event.path("data").path("version").asLong());
            }
        }
        assertThat(seen).as("every stored event, and nothing else, reached Kafka").isEqualTo(storedIds);
        Map<String, List<Long>> storedVersions = stored.stream().collect(Collectors.groupingBy(StoredEvent::twinId,
                Collectors.mapping(StoredEvent::version, Collectors.toList())));
        assertThat(firstSeenVersions).as("without duplicates, each twin's events are in version order")
                .isEqualTo(storedVersions);
    }

    @Test
    void aReplaySendsTheEventsAgainWithTheSameIdsAndLeavesTheStateTopicAlone() {
        String prefix = "replay-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Instant before = Instant.now();
        for (int i = 0; i < 5; i++) {
            assertCreated(http.put("/twins/" + prefix + i, q("{'tags':{'n':" + i + "}}")));
            for (int change = 0; change < 3; change++) {
                http.patch("/twins/" + prefix + i + "/properties/reported", q("{'c':" + change + "}"));
            }
        }
        Set<String> ids = storedEvents(prefix).stream().map(StoredEvent::id).collect(Collectors.toSet());
        assertThat(ids).hasSize(20);
        List<ConsumerRecord<String, byte[]>> first = read(EVENTS, prefix, read -> read.size() >= 20);
        long fromIndex = first.stream().mapToLong(r -> json(r.value()).path("data").path("globalIndex").asLong())
                .min().orElseThrow();
        awaitCaughtUp();
        int stateRecords = read(STATE, prefix, read -> read.size() >= 20).size();

        TwinHttp.Reply replay = http.post("/admin/kafka/replay?from=" + fromIndex, null);

        assertThat(replay.status()).as("%s", replay).isEqualTo(202);
        assertThat(replay.json().path("fromGlobalIndex").asLong()).isEqualTo(fromIndex);
        assertThat(replay.json().path("events").asLong()).isGreaterThanOrEqualTo(20);
        List<ConsumerRecord<String, byte[]>> again = read(EVENTS, prefix, read -> read.size() >= 40);
        assertThat(again).hasSize(40);
        Map<String, List<JsonNode>> byId = again.stream().map(r -> json(r.value()))
                .collect(Collectors.groupingBy(e -> e.path("id").asText()));
        assertThat(byId.keySet()).isEqualTo(ids);
        byId.forEach((id, copies) -> assertThat(copies).as("event %s sent twice, the same both times", id)
                .hasSize(2).allSatisfy(copy -> assertThat(copy).isEqualTo(copies.get(0))));

        awaitCaughtUp();
        TwinHttp.Reply byInstant = http.post("/admin/kafka/replay?from=" + before, null);
        assertThat(byInstant.status()).as("%s", byInstant).isEqualTo(202);
        assertThat(byInstant.json().path("fromGlobalIndex").asLong()).isLessThanOrEqualTo(fromIndex);
        assertThat(read(EVENTS, prefix, read -> read.size() >= 60)).hasSize(60);
        awaitCaughtUp();
        assertThat(read(STATE, prefix, read -> read.size() >= stateRecords)).as("the replays wrote no state records")
                .hasSize(stateRecords);
    }

    @Test
    void aReplayNeedsAnInstantInThePastOrAGlobalIndex() {
        TwinHttp.assertProblem(http.post("/admin/kafka/replay", null), 400, "invalidFrom");
        JsonNode problem = TwinHttp.assertProblem(http.post("/admin/kafka/replay?from=yesterday", null), 400,
                "invalidFrom");
        assertThat(problem.path("path").asText()).isEqualTo("from");
        TwinHttp.assertProblem(http.post("/admin/kafka/replay?from=-3", null), 400, "invalidFrom");
        TwinHttp.assertProblem(http.post("/admin/kafka/replay?from=" + Instant.now().plusSeconds(3600), null), 422,
                "fromInFuture");
        TwinHttp.assertProblem(http.post("/admin/projections/twin-kafka/replay", null), 409, "notReplayable");
        assertThat(http.get("/admin/kafka").json().path("state").asText()).isIn("running", "replaying");
    }

    /** Runs {@code work} for each twin on eight threads (each twin's own writes stay in order on one thread). */
    private static void inParallel(List<String> twins, Consumer<String> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (String twin : twins) {
                done.add(pool.submit(() -> work.accept(twin)));
            }
            for (Future<?> each : done) {
                each.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
