package io.twinplatform.history;

import io.swagger.v3.oas.annotations.media.Schema;
import io.twinplatform.api.http.ApiDocs;

import java.util.List;
import java.util.Map;

/**
 * The change item both the history and the audit trail answer with, and a page of them: documentation only, for the
 * served OpenAPI document.
 */
public final class HistoryDocs {

    /** One change of a twin as the history and the audit trail list it; documentation only. */
    @Schema(name = "HistoryItem")
    public record HistoryItem(@Schema(format = "date-time") String time, String twinId, long version,
                              String eventType, String principal,
                              @Schema(allowableValues = {"api", "device", "configuration", "rollout", "job",
                                      "computed"})
                              String channel, String transport, String correlationId, String causationId,
                              String reason,
                              @Schema(description = "the leaves the event set or removed, named as a query names them")
                              List<String> paths,
                              @Schema(description = "the event as stored") Map<String, Object> change,
                              String eventId,
                              @Schema(ref = ApiDocs.TWIN_SCHEMA, description = "with includeState=true: the twin after"
                                      + " the change, null after a deletion (GET …/history only)") Object twin) {
    }

    /** A page of changes; documentation only. */
    @Schema(name = "HistoryPage")
    public record HistoryPage(List<HistoryItem> items,
                              @Schema(nullable = true, description = "null on the last page")
                              String continuationToken) {
    }

    private HistoryDocs() {
    }
}
