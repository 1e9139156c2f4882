package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event the write side accepted but a projection cannot store (here a NUL character in a reported value, which
 * PostgreSQL's JSONB refuses, published straight to the event store past the write side's validation) stalls
 * nothing: the projection quarantines that twin, says so (health DEGRADED, the gauge, GET /admin/projections),
 * every other twin is written and read back promptly, a replay goes to the end, and an operator can retry the twin.
 * Its own platform: the faults it makes must not show in other tests' health.
 */
class ProjectionFaultsTest {

    private static Path dataDir;
    private static ConfigurableApplicationContext app;
    private static TwinHttp http;

    @BeforeAll
    static void start() {
        dataDir = TestDataDirs.fresh();
        app = RestartKeepsTwinsTest.start(dataDir);
        http = RestartKeepsTwinsTest.client(app);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        TestDataDirs.delete(dataDir);
    }

    @Test
    void aTwinWhoseEventTheProjectionsRefuseIsQuarantinedWhileTheFleetGoesOn() throws Exception {
        List<String> fleet = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fleet.add(create("{'tags':{'n':" + i + "}}"));
        }
        String poisoned = create("{'tags':{'kind':'poisoned'}}");
        assertThat(http.patch("/twins/" + poisoned + "/properties/reported", q("{'fan':1}")).status()).isEqualTo(200);
        JsonNode lastGood = http.get("/twins/" + poisoned).json();
        long lastGoodVersion = lastGood.get("version").asLong();

        String eventId = publishNul(poisoned, lastGood);

        // Health names the processor (current state and history, merged), the twin, the event and the error.
        JsonNode health = awaitHealth(h -> faultOf(h.at("/components/projectionFaults/details/twin-state"), poisoned)
                != null);
        assertThat(health.get("status").asText()).isEqualTo("DEGRADED");
        JsonNode fault = faultOf(health.at("/components/projectionFaults/details/twin-state"), poisoned);
        assertThat(fault.get("eventId").asText()).isEqualTo(eventId);
        assertThat(fault.get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
        assertThat(fault.get("sequenceNumber").asLong()).isEqualTo(lastGoodVersion);
        assertThat(fault.get("globalIndex").asLong()).isPositive();
        // PostgreSQL's reason, without the value that caused it
        assertThat(fault.get("error").asText()).contains("22P05").doesNotContain("nul-here");
        // The fleet is still served: readiness stays UP.
        assertThat(http.get("/actuator/health/readiness").json().get("status").asText()).isEqualTo("UP");
        assertThat(gauge("twin-state")).isEqualTo(1.0);
        assertThat(gauge("twin-current")).as("not running: merged into twin-state").isEqualTo(0.0);
        assertThat(listedFault("twin-state", poisoned).get("eventId").asText()).isEqualTo(eventId);

        // Writes to the other twins (both segments) are read back as soon as they are answered, without waiting
        // out the read-your-writes timeout (5 s), and history follows them.
        Map<String, Long> versions = new LinkedHashMap<>();
        long slowest = 0;
        for (String twin : fleet) {
            long started = System.nanoTime();
            TwinHttp.Reply written = http.patch("/twins/" + twin + "/properties/reported", q("{'fan':2}"));
            slowest = Math.max(slowest, System.nanoTime() - started);
            assertThat(written.status()).as("%s", written).isEqualTo(200);
            JsonNode read = http.get("/twins/" + twin).json();
            assertThat(read.at("/properties/reported/fan").asInt()).isEqualTo(2);
            versions.put(twin, read.get("version").asLong());
        }
        assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofMillis(2500));
        http.awaitHistory("/twins/" + fleet.get(19) + "/history", 2);

        // The poisoned twin reads at its last good version, not 404 and not the refused value.
        JsonNode shown = http.get("/twins/" + poisoned).json();
        assertThat(shown.get("version").asLong()).isEqualTo(lastGoodVersion);
        assertThat(shown.at("/properties/reported/fan").asInt()).isEqualTo(1);

        // A replay goes to the end, finds the fault again, and every twin reads as before.
        assertThat(http.post("/admin/projections/twin-state/replay", "").status()).isEqualTo(202);
        http.awaitReplayed("twin-state");
        for (String twin : fleet) {
            TwinHttp.Reply read = http.get("/twins/" + twin);
            assertThat(read.status()).as("%s after the replay", twin).isEqualTo(200);
            assertThat(read.json().get("version").asLong()).isEqualTo(versions.get(twin));
        }
        TwinHttp.Reply replayed = http.get("/twins/" + poisoned);
        assertThat(replayed.status()).isEqualTo(200);
        assertThat(replayed.json().get("version").asLong()).isEqualTo(lastGoodVersion);
        assertThat(listedFault("twin-state", poisoned).get("eventId").asText()).isEqualTo(eventId);

        // Retrying meets the same event again: the twin stays quarantined.
        TwinHttp.assertProblem(http.post("/admin/projections/twin-state/faults/" + poisoned + "/retry", ""),
                409, "faultPersists");
        assertThat(listedFault("twin-state", poisoned)).isNotNull();
        TwinHttp.assertProblem(http.post("/admin/projections/twin-state/faults/" + fleet.get(0) + "/retry", ""),
                404, "faultNotFound");
    }

    @Test
    void aRetryAfterTheCauseIsRemovedProjectsTheTwinAndLiftsItsQuarantine() throws Exception {
        String twin = create("{'tags':{'kind':'refused-for-a-while'}}");
        JdbcTemplate jdbc = app.getBean(JdbcTemplate.class);
        // A cause an operator can remove: the database refuses this twin's row (a check violation) for a while.
        String trigger = "refuse_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.execute("CREATE FUNCTION " + trigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END $$");
        jdbc.execute("CREATE TRIGGER " + trigger + " BEFORE UPDATE ON twin_document FOR EACH ROW WHEN (NEW.twin_id = '"
                + twin + "') EXECUTE FUNCTION " + trigger + "()");
        try {
            // The write is accepted; the read side cannot show it, so the answer waits out read-your-writes.
            assertThat(http.patch("/twins/" + twin, q("{'tags':{'step':2}}")).status()).isEqualTo(200);
            JsonNode fault = awaitFault("twin-state", twin);
            assertThat(fault.get("error").asText()).contains("23514");
            assertThat(http.get("/twins/" + twin).json().get("version").asLong()).isEqualTo(1);
            // A later write to the twin is skipped, not folded onto a state without the failed one.
            assertThat(http.patch("/twins/" + twin, q("{'tags':{'step':3}}")).status()).isEqualTo(200);
            assertThat(http.get("/twins/" + twin).json().get("version").asLong()).isEqualTo(1);
        } finally {
            jdbc.execute("DROP TRIGGER " + trigger + " ON twin_document");
            jdbc.execute("DROP FUNCTION " + trigger + "()");
        }

        TwinHttp.Reply retried = http.post("/admin/projections/twin-state/faults/" + twin + "/retry", "");
        assertThat(retried.status()).as("%s", retried).isEqualTo(200);
        assertThat(retried.json().get("cleared").asBoolean()).isTrue();
        JsonNode read = http.get("/twins/" + twin).json();
        assertThat(read.get("version").asLong()).isEqualTo(3);
        assertThat(read.at("/tags/step").asInt()).isEqualTo(3);
        assertThat(listedFault("twin-state", twin)).isNull();
        // Live events of the twin are projected again.
        assertThat(http.patch("/twins/" + twin, q("{'tags':{'step':4}}")).status()).isEqualTo(200);
        assertThat(http.get("/twins/" + twin).json().at("/tags/step").asInt()).isEqualTo(4);
    }

    @Test
    void aProcessorThatMustNotSkipAnEventRetriesVisiblyAndResumesByItself() throws Exception {
        JdbcTemplate jdbc = app.getBean(JdbcTemplate.class);
        String trigger = "refuse_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.execute("CREATE FUNCTION " + trigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END $$");
        jdbc.execute("CREATE TRIGGER " + trigger + " BEFORE INSERT ON event_chain FOR EACH ROW EXECUTE FUNCTION "
                + trigger + "()");
        String twin;
        try {
            twin = create("{'tags':{'kind':'chained-late'}}");
            JsonNode health = awaitHealth(h -> h.at("/components/projectionFaults/details/audit-chain/stalled")
                    .has("error"));
            JsonNode stalled = health.at("/components/projectionFaults/details/audit-chain/stalled");
            assertThat(stalled.get("error").asText()).contains("23514");
            assertThat(stalled.get("eventId").asText()).isNotEmpty();
            // Nothing is skipped in a hash chain; the twin itself is served all the same.
            assertThat(http.get("/twins/" + twin).status()).isEqualTo(200);
        } finally {
            jdbc.execute("DROP TRIGGER " + trigger + " ON event_chain");
            jdbc.execute("DROP FUNCTION " + trigger + "()");
        }
        awaitHealth(h -> h.at("/components/projectionFaults/details/audit-chain").isMissingNode());
        Long chained = jdbc.queryForObject("SELECT count(*) FROM event_chain WHERE twin_id = ?", Long.class, twin);
        assertThat(chained).isEqualTo(1);
    }

    private static String create(String body) {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, q(body));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }

    /**
     * Appends a reported patch whose value holds U+0000 as the twin's next event, straight to the event store (the
     * write side's validation never sees it); returns the event's id.
     */
    private static String publishNul(String twinId, JsonNode twin) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode().put("note", "nul-here\u0000");
        long version = twin.get("version").asLong();
        long reportedVersion = twin.at("/properties/reported/$version").asLong();
        ReportedPropertiesPatched event = new ReportedPropertiesPatched(twinId, patch, reportedVersion + 1,
                version + 1, null);
        Map<String, Object> meta = new AuditMetadata("crafted", Channel.DEVICE, "test", UUID.randomUUID().toString(),
                "a value the projections cannot store").toMap();
        GenericDomainEventMessage<ReportedPropertiesPatched> message = new GenericDomainEventMessage<>("Twin", twinId,
                version, event, MetaData.from(meta));
        app.getBean(EventStore.class).publish(message);
        return message.getIdentifier();
    }

    private static JsonNode faultOf(JsonNode processor, String twinId) {
        if (processor == null || processor.isMissingNode() || !processor.has("faults")) {
            return null;
        }
        for (JsonNode fault : processor.get("faults")) {
            if (fault.get("twinId").asText().equals(twinId)) {
                return fault;
            }
        }
        return null;
    }

    private static JsonNode listedFault(String name, String twinId) {
        for (JsonNode projection : http.get("/admin/projections").json().get("projections")) {
            if (projection.get("name").asText().equals(name)) {
                return faultOf(projection, twinId);
            }
        }
        throw new AssertionError("no projection " + name);
    }

    private static JsonNode awaitFault(String name, String twinId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode fault = listedFault(name, twinId);
            if (fault != null) {
                return fault;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " did not report a fault for " + twinId);
    }

    private static JsonNode awaitHealth(java.util.function.Predicate<JsonNode> until) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            TwinHttp.Reply reply = http.get("/actuator/health");
            last = reply.json();
            if (until.test(last)) {
                assertThat(reply.status()).isEqualTo(200);
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("health did not report the fault: " + last);
    }

    private static double gauge(String processor) {
        JsonNode metric = http.get("/actuator/metrics/twin.projection.faults?tag=processor:" + processor).json();
        return metric.get("measurements").get(0).get("value").asDouble();
    }
}
