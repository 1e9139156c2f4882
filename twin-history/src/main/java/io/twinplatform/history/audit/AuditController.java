package io.twinplatform.history.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.history.HistoryFilter;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/** Tamper evidence: verify the chain and the history, and read the chain's head to anchor it elsewhere. */
@RestController
@Tag(name = "audit", description = "Tamper evidence over the event store and the history")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class AuditController {

    /** What to verify; documentation only, the body is read raw. Absent or {@code {}}: the whole store. */
    @Schema(name = "AuditVerifyRequest", description = "any other member is 400 unknownMember")
    record VerifyRequest(@Schema(description = "one twin only") String twinId,
                         @Schema(format = "date-time", description = "events at or after this instant") String from,
                         @Schema(format = "date-time", description = "events before this instant") String to,
                         @Schema(defaultValue = "true", description = "also compare every history row in scope with"
                                 + " its event; false: the chain only") Boolean history) {
    }

    /** {@code GET /audit/head}; documentation only. */
    @Schema(name = "AuditHead", description = "{\"position\": 0} while the chain is empty")
    record Head(long position, Long globalIndex, String eventId, @Schema(description = "SHA-256, hex") String hash) {
    }

    private final AuditVerifier verifier;
    private final AuditVerifications verifications;
    private final JdbcTemplate jdbc;

    AuditController(AuditVerifier verifier, AuditVerifications verifications, JdbcTemplate jdbc) {
        this.verifier = verifier;
        this.verifications = verifications;
        this.jdbc = jdbc;
    }

    private static final Set<String> MEMBERS = Set.of("twinId", "from", "to", "history");

    @Operation(summary = "Verify the hash chain and the history: the whole store ({}), one twin ({\"twinId\"}) or a"
            + " time range ({\"from\",\"to\"}); \"history\": false checks the chain only",
            description = "The optional body is read as JSON whatever its Content-Type.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = VerifyRequest.class), examples = {
                            @ExampleObject(name = "twin", value = "{\"twinId\":\"device001\"}"),
                            @ExampleObject(name = "range", value = "{\"from\":\"2026-11-01T00:00:00Z\","
                                    + "\"to\":\"2026-12-01T00:00:00Z\",\"history\":false}")})),
            responses = {
                    @ApiResponse(responseCode = "200", description = "valid, how many links and history rows were"
                            + " checked, and where the record first breaks (null when valid)", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = AuditVerifier.Result.class))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, an unknown member, a member"
                            + " of the wrong type, a malformed instant",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/audit/verify")
    AuditVerifier.Result verify(@RequestBody(required = false) byte[] body) {
        AuditVerifications.Request request = request(body);
        return verifier.verify(request.twinId(), request.from(), request.to(), request.history());
    }

    @Operation(summary = "Start a verification in the background and follow its progress; the same body and check as"
            + " POST /audit/verify",
            description = "One verification runs at a time per instance; others wait (state queued). Follow it at"
                    + " the Location given, GET /audit/verifications/{id}, on the same instance.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = VerifyRequest.class), examples = {
                            @ExampleObject(name = "whole store", value = "{}"),
                            @ExampleObject(name = "twin", value = "{\"twinId\":\"device001\"}")})),
            responses = {
                    @ApiResponse(responseCode = "202", description = "started or queued; Location names it",
                            content = @Content(mediaType = JSON,
                                    schema = @Schema(implementation = AuditVerifications.View.class))),
                    @ApiResponse(responseCode = "400", description = "as for POST /audit/verify",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/audit/verifications")
    ResponseEntity<AuditVerifications.View> startVerification(@RequestBody(required = false) byte[] body) {
        AuditVerifications.View started = verifications.start(request(body));
        return ResponseEntity.accepted().location(URI.create("/audit/verifications/" + started.id())).body(started);
    }

    @Operation(summary = "A background verification: its state, links checked of the total, and its result once done",
            responses = {
                    @ApiResponse(responseCode = "200", description = "queued, running (the chain), history (the"
                            + " history rows), done (with the result) or failed", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = AuditVerifications.View.class))),
                    @ApiResponse(responseCode = "404", description = "verificationNotFound: not kept on this"
                            + " instance (kept for an hour)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/audit/verifications/{id}")
    AuditVerifications.View verification(@PathVariable("id") String id) {
        return verifications.get(id);
    }

    /** A verify request's body: absent or {@code {}} for the whole store. */
    private static AuditVerifications.Request request(byte[] body) {
        JsonNode request = body == null || body.length == 0 ? null : JsonBodies.parseObject(body);
        if (request != null) {
            for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!MEMBERS.contains(name)) {
                    throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", "$." + name,
                            "a verify request has twinId, from, to and history; not " + name));
                }
            }
        }
        String twinId = text(request, "twinId");
        Instant from = HistoryFilter.instant("$.from", text(request, "from"));
        Instant to = HistoryFilter.instant("$.to", text(request, "to"));
        JsonNode history = request == null ? null : request.get("history");
        if (history != null && !history.isBoolean()) {
            throw HistoryFilter.invalid("$.history", "history is true (also check the history table, the default)"
                    + " or false (the chain only)");
        }
        return new AuditVerifications.Request(twinId, from, to, history == null || history.booleanValue());
    }

    @Operation(summary = "The chain's last link: publish its hash somewhere you trust to anchor the record",
            responses = @ApiResponse(responseCode = "200", description = "the last link", content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = Head.class))))
    @GetMapping("/audit/head")
    Map<String, Object> head() {
        List<Map<String, Object>> head = jdbc.queryForList(
                "SELECT position, global_index AS \"globalIndex\", event_id AS \"eventId\", hash FROM event_chain"
                        + " ORDER BY position DESC LIMIT 1");
        return head.isEmpty() ? Map.of("position", 0) : head.get(0);
    }

    private static String text(JsonNode request, String name) {
        if (request == null || request.get(name) == null || request.get(name).isNull()) {
            return null;
        }
        if (!request.get(name).isTextual()) {
            throw HistoryFilter.invalid("$." + name, name + " is a string");
        }
        return request.get(name).textValue();
    }

}
