package io.twinplatform.command.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.AdmitConfiguration;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.StartRollout;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.command.configuration.LiveConfigurations;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.ScopeGuard;
import io.twinplatform.command.rollout.RolloutProjection;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Rollouts of staged configurations: start one, read it (status, phases with their counts, every decision), and
 * pause, resume, abort or roll it back by hand. A hand decision takes an optional {@code {"reason": "…"}} body.
 */
@RestController
@Tag(name = "rollouts", description = "Phased rollouts of staged configurations, as sagas")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class RolloutController {

    private static final String EXAMPLE = """
            {"id":"firmware-2-6-eu","configurationId":"firmware-2-6",
             "phases":[{"name":"canary","percent":5},{"percent":25},{"percent":100}],
             "success":{"metric":"compliant","minPercent":95,"soakSeconds":600},
             "failure":{"reportedCondition":"properties.reported.firmware.state = 'Error'","maxPercent":2},
             "onFailure":"rollback","phaseTimeoutSeconds":3600}""";

    /** A rollout as {@code POST /rollouts} takes it; documentation only, the body is read raw ({@link RolloutSpec}). */
    @Schema(name = "RolloutRequest", description = "docs/configurations.md, Rollouts")
    record RolloutRequest(@Schema(description = "optional: a UUID otherwise") String id,
                          @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "a staged configuration")
                          String configurationId,
                          @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "1 to 20 phases,"
                                  + " cumulative shares of the targeted twins") List<Phase> phases,
                          @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Success success,
                          Failure failure,
                          @Schema(allowableValues = {"rollback", "pause"}, defaultValue = "rollback") String onFailure,
                          @Schema(minimum = "1", defaultValue = "3600") Long phaseTimeoutSeconds) {
    }

    /** One phase of a rollout. */
    @Schema(name = "RolloutPhase")
    record Phase(String name, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Double percent) {
    }

    /** When a phase succeeds: a metric of the configuration held at or above a share for a while. */
    @Schema(name = "RolloutSuccess")
    record Success(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String metric, Double minPercent,
                   Long soakSeconds) {
    }

    /** When the rollout fails: too many twins report a condition. */
    @Schema(name = "RolloutFailure")
    record Failure(String reportedCondition, Double maxPercent) {
    }

    /** The optional body of a decision by hand. */
    @Schema(name = "RolloutDecision")
    record RolloutDecision(@Schema(description = "kept with the decision; else X-Change-Reason, else"
            + " \"<action> by <principal>\"") String reason) {
    }

    /** A rollout as {@code GET} shows it; documentation only. */
    @Schema(name = "Rollout")
    record Rollout(String id, String configurationId,
                   @Schema(allowableValues = {"running", "paused", "completed", "aborted", "rollingBack",
                           "rolledBack"}) String status,
                   int currentPhase, String currentPhaseName,
                   @Schema(description = "each with name, percent, targeted, applied, succeeded, failed")
                   List<Map<String, Object>> phases,
                   Success success, Failure failure, String onFailure, long phaseTimeoutSeconds,
                   String createdTime, String lastUpdatedTime,
                   @Schema(description = "every decision: time, decision, status, phase, reason, byHand, principal")
                   List<Map<String, Object>> decisions) {
    }

    private static final Map<String, DecideRollout.Action> ACTIONS = Map.of("pause", DecideRollout.Action.PAUSE,
            "resume", DecideRollout.Action.RESUME, "abort", DecideRollout.Action.ABORT,
            "rollback", DecideRollout.Action.ROLL_BACK);

    private final CommandDispatcher dispatcher;
    private final RolloutProjection rollouts;

    private final ScopeGuard scope;
    private final LiveConfigurations configurations;

    RolloutController(CommandDispatcher dispatcher, RolloutProjection rollouts, ScopeGuard scope,
                      LiveConfigurations configurations) {
        this.dispatcher = dispatcher;
        this.rollouts = rollouts;
        this.scope = scope;
        this.configurations = configurations;
    }

    /**
     * A scoped caller may only steer the rollout of a configuration targeting inside its scope. (Starting one is
     * judged by the configuration itself, when it admits the rollout's first phase.)
     */
    private void requireCovered(String configurationId, String path) {
        if (scope.current() != null && configurationId != null) {
            configurations.targetCondition(configurationId).ifPresent(target -> scope.requireCovers(target, path));
        }
    }

    @Operation(summary = "Start a rollout of a staged configuration (201)",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = RolloutRequest.class),
                    examples = @ExampleObject(name = "rollout", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "201", description = "started: the rollout as GET shows it, with"
                            + " Location", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = Rollout.class))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, an invalid id, a missing or"
                            + " unknown member, bad phases or criteria (with their path)", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such configuration (configurationNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the id is taken (rolloutExists); the"
                            + " configuration is not staged (configurationNotStaged) or in another rollout"
                            + " (configurationInRollout)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "the success metric is not one of the"
                            + " configuration's (unknownMetric); a number out of its range", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = "/rollouts", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> start(@RequestBody byte[] body, HttpServletRequest request) {
        ObjectNode json = JsonBodies.parseObject(body);
        RolloutSpec spec = RolloutSpec.parse(json);
        JsonNode idNode = json.get("id");
        String id = idNode == null || idNode.isNull() ? UUID.randomUUID().toString() : idNode.asText();
        RolloutSpec.checkId(id);
        if (rollouts.find(id).isPresent()) {
            throw new TwinException(TwinError.at(ErrorKind.CONFLICT, "rolloutExists", "$.id",
                    "rollout " + id + " exists"));
        }
        AuditMetadata audit = audit(request);
        String successQuery = send(new AdmitConfiguration(spec.configurationId(),
                new Admission(id, spec.percents(), -1), false, spec.success().metric()), audit);
        send(new StartRollout(id, spec, successQuery), audit);
        return ResponseEntity.created(URI.create("/rollouts/" + id)).body(find(id));
    }

    @Operation(summary = "The rollout: status, current phase, per-phase counts and every decision",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the rollout", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Rollout.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such rollout (rolloutNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/rollouts/{id}")
    ObjectNode get(@PathVariable String id) {
        return find(id);
    }

    @Operation(summary = "Pause, resume, abort or roll back the rollout by hand",
            description = "The optional body is read as JSON whatever its Content-Type.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = RolloutDecision.class),
                    examples = @ExampleObject(name = "pause", value = "{\"reason\":\"change freeze\"}"))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the rollout after the decision",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = Rollout.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id, malformed JSON, a reason that is"
                            + " not a string (invalidReason)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such rollout (rolloutNotFound), or an"
                            + " action other than pause, resume, abort and rollback (unknownAction)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the rollout's status does not allow the"
                            + " decision (invalidRolloutState)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/rollouts/{id}/{action}")
    ObjectNode decide(@PathVariable String id,
                      @Parameter(description = "pause, resume, abort or rollback") @PathVariable String action,
                      @RequestBody(required = false) byte[] body, HttpServletRequest request) {
        DecideRollout.Action decision = ACTIONS.get(action);
        if (decision == null) {
            throw new TwinException(TwinError.at(ErrorKind.NOT_FOUND, "unknownAction", "action",
                    "a rollout can be paused, resumed, aborted or rolled back: /pause, /resume, /abort, /rollback"));
        }
        requireCovered(find(id).path("configurationId").asText(null), null);
        String reason = null;
        if (body != null && body.length > 0) {
            JsonNode given = JsonBodies.parseObject(body).get("reason");
            if (given != null && !given.isTextual()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidReason", "$.reason",
                        "reason is a string"));
            }
            reason = given == null ? null : given.asText();
        }
        AuditMetadata audit = audit(request);
        send(new DecideRollout(id, decision, -1, reason != null ? reason : audit.reason() != null ? audit.reason()
                : action + " by " + audit.principal(), true), audit);
        return find(id);
    }

    private ObjectNode find(String id) {
        RolloutSpec.checkId(id);
        return rollouts.find(id).orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.NOT_FOUND,
                "rolloutNotFound", "there is no rollout " + id)));
    }

    private static AuditMetadata audit(HttpServletRequest request) {
        return RequestAudit.of(request, Channel.API);
    }

    private <R> R send(Object command, AuditMetadata audit) {
        return dispatcher.sendOther(command, audit);
    }
}
