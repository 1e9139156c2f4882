package io.twinplatform.command.configuration;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.configuration.ConfigurationWriteResult;
import io.twinplatform.api.configuration.DeleteConfiguration;
import io.twinplatform.api.configuration.PutConfiguration;
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.ScopeGuard;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Creates, changes and withdraws configurations (Azure's automatic device management). Writing the configuration is
 * immediate; applying it to twins follows within moments, by the configuration applier, and shows in the twins'
 * {@code configurations} and in the configuration's metrics.
 */
@RestController
@Tag(name = "configurations", description = "Configurations applied to twins by query (automatic device management)")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ConfigurationWriteController {

    private static final String EXAMPLE = """
            {"targetCondition":"tags.environment='prod'","priority":10,
             "content":{"deviceContent":{"properties.desired.telemetryConfig":{"sendFrequency":"5m"}}},
             "metrics":{"queries":{"compliant":
               "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.status='Success'"}},
             "labels":{"team":"ops"}}""";

    /** A configuration as {@code PUT} takes it; documentation only, the body is read raw by ConfigurationSpec. */
    @Schema(name = "ConfigurationWrite", description = "content and staged cannot change once the configuration"
            + " exists (422 contentImmutable); the read-only members a GET shows are ignored (docs/configurations.md)")
    record ConfigurationWrite(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "a condition of the query language:"
                    + " tags.environment='prod', *, FROM devices.modules WHERE …, or SELECT * FROM devices WHERE …")
            String targetCondition,
            @Schema(minimum = "0", defaultValue = "0", description = "the highest priority decides a key")
            Integer priority,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) ConfigurationContent content,
            @Schema(description = "{\"queries\": {name: metric query}}") Map<String, Map<String, String>> metrics,
            Map<String, String> labels,
            @Schema(defaultValue = "false", description = "true: applies to no twin until a rollout admits twins")
            Boolean staged,
            @Schema(accessMode = Schema.AccessMode.READ_ONLY, description = "the path's id, in the answer") String id,
            @Schema(accessMode = Schema.AccessMode.READ_ONLY, description = "the new etag, in the answer")
            String etag) {
    }

    /** What a configuration sets: paths under {@code properties.desired.}, each replaced whole. */
    record ConfigurationContent(
            @Schema(description = "for device twins: path under properties.desired. → value")
            Map<String, Object> deviceContent,
            @Schema(description = "for module twins: path under properties.desired. → value")
            Map<String, Object> moduleContent) {
    }

    private final CommandDispatcher dispatcher;

    private final ScopeGuard scope;

    ConfigurationWriteController(CommandDispatcher dispatcher, ScopeGuard scope) {
        this.dispatcher = dispatcher;
        this.scope = scope;
    }

    @Operation(summary = "Create (201) or change (200) a configuration; its content cannot change (422)",
            description = "The configuration is written at once; the twins it targets follow within moments.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = ConfigurationWrite.class),
                    examples = @ExampleObject(name = "configuration", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "changed: the body as sent with id and etag,"
                            + " and the ETag", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = ConfigurationWrite.class))),
                    @ApiResponse(responseCode = "201", description = "created: the body as sent with id and etag,"
                            + " and the ETag", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = ConfigurationWrite.class))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, an invalid id, a missing or"
                            + " unknown member, a condition or metric query that does not parse", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag;"
                            + " If-None-Match: * on an existing configuration (configurationExists)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "content or staged changed (contentImmutable),"
                            + " content that sets nothing or never applies, a bad priority", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = "/configurations/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> put(@PathVariable String id,
                                   @Parameter(description = "change only if the configuration is at this etag;"
                                           + " else 412")
                                   @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                   @Parameter(description = "*: create only; 412 if it exists")
                                   @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
                                   @RequestBody byte[] body, HttpServletRequest request) {
        Etags.requireAnyOrAbsent(ifNoneMatch);
        ConfigurationSpec spec = ConfigurationSpec.parse(id, JsonBodies.parseObject(body));
        // the new target here; the one it has now, in the configuration itself (CommandDispatcher#sendOther)
        scope.requireCovers(spec.targetCondition(), "$.targetCondition");
        Long expected = Etags.expectedVersion(ifMatch);
        ConfigurationWriteResult result = dispatcher.sendOther(new PutConfiguration(id, spec, expected, Etags.isAny(ifNoneMatch)),
                RequestAudit.of(request, Channel.API));
        ObjectNode answer = JsonBodies.parseObject(body);
        answer.put("id", id);
        answer.put("etag", "\"" + result.version() + "\"");
        return ResponseEntity.status(result.created() ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag("\"" + result.version() + "\"").body(answer);
    }

    @Operation(summary = "Withdraw the configuration (204): its keys are removed from the twins it set them on",
            responses = {
                    @ApiResponse(responseCode = "204", description = "withdrawn; the twins follow within moments"),
                    @ApiResponse(responseCode = "400", description = "an invalid id", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such configuration"
                            + " (configurationNotFound)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping("/configurations/{id}")
    ResponseEntity<Void> delete(@PathVariable String id,
                                @Parameter(description = "withdraw only if the configuration is at this etag;"
                                        + " else 412")
                                @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                HttpServletRequest request) {
        ConfigurationSpec.checkId(id);
        dispatcher.sendOther(new DeleteConfiguration(id, Etags.expectedVersion(ifMatch)),
                RequestAudit.of(request, Channel.API));
        return ResponseEntity.noContent().build();
    }
}
