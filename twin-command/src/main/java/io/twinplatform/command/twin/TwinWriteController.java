package io.twinplatform.command.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.http.ApiDocs;
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.TextRule;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.SetTwinStatus;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.ScopeGuard;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.util.Iterator;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.SHADOW_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.TWIN_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * The write API for device and module twins. Every write answers with the resulting twin and its {@code ETag};
 * {@code If-Match} guards operator writes (a stale etag is 412 and changes nothing). A {@code PUT}, a {@code PATCH}
 * or a reported patch with {@code Prefer: return=minimal} (RFC 7240) is answered with the {@code ETag} and no body:
 * {@code 204}, or {@code 201} when the {@code PUT} created the twin. Either way the answer comes once the read side
 * shows the write.
 */
@RestController
@Tag(name = "twins", description = "Device and module twins")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class TwinWriteController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String MERGE_PATCH = ApiDocs.MERGE_PATCH;
    private static final String PREFER = "Prefer";
    private static final String PREFER_MINIMAL = "return=minimal: answer the ETag without the twin, "
            + "204 (201 when a PUT created the twin), with Preference-Applied: return=minimal. "
            + "Without it the answer is the whole twin.";
    private static final String IF_MATCH = "write only if the twin is at this etag (W/\"3\" is read as \"3\";"
            + " * means any); else 412 etagMismatch";
    private static final String TWIN_WRITE_EXAMPLE = """
            {"tags":{"location":{"building":"building-1"}},"properties":{"desired":{"telemetryInterval":30}}}""";
    private static final String REPORTED_EXAMPLE = """
            {"telemetryInterval":60,"firmwareVersion":"1.2.3"}""";
    private static final String MALFORMED = "malformed JSON or UTF-8 (with its position), a section that is not an"
            + " object, a read-only or unknown member, an invalid key or id, nesting too deep, invalid text";
    private static final String TOO_LARGE = "a section over its size limit (sectionTooLarge)";
    private static final String UNSUPPORTED = "not application/json (or application/merge-patch+json for a PATCH)";
    private static final String UNPROCESSABLE = "a value a twin cannot hold: a string too long, an integer out of"
            + " range, a non-finite number, null in an array";

    /** A {@code PUT} or {@code PATCH} of tags and desired properties; documentation only, the body is read raw. */
    @Schema(name = "TwinWrite", description = "PUT replaces tags and desired whole; PATCH merge-patches them"
            + " (RFC 7396: null removes a key). Other members are refused (readOnlyMember, unknownMember), except"
            + " the read-only members of a twin sent back whole to PUT, which are ignored")
    record TwinWrite(@Schema(description = "the twin's tags: any JSON object") Map<String, Object> tags,
                     @Schema(description = "desired only; reported is the device's") TwinWriteProperties properties) {
    }

    /** The properties a {@link TwinWrite} may hold. */
    record TwinWriteProperties(@Schema(description = "desired properties: any JSON object")
                               Map<String, Object> desired) {
    }

    /** A device's merge patch of its reported properties, any JSON object; documentation only. */
    @Schema(name = "ReportedPatch", type = "object", additionalProperties = Schema.AdditionalPropertiesValue.TRUE,
            description = "merge patch of the reported properties (RFC 7396: null removes a key); any JSON object"
                    + " within the twin's limits")
    record ReportedPatch() {
    }

    /** {@code PUT …/status}; documentation only. */
    @Schema(name = "StatusChange")
    record StatusChange(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"enabled", "disabled"})
                        String status,
                        @Schema(description = "free text; the same status with another reason records the reason")
                        String statusReason) {
    }

    /** An AWS Device Shadow update; documentation only. */
    @Schema(name = "ShadowUpdate", description = "in state, an absent section is left alone, an object merge-patches"
            + " it, null clears it; \"state\": null clears both")
    record ShadowUpdate(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "may be null")
                        ShadowState state,
                        @Schema(description = "when given, must equal the twin's version (else 409 versionConflict)")
                        Long version,
                        @Schema(maxLength = 64, description = "at most 64 bytes; echoed in the answer")
                        String clientToken) {
    }

    /** The sections of a {@link ShadowUpdate}. */
    record ShadowState(@Schema(nullable = true) Map<String, Object> desired,
                       @Schema(nullable = true) Map<String, Object> reported) {
    }

    private final CommandDispatcher dispatcher;
    private final Clock clock = Clock.systemUTC();

    private final ScopeGuard scope;

    TwinWriteController(CommandDispatcher dispatcher, ScopeGuard scope) {
        this.dispatcher = dispatcher;
        this.scope = scope;
    }

    @Operation(summary = "Create (201) or replace tags and desired properties (200)",
            description = "A module twin can be created only while its device twin exists. The answer comes once a"
                    + " GET shows the write.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = TwinWrite.class),
                    examples = @ExampleObject(name = "twin", value = TWIN_WRITE_EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "replaced: the twin after the write, with its"
                            + " ETag", content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "201", description = "created: the twin, with its ETag",
                            content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "204", description = "replaced, with Prefer: return=minimal: the ETag"
                            + " and no body (201 without a body when it created the twin)", content = @Content),
                    @ApiResponse(responseCode = "400", description = MALFORMED, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "a module twin whose device twin does not exist"
                            + " (deviceNotFound)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag (or"
                            + " the twin does not exist); If-None-Match: * on an existing twin; another If-None-Match",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = TOO_LARGE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = UNSUPPORTED, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = UNPROCESSABLE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = {"/twins/{deviceId}", "/twins/{deviceId}/modules/{moduleId}"}, consumes = JSON)
    ResponseEntity<JsonNode> put(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                 @Parameter(description = IF_MATCH)
                                 @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                 @Parameter(description = "*: create only; 412 if the twin exists")
                                 @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
                                 @Parameter(description = PREFER_MINIMAL)
                                 @RequestHeader(value = PREFER, required = false) String prefer,
                                 @RequestBody byte[] body, HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        Etags.requireAnyOrAbsent(ifNoneMatch);
        ObjectNode twin = JsonBodies.parseObject(body);
        ObjectNode properties = JsonBodies.object(twin.get("properties"), "$.properties");
        ObjectNode desired = properties == null ? null
                : JsonBodies.object(nullToAbsent(properties.get("desired")), "$.properties.desired");
        if (desired != null) {
            // A twin read with GET and sent back whole carries these read-only members; they are not content.
            desired = desired.deepCopy();
            desired.remove("$metadata");
            desired.remove("$version");
        }
        PutTwin command = new PutTwin(id.value(), JsonBodies.object(nullToAbsent(twin.get("tags")), "$.tags"), desired,
                Etags.expectedVersion(ifMatch), Etags.isAny(ifNoneMatch));
        scope.requireWrite(id, ScopedWrites.Kind.REPLACE, twin);
        AuditMetadata audit = RequestAudit.of(request, Channel.API);
        if (prefersMinimal(prefer)) {
            TwinWriteResult result = dispatcher.sendWithoutDocument(command, audit);
            return minimalResponse(result, result.created() ? HttpStatus.CREATED : HttpStatus.NO_CONTENT);
        }
        TwinWriteResult result = dispatcher.send(command, audit);
        return twinResponse(result, result.created() ? HttpStatus.CREATED : HttpStatus.OK);
    }

    @Operation(summary = "Merge-patch tags and/or desired properties (RFC 7396)",
            description = "A patch that changes nothing answers 200 with the unchanged twin and records no event.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = JSON, schema = @Schema(implementation = TwinWrite.class),
                            examples = @ExampleObject(name = "patch", value = TWIN_WRITE_EXAMPLE)),
                    @Content(mediaType = MERGE_PATCH, schema = @Schema(implementation = TwinWrite.class),
                            examples = @ExampleObject(name = "patch", value = TWIN_WRITE_EXAMPLE))}),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the twin after the write, with its ETag",
                            content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "204", description = "with Prefer: return=minimal: the ETag and no"
                            + " body", content = @Content),
                    @ApiResponse(responseCode = "400", description = MALFORMED + "; a null section (nullSection)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = TOO_LARGE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = UNSUPPORTED, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = UNPROCESSABLE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PatchMapping(path = {"/twins/{deviceId}", "/twins/{deviceId}/modules/{moduleId}"}, consumes = {JSON, MERGE_PATCH})
    ResponseEntity<JsonNode> patch(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                   @Parameter(description = IF_MATCH)
                                   @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                   @Parameter(description = PREFER_MINIMAL)
                                   @RequestHeader(value = PREFER, required = false) String prefer,
                                   @RequestBody byte[] body, HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        ObjectNode patch = JsonBodies.parseObject(body);
        PatchTwin command = patchCommand(id, patch, "$", Etags.expectedVersion(ifMatch));
        scope.requireWrite(id, ScopedWrites.Kind.PATCH, patch);
        return write(command, RequestAudit.of(request, Channel.API), prefer);
    }

    /**
     * The {@link PatchTwin} a merge patch of tags and desired properties asks for, the patch found at {@code root}
     * (a request body: {@code $}; a batch item's: {@code $.items[3].patch}); a member it may not hold is refused at
     * its path below {@code root}. The values themselves are checked by the twin when it handles the command.
     */
    static PatchTwin patchCommand(TwinId id, ObjectNode patch, String root, Long expectedVersion) {
        for (Iterator<String> it = patch.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("tags") && !field.equals("properties")) {
                String path = JsonPath.child(root, field);
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "readOnlyMember", path,
                        "only tags and properties.desired can be patched; " + path + " cannot"));
            }
        }
        String propertiesPath = root + ".properties";
        ObjectNode properties = JsonBodies.object(patch.get("properties"), propertiesPath);
        if (properties != null && properties.has("reported")) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "readOnlyMember", propertiesPath + ".reported",
                    "reported properties are written by the device: PATCH .../properties/reported"));
        }
        if (properties != null) {
            for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!field.equals("desired")) {
                    throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember",
                            JsonPath.child(propertiesPath, field), "a twin's properties are desired and reported only"));
                }
            }
        }
        ObjectNode tags = sectionPatch(patch.get("tags"), root + ".tags");
        ObjectNode desired = properties == null ? null : sectionPatch(properties.get("desired"), propertiesPath + ".desired");
        return new PatchTwin(id.value(), tags, desired, expectedVersion);
    }

    @Operation(summary = "Delete the twin (204); its events stay",
            description = "A later PUT creates the twin again at the next version.",
            responses = {
                    @ApiResponse(responseCode = "204", description = "deleted; GET answers 404 from now on"),
                    @ApiResponse(responseCode = "400", description = "an invalid id", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "a device twin with live module twins"
                            + " (deviceHasModules): delete the modules first", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping(path = {"/twins/{deviceId}", "/twins/{deviceId}/modules/{moduleId}"})
    ResponseEntity<Void> delete(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                @Parameter(description = IF_MATCH)
                                @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        scope.requireWrite(id, ScopedWrites.Kind.UNCHANGED, null);
        dispatcher.send(new DeleteTwin(id.value(), Etags.expectedVersion(ifMatch)), RequestAudit.of(request, Channel.API));
        return ResponseEntity.noContent().build();
    }

    @Operation(summary = "The device's merge patch of its reported properties; Idempotency-Key makes a retry a no-op",
            description = "Recorded with channel device. A device may call this on its own twin with its own"
                    + " credentials (Basic: its twin id and device key).",
            security = {@SecurityRequirement(name = "bearer"), @SecurityRequirement(name = "device")},
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = JSON, schema = @Schema(implementation = ReportedPatch.class),
                            examples = @ExampleObject(name = "reported", value = REPORTED_EXAMPLE)),
                    @Content(mediaType = MERGE_PATCH, schema = @Schema(implementation = ReportedPatch.class),
                            examples = @ExampleObject(name = "reported", value = REPORTED_EXAMPLE))}),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the twin after the write, with its ETag (a"
                            + " repeat of the same Idempotency-Key: the twin as it is, no event)",
                            content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "204", description = "with Prefer: return=minimal: the ETag and no"
                            + " body", content = @Content),
                    @ApiResponse(responseCode = "400", description = MALFORMED + "; an Idempotency-Key not of 1 to"
                            + " 128 characters (invalidIdempotencyKey)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = TOO_LARGE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = UNSUPPORTED, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = UNPROCESSABLE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PatchMapping(path = {"/twins/{deviceId}/properties/reported", "/twins/{deviceId}/modules/{moduleId}/properties/reported"},
            consumes = {JSON, MERGE_PATCH})
    ResponseEntity<JsonNode> patchReported(@PathVariable String deviceId,
                                           @PathVariable(required = false) String moduleId,
                                           @Parameter(description = "1 to 128 characters; a repeat with the same key"
                                                   + " is a no-op answered with the twin as it is")
                                           @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                           @Parameter(description = PREFER_MINIMAL)
                                           @RequestHeader(value = PREFER, required = false) String prefer,
                                           @RequestBody byte[] body, HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        // The key goes into the event: the UTF-8 text the client sent, as the audit headers are read.
        key = key == null ? null : TextRule.header("Idempotency-Key", key);
        ObjectNode patch = JsonBodies.parseObject(body, JsonPath.REPORTED);
        PatchReportedProperties command = reportedCommand(id, patch, key);
        scope.requireWrite(id, ScopedWrites.Kind.REPORTED, patch);
        return write(command, RequestAudit.of(request, Channel.DEVICE), prefer);
    }

    /**
     * The {@link PatchReportedProperties} of a device's reported patch and its optional idempotency key (1 to 128
     * characters, else {@code 400 invalidIdempotencyKey}). The patch's values are checked by the twin.
     */
    static PatchReportedProperties reportedCommand(TwinId id, ObjectNode patch, String key) {
        if (key != null && (key.isBlank() || key.length() > 128)) {
            throw new TwinException(TwinError.of(ErrorKind.MALFORMED, "invalidIdempotencyKey",
                    "Idempotency-Key must be 1 to 128 characters"));
        }
        return new PatchReportedProperties(id.value(), patch, key);
    }

    @Operation(summary = "Enable or disable the twin's device: {\"status\":\"disabled\",\"statusReason\":\"...\"}",
            description = "The same status and reason change nothing; the same status with another reason records"
                    + " the reason.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = StatusChange.class),
                    examples = @ExampleObject(name = "disable",
                            value = "{\"status\":\"disabled\",\"statusReason\":\"returned for repair\"}"))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the twin after the write, with its ETag",
                            content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, a status other than enabled"
                            + " or disabled (invalidStatus), an invalid id, invalid text", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not name the current etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = {"/twins/{deviceId}/status", "/twins/{deviceId}/modules/{moduleId}/status"}, consumes = JSON)
    ResponseEntity<JsonNode> status(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                    @Parameter(description = IF_MATCH)
                                    @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                    @RequestBody byte[] body, HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        ObjectNode statusRequest = JsonBodies.parseObject(body);
        TwinStatus status = TwinStatus.fromJson(statusRequest.path("status").asText(null));
        if (status == null) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidStatus", "$.status",
                    "status must be \"enabled\" or \"disabled\""));
        }
        JsonNode reason = statusRequest.get("statusReason");
        scope.requireWrite(id, ScopedWrites.Kind.STATUS, statusRequest);
        TwinWriteResult result = dispatcher.send(new SetTwinStatus(id.value(), status,
                        reason == null || reason.isNull() ? null : reason.asText(), Etags.expectedVersion(ifMatch)),
                RequestAudit.of(request, Channel.API));
        return twinResponse(result, HttpStatus.OK);
    }

    @Operation(summary = "AWS Device Shadow update of the twin: {\"state\":{\"desired\":…,\"reported\":…},"
            + "\"version\":…,\"clientToken\":…}",
            description = "Recorded with channel device when it names only reported, api otherwise; desired and"
                    + " reported both changing are two events. The twin must exist: a shadow update creates none.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = ShadowUpdate.class),
                    examples = @ExampleObject(name = "update", value = "{\"state\":{\"desired\":{\"color\":\"red\"}},"
                            + "\"clientToken\":\"abc\"}"))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the shadow after the update, with the twin's"
                            + " ETag", content = @Content(mediaType = JSON, schema = @Schema(ref = SHADOW_SCHEMA))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, no state (missingState), a"
                            + " section that is not an object or null (notAnObject), a version that is not an integer"
                            + " (invalidVersion), a clientToken over 64 bytes (invalidClientToken), an invalid key",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "version is not the twin's version"
                            + " (versionConflict)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = TOO_LARGE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = UNPROCESSABLE, content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = {"/twins/{deviceId}/shadow", "/twins/{deviceId}/modules/{moduleId}/shadow"}, consumes = JSON)
    ResponseEntity<JsonNode> updateShadow(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                          @RequestBody byte[] body, HttpServletRequest request) {
        TwinId id = new TwinId(deviceId, moduleId);
        ObjectNode update = JsonBodies.parseObject(body);
        String clientToken = JsonBodies.clientToken(update);
        UpdateShadow command = UpdateShadow.fromRequest(id.value(), update, clientToken);
        scope.requireWrite(id, ScopedWrites.Kind.SHADOW, update);
        AuditMetadata audit = RequestAudit.of(request,
                command.reported() != null && command.desired() == null ? Channel.DEVICE : Channel.API);
        TwinWriteResult result = dispatcher.send(command, audit);
        ObjectNode shadow = ShadowDocument.render(TwinState.fromDocument(result.twin()), clientToken, clock.instant());
        return ResponseEntity.ok().eTag(TwinState.etag(result.version())).body(shadow);
    }

    private static ObjectNode sectionPatch(JsonNode section, String path) {
        if (section != null && section.isNull()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "nullSection", path,
                    path + " cannot be null in a patch; replace the twin with PUT to clear it"));
        }
        return JsonBodies.object(section, path);
    }

    private static JsonNode nullToAbsent(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    /** Sends a write that answers 200 with the twin, or 204 without it when the caller prefers minimal. */
    private ResponseEntity<JsonNode> write(TwinCommands command, AuditMetadata audit, String prefer) {
        if (prefersMinimal(prefer)) {
            return minimalResponse(dispatcher.sendWithoutDocument(command, audit), HttpStatus.NO_CONTENT);
        }
        return twinResponse(dispatcher.send(command, audit), HttpStatus.OK);
    }

    /**
     * Whether {@code Prefer} (RFC 7240: comma-separated preferences, each with optional {@code ;} parameters, a
     * value optionally quoted) asks for {@code return=minimal}. A preference not understood is ignored, as the RFC
     * asks, so no {@code Prefer} header is ever refused.
     */
    static boolean prefersMinimal(String prefer) {
        if (prefer == null) {
            return false;
        }
        for (String preference : prefer.split(",")) {
            String token = preference.split(";", 2)[0];
            int equals = token.indexOf('=');
            if (equals < 0 || !token.substring(0, equals).trim().equalsIgnoreCase("return")) {
                continue;
            }
            String value = token.substring(equals + 1).trim();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (value.equals("minimal")) {
                return true;
            }
        }
        return false;
    }

    private static ResponseEntity<JsonNode> twinResponse(TwinWriteResult result, HttpStatus status) {
        return ResponseEntity.status(status).eTag(TwinState.etag(result.version())).body(result.twin());
    }

    private static ResponseEntity<JsonNode> minimalResponse(TwinWriteResult result, HttpStatus status) {
        return ResponseEntity.status(status).eTag(TwinState.etag(result.version()))
                .header("Preference-Applied", "return=minimal").build();
    }
}
