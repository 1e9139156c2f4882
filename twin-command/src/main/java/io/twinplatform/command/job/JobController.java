package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.job.CancelJob;
import io.twinplatform.api.job.JobSpec;
import io.twinplatform.api.job.ScheduleJob;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.ScopeGuard;
import jakarta.servlet.http.HttpServletRequest;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Bulk twin update jobs in Azure IoT Hub's jobs shape: {@code PUT /jobs/{id}} schedules one (it cannot be changed
 * afterwards: a second {@code PUT} is {@code 409}), {@code GET /jobs/{id}} shows its status and
 * {@code deviceJobStatistics}, {@code POST /jobs/{id}/cancel} stops it. Answers come from the job table, which the
 * job's events and its runner keep; every refusal is {@code application/problem+json} naming the path at fault.
 */
@RestController
@Tag(name = "jobs", description = "Bulk twin updates by fleet query, scheduled (Azure IoT Hub jobs)")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class JobController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final int RECENT_JOBS = 100;
    private static final String EXAMPLE = """
            {"type":"scheduleUpdateTwin","queryCondition":"tags.building = 'b1'",
             "updateTwin":{"tags":{"firmwareRing":"early"},"properties":{"desired":{"telemetryInterval":30}}},
             "startTime":"2026-11-24T03:00:00Z","maxExecutionTimeInSeconds":3600}""";

    /** A job as {@code PUT} takes it; documentation only, the body is read raw ({@link JobSpec}). */
    @Schema(name = "JobRequest", description = "docs/jobs.md; the read-only members a GET shows are ignored")
    record JobRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = "scheduleUpdateTwin")
                      String type,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "a target condition as"
                              + " configurations take it: *, tags.x = 'y', FROM devices.modules WHERE …")
                      String queryCondition,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UpdateTwin updateTwin,
                      @Schema(format = "date-time", description = "absent or past: now") String startTime,
                      @Schema(minimum = "1", defaultValue = "3600") Long maxExecutionTimeInSeconds,
                      @Schema(description = "if given, the path's jobId") String jobId) {
    }

    /** What a job sends each twin: merge patches of tags and desired, checked as {@code PATCH} checks them. */
    @Schema(name = "JobUpdateTwin", description = "tags and/or properties.desired with at least one key")
    record UpdateTwin(Map<String, Object> tags, Map<String, Map<String, Object>> properties,
                      @Schema(nullable = true, description = "absent, null or \"*\" only") String etag) {
    }

    /** A job as {@code GET} shows it; documentation only. */
    @Schema(name = "Job")
    record Job(String jobId, String type, String queryCondition, String createdTime, String startTime,
               String endTime, long maxExecutionTimeInSeconds,
               @Schema(allowableValues = {"scheduled", "queued", "running", "completed", "failed", "cancelled"})
               String status, String failureReason, String statusMessage, UpdateTwin updateTwin,
               @Schema(description = "deviceCount, failedCount, succeededCount, runningCount, pendingCount")
               Map<String, Long> deviceJobStatistics) {
    }

    /** {@code GET /jobs}; documentation only. */
    @Schema(name = "JobList")
    record JobList(@Schema(description = "newest first") List<Job> items) {
    }

    private final CommandGateway commands;
    private final JobTable table;
    private final TwinValidator validator;
    private final Clock clock = Clock.systemUTC();

    private final ScopeGuard scope;

    JobController(CommandGateway commands, JobTable table, TwinValidator validator, ScopeGuard scope) {
        this.commands = commands;
        this.table = table;
        this.validator = validator;
        this.scope = scope;
    }

    @Operation(summary = "Schedule a job that merge-patches tags and/or desired properties of the twins its"
            + " queryCondition selects (201); a job id can be used once",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = JobRequest.class),
                    examples = @ExampleObject(name = "scheduleUpdateTwin", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "201", description = "scheduled; the job as GET shows it",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = Job.class))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, an invalid job id, a missing"
                            + " or unknown member, a query condition that does not parse (with its position)",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "a job with this id exists",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = "an update over a twin section's size limit",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "a type other than scheduleUpdateTwin, an"
                            + " update that changes nothing, a value a twin cannot hold, a bad"
                            + " maxExecutionTimeInSeconds", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = "/jobs/{jobId}", consumes = JSON, produces = JSON)
    ResponseEntity<JsonNode> schedule(@PathVariable String jobId, @RequestBody byte[] body,
                                      HttpServletRequest request) {
        JobSpec.checkId(jobId);
        JobSpec spec = JobSpec.parse(jobId, JsonBodies.parse(body), clock.instant(), validator);
        scope.requireCovers(spec.queryCondition(), "$.queryCondition");
        send(new ScheduleJob(spec), request);
        return ResponseEntity.status(HttpStatus.CREATED).body(job(jobId));
    }

    @Operation(summary = "The job: status (queued, scheduled, running, completed, failed, cancelled) and"
            + " deviceJobStatistics",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the job", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = Job.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid job id",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such job",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping(path = "/jobs/{jobId}", produces = JSON)
    JsonNode get(@PathVariable String jobId) {
        JobSpec.checkId(jobId);
        return job(jobId);
    }

    @Operation(summary = "The " + RECENT_JOBS + " most recently created jobs, newest first: {\"items\":[…]}",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the jobs as GET shows each",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = JobList.class)))})
    @GetMapping(path = "/jobs", produces = JSON)
    JsonNode list() {
        ObjectNode page = JsonNodeFactory.instance.objectNode();
        ArrayNode items = page.putArray("items");
        Instant now = clock.instant();
        table.recent(RECENT_JOBS).forEach(row -> items.add(row.render(now)));
        return page;
    }

    @Operation(summary = "Cancel the job: it sends no further updates; updates already made stay",
            responses = {
                    @ApiResponse(responseCode = "200", description = "cancelled; the job as GET shows it",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = Job.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid job id",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such job",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the job has finished (completed, failed or"
                            + " cancelled)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = "/jobs/{jobId}/cancel", produces = JSON)
    JsonNode cancel(@PathVariable String jobId, HttpServletRequest request) {
        JobSpec.checkId(jobId);
        if (scope.current() != null) {
            table.find(jobId).ifPresent(job -> scope.requireCovers(job.queryCondition(), null));
        }
        send(new CancelJob(jobId), request);
        return job(jobId);
    }

    private JsonNode job(String jobId) {
        return table.find(jobId).map(row -> row.render(clock.instant())).orElseThrow(() -> new TwinException(
                TwinError.of(ErrorKind.NOT_FOUND, "jobNotFound", "there is no job " + jobId)));
    }

    private void send(Object command, HttpServletRequest request) {
        commands.sendAndWait(GenericCommandMessage.asCommandMessage(command).andMetaData(RequestAudit.of(request, Channel.API).toMap()));
    }
}
