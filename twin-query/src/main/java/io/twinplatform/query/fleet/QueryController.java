package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.TwinQuery;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.Iterator;
import java.util.Set;

/** {@code POST /query}: the fleet query language over the current twins, or over the fleet as it was ({@code asOf}). */
@RestController
@Tag(name = "query", description = "Fleet queries over twins (Azure IoT Hub's language, extended)")
class QueryController {

    private static final Set<String> FIELDS = Set.of("query", "pageSize", "continuationToken", "asOf");

    private final FleetQueryService queries;

    private final CallerScope scopes;

    QueryController(FleetQueryService queries, ObjectProvider<CallerScope> scopes) {
        this.queries = queries;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
    }

    @Operation(summary = "Run a fleet query: one page of results and the token for the next")
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
