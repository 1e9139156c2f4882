package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.job.StartJob;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bulk twin update jobs (Azure IoT Hub's jobs shape) on the whole platform: a job updates exactly the twins its
 * query condition selects, each change recorded as made by the job; it can wait for its start time and be cancelled;
 * a twin that refuses counts as failed; a job whose runner died is resumed; bad requests are refused at their path.
 */
class JobsTest extends PlatformTestSupport {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);

    @Autowired
    DataSource dataSource;

    @Autowired
    CommandGateway commands;

    private JdbcTemplate jdbc;

    @BeforeEach
    void jdbc() {
        jdbc = new JdbcTemplate(dataSource);
    }

    @Test
    void updatesExactlyTheTwinsItsQuerySelectsAsTheJob() {
        String batch = newBatch();
        List<String> selected = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String id = createDevice("{'tags':{'batch':'" + batch + "','group':'" + (i < 20 ? "in" : "out")
                    + "'},'properties':{'desired':{'interval':10}}}");
            (i < 20 ? selected : others).add(id);
        }
        String jobId = newJobId();

        Reply scheduled = http.as("operator-jo").http().put("/jobs/" + jobId, job("tags.batch = '" + batch + "' AND tags.group = 'in'",
                        "{'tags':{'ring':'early'},'properties':{'desired':{'interval':30}}}"), "X-Change-Reason", "early ring, ticket CHG-7");

        assertThat(scheduled.status()).as("%s", scheduled).isEqualTo(201);
        assertThat(scheduled.json().path("jobId").asText()).isEqualTo(jobId);
        assertThat(scheduled.json().path("type").asText()).isEqualTo("scheduleUpdateTwin");
        assertThat(scheduled.json().path("status").asText()).isIn("queued", "running", "completed");
        JsonNode done = awaitStatus(jobId, "completed");
        JsonNode statistics = done.path("deviceJobStatistics");
        assertThat(statistics.path("deviceCount").asInt()).as("%s", done).isEqualTo(20);
        assertThat(statistics.path("succeededCount").asInt()).isEqualTo(20);
        assertThat(statistics.path("failedCount").asInt()).isZero();
        assertThat(statistics.path("runningCount").asInt()).isZero();
        assertThat(statistics.path("pendingCount").asInt()).isZero();
        assertThat(Instant.parse(done.path("endTime").asText()))
                .isAfterOrEqualTo(Instant.parse(done.path("startTime").asText()));
        assertThat(done.path("failureReason").isNull()).isTrue();

        for (String id : selected) {
            JsonNode twin = http.get("/twins/" + id).json();
            assertThat(twin.path("tags").path("ring").asText()).as("%s", twin).isEqualTo("early");
            assertThat(twin.path("properties").path("desired").path("interval").asInt()).isEqualTo(30);
        }
        for (String id : others) {
            JsonNode twin = http.get("/twins/" + id).json();
            assertThat(twin.path("tags").has("ring")).as("%s", twin).isFalse();
            assertThat(twin.path("properties").path("desired").path("interval").asInt()).isEqualTo(10);
        }
        JsonNode change = null;
        for (JsonNode item : http.awaitHistory("/twins/" + selected.get(0) + "/history", 2).path("items")) {
            change = item.path("eventType").asText().equals("TwinPatched") ? item : change;
        }
        assertThat(change).as("the job's change in the history").isNotNull();
        assertThat(change.path("principal").asText()).as("%s", change).isEqualTo("job:" + jobId);
        assertThat(change.path("channel").asText()).isEqualTo("job");
        assertThat(change.path("transport").asText()).isEqualTo("job");
        assertThat(change.path("correlationId").asText()).isEqualTo(jobId);
        assertThat(change.path("reason").asText()).isEqualTo("early ring, ticket CHG-7");
        List<JsonNode> trail = awaitAudit("/audit?pageSize=1000&channel=job&correlationId=" + jobId, 20);
        assertThat(trail).extracting(item -> item.path("twinId").asText())
                .containsExactlyInAnyOrderElementsOf(selected);
        assertThat(trail).allSatisfy(item -> assertThat(item.path("principal").asText()).isEqualTo("job:" + jobId));
        assertThat(http.get("/jobs").json().path("items")).extracting(item -> item.path("jobId").asText())
                .contains(jobId);
    }

    @Test
    void aFinishedJobCanBeNeitherCancelledNorScheduledAgain() {
        String batch = newBatch();
        createDevice("{'tags':{'batch':'" + batch + "'}}");
        String jobId = newJobId();
        ObjectNode body = job("tags.batch = '" + batch + "'", "{'tags':{'ring':'late'}}");
        assertThat(http.put("/jobs/" + jobId, body).status()).isEqualTo(201);
        awaitStatus(jobId, "completed");

        assertProblem(http.post("/jobs/" + jobId + "/cancel", null), 409, "jobFinished");
        assertProblem(http.put("/jobs/" + jobId, body), 409, "jobExists");
        assertThat(http.get("/jobs/" + jobId).json().path("status").asText()).isEqualTo("completed");
    }

    @Test
    void aJobScheduledForLaterWaitsAndOnceCancelledNeverRuns() throws InterruptedException {
        String batch = newBatch();
        String twin = createDevice("{'tags':{'batch':'" + batch + "'}}");
        String jobId = newJobId();
        ObjectNode body = job("tags.batch = '" + batch + "'", "{'tags':{'ring':'never'}}");
        body.put("startTime", Instant.now().plusSeconds(2).toString());

        Reply scheduled = http.put("/jobs/" + jobId, body);
        assertThat(scheduled.status()).as("%s", scheduled).isEqualTo(201);
        assertThat(scheduled.json().path("status").asText()).isEqualTo("scheduled");
        assertThat(scheduled.json().path("deviceJobStatistics").path("deviceCount").asInt()).isZero();
        Reply cancelled = http.as("operator-jo").http().post("/jobs/" + jobId + "/cancel", null);
        assertThat(cancelled.status()).as("%s", cancelled).isEqualTo(200);
        assertThat(cancelled.json().path("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.json().path("endTime").isTextual()).isTrue();

        // past its start time and a few polls of the runner
        Thread.sleep(3_500);
        assertThat(http.get("/jobs/" + jobId).json().path("status").asText()).isEqualTo("cancelled");
        assertThat(http.get("/twins/" + twin).json().path("tags").has("ring")).isFalse();
        assertProblem(http.post("/jobs/" + jobId + "/cancel", null), 409, "jobFinished");
    }

    @Test
    void aTwinThatRefusesTheUpdateCountsAsFailedAndTheJobGoesOn() {
        String batch = newBatch();
        createDevice("{'tags':{'batch':'" + batch + "'}}");
        createDevice("{'tags':{'batch':'" + batch + "'}}");
        ObjectNode full = TwinHttp.JSON.createObjectNode();
        ObjectNode desired = full.putObject("properties").putObject("desired");
        for (int i = 0; i < 8; i++) {
            desired.put("block" + i, "x".repeat(3900));
        }
        full.putObject("tags").put("batch", batch);
        String crowded = newDeviceId();
        assertThat(http.put("/twins/" + crowded, full).status()).isEqualTo(201);
        String jobId = newJobId();

        http.put("/jobs/" + jobId, job("tags.batch = '" + batch + "'",
                "{'properties':{'desired':{'extra':'" + "y".repeat(4000) + "'}}}"));

        JsonNode done = awaitStatus(jobId, "completed");
        JsonNode statistics = done.path("deviceJobStatistics");
        assertThat(statistics.path("deviceCount").asInt()).as("%s", done).isEqualTo(3);
        assertThat(statistics.path("succeededCount").asInt()).isEqualTo(2);
        assertThat(statistics.path("failedCount").asInt()).isEqualTo(1);
        assertThat(done.path("statusMessage").asText()).contains(crowded);
        assertThat(http.get("/twins/" + crowded).json().path("properties").path("desired").has("extra")).isFalse();
    }

    @Test
    void aJobWhoseRunnerDiedIsResumedOnceItsClaimLapses() {
        String batch = newBatch();
        List<String> twins = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            twins.add(createDevice("{'tags':{'batch':'" + batch + "'}}"));
        }
        String jobId = newJobId();
        ObjectNode body = job("tags.batch = '" + batch + "'", "{'tags':{'resumed':true}}");
        body.put("startTime", Instant.now().plusSeconds(2).toString());
        assertThat(http.put("/jobs/" + jobId, body).status()).isEqualTo(201);

        // Another instance started the job and stopped without giving up its claim (it crashed).
        jdbc.update("UPDATE job SET claimed_by = 'runner-that-died', claimed_until = now() + interval '4 seconds'"
                + " WHERE job_id = ?", jobId);
        commands.sendAndWait(new StartJob(jobId, 5));
        assertThat(http.get("/jobs/" + jobId).json().path("status").asText()).isEqualTo("running");

        JsonNode done = awaitStatus(jobId, "completed");
        assertThat(done.path("deviceJobStatistics").path("succeededCount").asInt()).as("%s", done).isEqualTo(5);
        for (String twin : twins) {
            assertThat(http.get("/twins/" + twin).json().path("tags").path("resumed").asBoolean()).isTrue();
        }
        assertThat(jdbc.queryForList("SELECT payload_type FROM domain_event_entry WHERE aggregate_identifier = ?"
                + " ORDER BY sequence_number", String.class, "job#" + jobId))
                .containsExactly("io.twinplatform.api.job.JobScheduled", "io.twinplatform.api.job.JobStarted",
                        "io.twinplatform.api.job.JobCompleted");
    }

    @Test
    void refusesBadRequestsAtTheirPathAndWritesNothing() {
        String jobId = newJobId();
        String condition = "tags.batch = 'b1'";
        String update = "{'tags':{'ring':'early'}}";

        assertProblem(http.put("/jobs/Not-Lower", job(condition, update)), 400, "invalidJobId");
        assertThat(assertProblem(http.put("/jobs/" + jobId, "{\"type\":"), 400, "malformedJson").has("position"))
                .isTrue();
        ObjectNode method = job(condition, update).put("type", "scheduleDeviceMethod");
        assertThat(assertProblem(http.put("/jobs/" + jobId, method), 422, "unsupportedJobType").path("path").asText())
                .isEqualTo("$.type");
        assertThat(assertProblem(http.put("/jobs/" + jobId, job("tags.batch = = 'b1'", update)), 400, null)
                .path("path").asText()).isEqualTo("$.queryCondition@13");
        ObjectNode noUpdate = job(condition, update);
        noUpdate.remove("updateTwin");
        assertThat(assertProblem(http.put("/jobs/" + jobId, noUpdate), 400, "missingUpdateTwin").path("path").asText())
                .isEqualTo("$.updateTwin");
        assertThat(assertProblem(http.put("/jobs/" + jobId, job(condition, "{'properties':{'desired':{'a.b':1}}}")),
                400, "invalidKey").path("path").asText()).isEqualTo("$.updateTwin.properties.desired['a.b']");
        assertThat(assertProblem(http.put("/jobs/" + jobId, job(condition, "{'properties':{'reported':{'a':1}}}")),
                400, "readOnlyMember").path("path").asText()).isEqualTo("$.updateTwin.properties.reported");
        assertThat(assertProblem(http.put("/jobs/" + jobId, job(condition, "{'tags':{}}")), 422, "emptyUpdate")
                .path("path").asText()).isEqualTo("$.updateTwin");
        ObjectNode forever = job(condition, update).put("maxExecutionTimeInSeconds", 0);
        assertThat(assertProblem(http.put("/jobs/" + jobId, forever), 422, "invalidMaxExecutionTime").path("path")
                .asText()).isEqualTo("$.maxExecutionTimeInSeconds");
        ObjectNode noon = job(condition, update).put("startTime", "noon");
        assertThat(assertProblem(http.put("/jobs/" + jobId, noon), 400, "invalidStartTime").path("path").asText())
                .isEqualTo("$.startTime");

        assertProblem(http.get("/jobs/" + jobId), 404, "jobNotFound");
        assertProblem(http.post("/jobs/" + jobId + "/cancel", null), 404, "jobNotFound");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier = ?",
                Integer.class, "job#" + jobId)).isZero();
    }

    @Test
    void theServedApiDocumentDescribesTheJobEndpoints() {
        JsonNode paths = http.get("/v3/api-docs").json().path("paths");

        assertThat(paths.at("/~1jobs~1{jobId}/put/responses").fieldNames()).toIterable()
                .contains("201", "400", "409", "422");
        assertThat(paths.at("/~1jobs~1{jobId}/get/responses").fieldNames()).toIterable().contains("200", "404");
        assertThat(paths.at("/~1jobs~1{jobId}~1cancel/post/responses").fieldNames()).toIterable()
                .contains("200", "404", "409");
        assertThat(paths.has("/jobs")).isTrue();
    }

    /** A job body; {@code update} is single-quoted JSON (it holds no string with a quote of its own). */
    private static ObjectNode job(String queryCondition, String update) {
        ObjectNode job = TwinHttp.JSON.createObjectNode();
        job.put("type", "scheduleUpdateTwin");
        job.put("queryCondition", queryCondition);
        job.set("updateTwin", TwinHttp.j(update));
        return job;
    }

    private JsonNode awaitStatus(String jobId, String status) {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = http.get("/jobs/" + jobId).json();
            if (status.equals(job.path("status").asText())) {
                return job;
            }
            pause(100);
        }
        throw new AssertionError("job " + jobId + " did not become " + status + ": " + job);
    }

    private List<JsonNode> awaitAudit(String path, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<JsonNode> items = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            items = new ArrayList<>();
            http.get(path).json().path("items").forEach(items::add);
            if (items.size() >= count) {
                return items;
            }
            pause(50);
        }
        return items;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String newBatch() {
        return "batch-" + UUID.randomUUID();
    }

    private static String newJobId() {
        return "jobs-test-" + UUID.randomUUID();
    }
}
