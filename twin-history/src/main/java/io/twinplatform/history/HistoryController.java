package io.twinplatform.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.history.FindPastTwin;
import io.twinplatform.api.history.PastTwin;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.TwinId;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code GET /twins/{id}/history}: one twin's changes, newest or oldest first, filtered by time, principal,
 * channel and path, paged by version. A deleted twin keeps its history.
 */
@RestController
@Tag(name = "history", description = "A twin's past: its changes, who made them, through what and why")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class HistoryController {

    private static final String INSTANT = "an ISO-8601 instant";

    /** {@code GET …/replay}; documentation only. */
    @Schema(name = "ReplaySteps")
    record ReplaySteps(@Schema(description = "each event: version, time, eventType, its audit metadata (principal,"
            + " channel, correlationId, …), change (the event) and twin (the twin right after it, null after a"
            + " deletion)") List<Map<String, Object>> items) {
    }

    /** {@code GET …/diff}; documentation only. */
    @Schema(name = "TwinDiff")
    record Diff(@Schema(nullable = true, description = "null: the twin did not exist then") Long fromVersion,
                @Schema(nullable = true) Long toVersion,
                @Schema(description = "each leaf that differs: path, from (absent if it was not there), to (absent if"
                        + " it is gone)") List<Map<String, Object>> changes) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;
    private final EventFold fold;
    private final PastTwins pastTwins;
    private final ObjectMapper json = TwinJson.newMapper();

    HistoryController(JdbcTemplate jdbc, ObjectMapper mapper, EventFold fold, PastTwins pastTwins) {
        this.jdbc = jdbc;
        this.mapper = mapper;
        this.fold = fold;
        this.pastTwins = pastTwins;
    }

    @Operation(summary = "The twin's changes: version, time, event type, who, through what, why, the paths it"
            + " changed and the change itself; with includeState=true also the twin after each change",
            description = "A deleted twin keeps its history. The history is written a moment after the event store:"
                    + " a read right after a write may not list it yet.",
            responses = {
                    @ApiResponse(responseCode = "200", description = "a page of changes", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = HistoryDocs.HistoryPage.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id or parameter"
                            + " (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "a twin without history (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/history", "/twins/{deviceId}/modules/{moduleId}/history"})
    ObjectNode history(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                       @Parameter(description = "newest or oldest first")
                       @RequestParam(defaultValue = "newest") String order,
                       @Parameter(description = INSTANT + ": changes at or after it")
                       @RequestParam(required = false) String from,
                       @Parameter(description = INSTANT + ": changes before it")
                       @RequestParam(required = false) String to,
                       @Parameter(description = "who made the change") @RequestParam(required = false) String principal,
                       @Parameter(description = "api, device, configuration, rollout or job")
                       @RequestParam(required = false) String channel,
                       @Parameter(description = "changes that touched this path, something inside it, or a field"
                               + " containing it, e.g. properties.desired") @RequestParam(required = false) String path,
                       @Parameter(description = "also the twin after each change")
                       @RequestParam(defaultValue = "false") boolean includeState,
                       @Parameter(description = "1 to 1000") @RequestParam(defaultValue = "100") int pageSize,
                       @Parameter(description = "the previous page's token, for the next page")
                       @RequestParam(required = false) String continuationToken) {
        TwinId id = new TwinId(deviceId, moduleId);
        boolean newest = switch (order) {
            case "newest" -> true;
            case "oldest" -> false;
            default -> throw HistoryFilter.invalid("order", "order is newest or oldest");
        };
        if (pageSize < 1 || pageSize > 1000) {
            throw HistoryFilter.invalid("pageSize", "pageSize is between 1 and 1000");
        }
        // The parameters are checked before the twin is looked up: a malformed request is 400 whether or not the
        // twin has history yet.
        HistoryFilter filter = HistoryFilter.of(id.value(), null, from, to, principal, channel, null, path);
        Boolean known = jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM twin_history_head WHERE twin_id = ?)",
                Boolean.class, id.value());
        if (!Boolean.TRUE.equals(known)) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin " + id + " has no history"));
        }
        StringBuilder sql = new StringBuilder("SELECT " + HistoryItems.COLUMNS + ", "
                + (includeState ? "h.state::text" : "NULL") + " FROM twin_history h WHERE TRUE");
        List<Object> args = new ArrayList<>();
        filter.appendTo(sql, args);
        if (continuationToken != null) {
            long after;
            try {
                after = Long.parseLong(continuationToken);
            } catch (NumberFormatException e) {
                throw HistoryFilter.invalid("continuationToken", "continuationToken is the value a previous page returned");
            }
            sql.append(newest ? " AND h.version < ?" : " AND h.version > ?");
            args.add(after);
        }
        sql.append(" ORDER BY h.version ").append(newest ? "DESC" : "ASC").append(" LIMIT ?");
        args.add(pageSize + 1);
        List<ObjectNode> items = jdbc.query(sql.toString(), (rs, n) -> {
            ObjectNode item = HistoryItems.read(rs, mapper);
            if (includeState) {
                String state = rs.getString(HistoryItems.WIDTH + 1);
                item.set("twin", state == null ? mapper.nullNode() : HistoryItems.parse(mapper, state));
            }
            return item;
        }, args.toArray());
        ObjectNode body = mapper.createObjectNode();
        ArrayNode list = body.putArray("items");
        items.stream().limit(pageSize).forEach(list::add);
        body.put("continuationToken", items.size() > pageSize
                ? String.valueOf(items.get(pageSize - 1).get("version").asLong()) : null);
        return body;
    }

    @Operation(summary = "Step through the twin from the event store: each event with its audit metadata and the"
            + " twin right after it (null after a deletion), versions fromVersion to toVersion, at most 1000",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the events and the twin after each",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = ReplaySteps.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id; fromVersion below 1 or toVersion"
                            + " not within fromVersion to fromVersion + 999 (invalidParameter)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "a twin without events (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/replay", "/twins/{deviceId}/modules/{moduleId}/replay"})
    ObjectNode replay(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                      @Parameter(description = "the first version, 1 or more")
                      @RequestParam(defaultValue = "1") long fromVersion,
                      @Parameter(description = "the last version; default fromVersion + 999")
                      @RequestParam(required = false) Long toVersion) {
        TwinId id = new TwinId(deviceId, moduleId);
        long to = toVersion == null ? fromVersion + 999 : toVersion;
        if (fromVersion < 1 || to < fromVersion || to - fromVersion >= 1000) {
            throw HistoryFilter.invalid("toVersion", "fromVersion is 1 or more, and toVersion from fromVersion to fromVersion + 999");
        }
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        fold.steps(id.value(), fromVersion, to, step -> {
            ObjectNode item = items.addObject();
            item.put("version", step.event().version());
            item.put("time", step.message().getTimestamp().toString());
            item.put("eventType", step.event().getClass().getSimpleName());
            step.message().getMetaData().forEach((key, value) -> item.put(key, String.valueOf(value)));
            item.set("change", json.valueToTree(step.event()));
            item.set("twin", step.state().deleted() ? mapper.nullNode() : step.state().render());
        });
        if (items.isEmpty() && fold.fold(id.value(), null, null) == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin " + id + " has no events"));
        }
        return body;
    }

    @Operation(summary = "What changed between two versions (or two instants) of the twin: each leaf of tags,"
            + " desired and reported properties and status that differs, with its value before and after",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the leaves that differ", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Diff.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id; not exactly one of fromVersion"
                            + " and fromTime (or toVersion and toTime), a version below 1, a malformed instant"
                            + " (invalidParameter)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/diff", "/twins/{deviceId}/modules/{moduleId}/diff"})
    ObjectNode diff(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                    @Parameter(description = "the earlier version (or fromTime)")
                    @RequestParam(required = false) Long fromVersion,
                    @Parameter(description = "the later version (or toTime)")
                    @RequestParam(required = false) Long toVersion,
                    @Parameter(description = INSTANT + ": the twin as it was then (or fromVersion)")
                    @RequestParam(required = false) String fromTime,
                    @Parameter(description = INSTANT + ": the twin as it was then (or toVersion)")
                    @RequestParam(required = false) String toTime) {
        TwinId id = new TwinId(deviceId, moduleId);
        PastTwin before = point(id, "from", fromVersion, fromTime);
        PastTwin after = point(id, "to", toVersion, toTime);
        ObjectNode body = mapper.createObjectNode();
        body.put("fromVersion", before == null ? null : before.version());
        body.put("toVersion", after == null ? null : after.version());
        ArrayNode changes = body.putArray("changes");
        TwinDiff.changes(before == null ? null : before.twin(), after == null ? null : after.twin(), changes);
        return body;
    }

    /** The twin at a version or an instant; {@code null} if it did not exist then. */
    private PastTwin point(TwinId id, String side, Long version, String time) {
        if ((version == null) == (time == null)) {
            throw HistoryFilter.invalid(side + "Version", "give " + side + "Version or " + side + "Time (one of the two)");
        }
        if (version != null && version < 1) {
            throw HistoryFilter.invalid(side + "Version", side + "Version is 1 or more");
        }
        return pastTwins.find(version != null ? FindPastTwin.atVersion(id.value(), version)
                : FindPastTwin.asOf(id.value(), HistoryFilter.instant(side + "Time", time)));
    }


}
