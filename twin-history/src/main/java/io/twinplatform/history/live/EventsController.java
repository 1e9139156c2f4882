package io.twinplatform.history.live;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.TwinQuery;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code GET /events}: twin changes as server-sent events, as they are stored, for any client (the console is one).
 * The condition is the query language's, as a configuration's target is written, judged on the twin right after each
 * event; a scoped caller's scope narrows it. Resumable: each event's {@code id} is its global index in the event
 * store, and a client sending it back as {@code Last-Event-ID} gets what came after it.
 */
@RestController
@Tag(name = "events", description = "Twin changes, live, as server-sent events")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class EventsController {

    /** The longest {@code Last-Event-ID} read: a global index is a positive {@code long}. */
    private static final int MAX_ID_DIGITS = 18;

    private static final String EXAMPLE = "id: 1842\n"
            + "data: {\"specversion\":\"1.0\",\"id\":\"5d1c…\",\"source\":\"/twin-platform\","
            + "\"type\":\"io.twinplatform.twin.ReportedPropertiesPatched.v1\",\"subject\":\"device001\","
            + "\"time\":\"2026-12-07T10:30:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"twinId\":"
            + "\"device001\",\"deviceId\":\"device001\",\"moduleId\":null,\"version\":7,\"desiredVersion\":2,"
            + "\"reportedVersion\":5,\"deleted\":false,\"globalIndex\":1842,\"event\":{…},\"metadata\":{\"principal\":"
            + "\"device:device001\",\"channel\":\"device\",…}}}\n\n"
            + ": keep-alive\n\n";

    private final LiveEvents live;
    private final CallerScope scopes;

    EventsController(LiveEvents live, ObjectProvider<CallerScope> scopes) {
        this.live = live;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
    }

    @Operation(summary = "Twin changes as server-sent events, filtered by a condition, resumable with Last-Event-ID",
            description = "Each twin event, once stored, as one SSE message: `id` is the event's global index,"
                    + " `data` the CloudEvents record the Kafka topic twin.events carries (one line of JSON). The"
                    + " condition is judged on the twin right after the event, so an event that takes a twin out of"
                    + " the condition is not sent. Without Last-Event-ID the stream starts at the newest event. A"
                    + " comment line (`: keep-alive`) comes every 15 s when nothing else does. EventSource cannot send"
                    + " an Authorization header: read the stream with fetch (or any HTTP client) instead.",
            parameters = {
                    @Parameter(name = "where", in = ParameterIn.QUERY, description = "a condition as a configuration's"
                            + " target is written (tags.site = 'plant-7', FROM devices.modules WHERE …), so * is every"
                            + " device twin; absent: every twin, devices and modules", example = "tags.site = 'plant-7'"),
                    @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, description = "the id of the last"
                            + " event received: the stream goes on after it", example = "1842")},
            responses = {
                    @ApiResponse(responseCode = "200", description = "the stream; it stays open",
                            content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
                                    schema = @Schema(type = "string"),
                                    examples = @ExampleObject(name = "one event", value = EXAMPLE))),
                    @ApiResponse(responseCode = "400", description = "a condition that does not parse (position)"
                            + " or uses computed attributes; a Last-Event-ID that is not a global index (header)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "429", description = "tooManyStreams: this instance serves its"
                            + " limit of streams", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/events")
    SseEmitter events(@RequestParam(name = "where", required = false) String where,
                      @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        TwinQuery condition = where == null || where.isBlank() ? null : TwinQuery.parseTargetCondition(where);
        return live.open(condition, scopes.current(), lastEventId(lastEventId));
    }

    /** The global index a {@code Last-Event-ID} names; null when absent. */
    static Long lastEventId(String header) {
        if (header == null || header.isEmpty()) {
            return null;
        }
        if (header.length() > MAX_ID_DIGITS || !header.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidLastEventId", "Last-Event-ID",
                    "Last-Event-ID is the id of an event this stream sent: a global index of up to " + MAX_ID_DIGITS
                            + " digits"));
        }
        return Long.parseLong(header);
    }
}
