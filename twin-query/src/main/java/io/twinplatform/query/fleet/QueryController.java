package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

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

/** {@code POST /query}: the fleet query language over the current twins, or over the fleet as it was ({@code asOf}). */
@RestController
@Tag(name = "query", description = "Fleet queries over twins (Azure IoT Hub's language, extended)")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class QueryController {

    private static final String EXAMPLE = """
            {"query":"SELECT deviceId FROM devices WHERE tags.location.building = 'building-1'","pageSize":100}""";
    private static final String AS_OF_EXAMPLE = """
            {"query":"SELECT deviceId, status FROM devices","asOf":"2026-11-24T03:12:00Z"}""";

    /** A query request; documentation only, the body is read raw. */
    @Schema(name = "QueryRequest", description = "a fleet query (docs/query.md); any other member is 400"
            + " unknownMember")
    record QueryRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, maxLength = 8192) String query,
                        @Schema(minimum = "1", maximum = "1000", defaultValue = "100") Integer pageSize,
                        @Schema(nullable = true, description = "the previous page's token, with the same query")
                        String continuationToken,
                        @Schema(nullable = true, format = "date-time", description = "query the fleet as it was at"
                                + " this instant, within the history's retention; null or absent: the current twins")
                        String asOf) {
    }

    /** One page of a query's results; documentation only ({@link TwinQueryPage} is what is answered). */
    @Schema(name = "QueryPage")
    record QueryPage(@Schema(description = "in the query's order: a twin, projected fields (alias or last segment"
            + " as key) or a group") List<Map<String, Object>> items,
                     @Schema(nullable = true, description = "null on the last page") String continuationToken) {
    }

    private static final Set<String> FIELDS = Set.of("query", "pageSize", "continuationToken", "asOf");

    private final FleetQueryService queries;

    private final CallerScope scopes;

    QueryController(FleetQueryService queries, ObjectProvider<CallerScope> scopes) {
        this.queries = queries;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
    }

    @Operation(summary = "Run a fleet query: one page of results and the token for the next",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = QueryRequest.class), examples = {
                            @ExampleObject(name = "current", value = EXAMPLE),
                            @ExampleObject(name = "asOf", value = AS_OF_EXAMPLE)})),
            responses = {
                    @ApiResponse(responseCode = "200", description = "one page of results", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = QueryPage.class))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, a missing query, a syntax error"
                            + " (with its position), an unknown field or member, a bad page size, continuation token"
                            + " or asOf",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "the query ran past its statement timeout"
                            + " (queryTimeout); asOf older than the history's retention (asOfBeyondRetention) or in a"
                            + " process without the history side (pointInTimeNotAvailable)", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(value = "/query", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    TwinQueryPage query(@RequestBody byte[] body) {
        ObjectNode request = JsonBodies.parseObject(body);
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", "$." + name,
                        "a query request has query, pageSize, continuationToken and asOf; not " + name));
            }
        }
        JsonNode query = request.get("query");
        if (query == null || !query.isTextual()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "missingQuery", "$.query",
                    "the request needs the query text as a string in $.query"));
        }
        Integer pageSize = null;
        JsonNode size = request.get("pageSize");
        if (size != null && !size.isNull()) {
            if (!size.isIntegralNumber() || !size.canConvertToInt()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidPageSize", "$.pageSize",
                        "pageSize is a whole number between 1 and 1000"));
            }
            pageSize = size.intValue();
        }
        String token = null;
        JsonNode continuation = request.get("continuationToken");
        if (continuation != null && !continuation.isNull()) {
            if (!continuation.isTextual()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidContinuationToken",
                        "$.continuationToken", "continuationToken is the string a previous page returned"));
            }
            token = continuation.textValue();
        }
        Instant asOf = null;
        JsonNode instant = request.get("asOf");
        if (instant != null && !instant.isNull()) {
            if (!instant.isTextual()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidAsOf", "$.asOf",
                        "asOf is an ISO-8601 instant as a string, like 2026-11-24T03:12:00Z"));
            }
            try {
                asOf = Timestamps.parameter("asOf", instant.textValue());
            } catch (TwinException e) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidAsOf", "$.asOf",
                        e.error().detail()));
            }
        }
        // A scoped caller's query selects within its scope: (scope) AND (the query's condition).
        TwinQuery parsed = TwinQuery.parse(query.textValue());
        Scope scope = scopes.current();
        return queries.run(scope == null ? parsed : scope.narrow(parsed), pageSize, token, asOf);
    }
}
