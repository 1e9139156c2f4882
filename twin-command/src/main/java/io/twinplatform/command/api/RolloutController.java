package io.twinplatform.command.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.configuration.AdmitConfiguration;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.command.configuration.LiveConfigurations;
import io.twinplatform.api.rollout.StartRollout;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import jakarta.servlet.http.HttpServletRequest;
import io.twinplatform.command.rollout.RolloutProjection;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.Map;
import java.util.UUID;

/**
 * Rollouts of staged configurations: start one, read it (status, phases with their counts, every decision), and
 * pause, resume, abort or roll it back by hand. A hand decision takes an optional {@code {"reason": "…"}} body.
 */
@RestController
@Tag(name = "rollouts", description = "Phased rollouts of staged configurations, as sagas")
class RolloutController {

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

    @Operation(summary = "Start a rollout of a staged configuration (201)")
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

    @Operation(summary = "The rollout: status, current phase, per-phase counts and every decision")
    @GetMapping("/rollouts/{id}")
    ObjectNode get(@PathVariable String id) {
        return find(id);
    }

    @Operation(summary = "Pause, resume, abort or roll back the rollout by hand")
    @PostMapping("/rollouts/{id}/{action}")
    ObjectNode decide(@PathVariable String id, @PathVariable String action,
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
