package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.query.TwinQueryPage;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.Iterator;
import java.util.Set;

/** {@code POST /query}: the fleet query language over the current twins. */
@RestController
@Tag(name = "query", description = "Fleet queries over twins (Azure IoT Hub's language, extended)")
class QueryController {

    private static final Set<String> FIELDS = Set.of("query", "pageSize", "continuationToken", "asOf");

    private final FleetQueryService queries;

    QueryController(FleetQueryService queries) {
        this.queries = queries;
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
        JsonNode asOf = request.get("asOf");
        if (asOf != null && !asOf.isNull()) {
            throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "pointInTimeNotAvailable", "$.asOf",
                    "querying the fleet as of a past instant is not available in this version"));
        }
        return queries.run(query.textValue(), pageSize, token);
    }
}
