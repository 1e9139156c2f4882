package io.twinplatform.query.twin;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.history.FindPastTwin;
import io.twinplatform.api.history.PastTwin;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.util.concurrent.CompletionException;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.SHADOW_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.TWIN_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/** Reads twins from the projection. Every write this platform answered is visible here (see CommandDispatcher). */
@RestController
@Tag(name = "twins", description = "Device and module twins")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class TwinReadController {

    private final TwinDocumentStore store;
    private final QueryGateway queries;
    private final Clock clock = Clock.systemUTC();

    TwinReadController(TwinDocumentStore store, QueryGateway queries) {
        this.store = store;
        this.queries = queries;
    }

    @Operation(summary = "The twin, with its ETag; If-None-Match with the current etag answers 304",
            description = "With asOf or atVersion, the twin exactly as it was, read by the history side. A device"
                    + " may read its own twin with its own credentials (Basic: its twin id and device key).",
            security = {@SecurityRequirement(name = "bearer"), @SecurityRequirement(name = "device")},
            responses = {
                    @ApiResponse(responseCode = "200", description = "the twin, with its ETag; for asOf or atVersion"
                            + " the twin as it was, with that version's ETag", headers = @Header(name = "Twin-Source",
                            description = "asOf or atVersion only: history (the history table or its baseline) or"
                                    + " events (rebuilt from the event store)"),
                            content = @Content(mediaType = JSON, schema = @Schema(ref = TWIN_SCHEMA))),
                    @ApiResponse(responseCode = "304", description = "If-None-Match names the current etag",
                            content = @Content),
                    @ApiResponse(responseCode = "400", description = "an invalid id; a malformed asOf, an atVersion"
                            + " below 1, or both at once; an unknown include or a bad window (invalidParameter)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted; for asOf or"
                            + " atVersion: not existing then, or no such version (twinNotFound)", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "asOf or atVersion in a process that does not"
                            + " run the history side (pointInTimeNotAvailable); include of a part this process does"
                            + " not run (includeNotAvailable)", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}", "/twins/{deviceId}/modules/{moduleId}"})
    ResponseEntity<JsonNode> get(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                 @Parameter(description = "an ISO-8601 instant: the twin as it was then",
                                         example = "2026-11-24T03:12:00Z")
                                 @RequestParam(required = false) String asOf,
                                 @Parameter(description = "a version, 1 or more: the twin right after it (not with"
                                         + " asOf)") @RequestParam(required = false) Long atVersion,
                                 @Parameter(description = "the current etag: 304 Not Modified (without include)")
                                 @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
                                 @Parameter(description = "also, in the one answer: history (the changes in the"
                                         + " window, newest first, at most 100), telemetry (per series in the window:"
                                         + " count, avg, min, max, last), computed (the computed attributes);"
                                         + " comma-separated", example = "history,telemetry,computed")
                                 @RequestParam(required = false) String include,
                                 @Parameter(description = "how far back include reaches: 15m, 24h, 7d or"
                                         + " ISO-8601 like PT24H, 1 minute to 90 days; default 24h")
                                 @RequestParam(required = false) String window) {
        TwinId id = new TwinId(deviceId, moduleId);
        TwinIncludes includes = TwinIncludes.parse(include, window);
        if (asOf != null || atVersion != null) {
            if (!includes.isEmpty()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", "include",
                        "include reads the twin as it is now; it does not go with asOf or atVersion"));
            }
            return past(id, asOf, atVersion);
        }
        TwinDocumentStore.Row twin = load(id);
        String etag = TwinState.etag(twin.version());
        if (includes.isEmpty() && etag.equals(ifNoneMatch)) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
        }
        if (includes.isEmpty()) {
            return ResponseEntity.ok().eTag(etag).body(twin.document());
        }
        return ResponseEntity.ok().eTag(etag).body(includes.addTo(twin.document().deepCopy(), id, queries,
                clock.instant()));
    }

    @Operation(summary = "The AWS Device Shadow view of the twin",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the shadow, with the twin's ETag",
                            content = @Content(mediaType = JSON, schema = @Schema(ref = SHADOW_SCHEMA))),
                    @ApiResponse(responseCode = "400", description = "an invalid id", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin, or deleted (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/shadow", "/twins/{deviceId}/modules/{moduleId}/shadow"})
    ResponseEntity<JsonNode> shadow(@PathVariable String deviceId, @PathVariable(required = false) String moduleId) {
        TwinDocumentStore.Row twin = load(new TwinId(deviceId, moduleId));
        TwinState state = TwinState.fromDocument(twin.document());
        return ResponseEntity.ok().eTag(TwinState.etag(twin.version()))
                .body(ShadowDocument.render(state, null, clock.instant()));
    }

    /** The twin as it was, from the history side over the query bus. */
    private ResponseEntity<JsonNode> past(TwinId id, String asOf, Long atVersion) {
        if (asOf != null && atVersion != null) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", "asOf",
                    "give asOf or atVersion, not both"));
        }
        FindPastTwin query;
        if (asOf != null) {
            query = FindPastTwin.asOf(id.value(), Timestamps.parameter("asOf", asOf));
        } else {
            if (atVersion < 1) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", "atVersion",
                        "atVersion is a twin version, 1 or more"));
            }
            query = FindPastTwin.atVersion(id.value(), atVersion);
        }
        PastTwin past;
        try {
            past = queries.query(query, ResponseTypes.instanceOf(PastTwin.class)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoHandlerForQueryException) {
                throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "pointInTimeNotAvailable",
                        "reading a twin as it was needs the history side (twin.history.enabled), which this"
                                + " deployment does not run"));
            }
            throw e;
        }
        if (past == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin " + id
                    + (asOf != null ? " did not exist at " + asOf : " has no version " + atVersion)));
        }
        // Twin-Source: whether the history table answered or the twin was rebuilt from its events (past retention).
        return ResponseEntity.ok().eTag(TwinState.etag(past.version()))
                .header("Twin-Source", past.rebuiltFromEvents() ? "events" : "history").body(past.twin());
    }

    private TwinDocumentStore.Row load(TwinId id) {
        return store.find(id.value()).filter(row -> !row.deleted())
                .orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                        "twin " + id + " does not exist")));
    }
}
