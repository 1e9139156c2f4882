package io.twinplatform.history;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * Names the history side's OpenAPI annotations share: media types, the components the application registers once
 * for every module (deploy's {@code OpenApiDocument}): the problem document, the twin and the security layer's
 * answers, which every controller here lists at class level; and the change item both the history and the audit
 * trail answer with.
 */
public final class ApiDocs {

    public static final String JSON = "application/json";
    public static final String PROBLEM = "application/problem+json";
    public static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    public static final String TWIN_SCHEMA = "#/components/schemas/Twin";
    public static final String UNAUTHORIZED = "#/components/responses/unauthorized";
    public static final String FORBIDDEN = "#/components/responses/forbidden";

    /** One change of a twin as the history and the audit trail list it; documentation only. */
    @Schema(name = "HistoryItem")
    public record HistoryItem(@Schema(format = "date-time") String time, String twinId, long version,
                              String eventType, String principal,
                              @Schema(allowableValues = {"api", "device", "configuration", "rollout", "job"})
                              String channel, String transport, String correlationId, String causationId,
                              String reason,
                              @Schema(description = "the leaves the event set or removed, named as a query names them")
                              List<String> paths,
                              @Schema(description = "the event as stored") Map<String, Object> change,
                              String eventId,
                              @Schema(ref = TWIN_SCHEMA, description = "with includeState=true: the twin after"
                                      + " the change, null after a deletion (GET …/history only)") Object twin) {
    }

    /** A page of changes; documentation only. */
    @Schema(name = "HistoryPage")
    public record HistoryPage(List<HistoryItem> items,
                              @Schema(nullable = true, description = "null on the last page")
                              String continuationToken) {
    }

    private ApiDocs() {
    }
}
