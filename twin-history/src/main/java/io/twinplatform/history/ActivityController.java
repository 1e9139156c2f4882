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
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code GET /fleet/activity}: the fleet's changes over time, counted per time bucket, event type and channel, from
 * the history table (TimescaleDB: its continuous aggregate, which outlives the raw rows). Buckets with no change are
 * left out.
 */
@RestController
@Tag(name = "history", description = "A twin's past: its changes, who made them, through what and why")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ActivityController {

    /** {@code GET /fleet/activity}; documentation only. */
    @Schema(name = "FleetActivity")
    record Activity(@Schema(description = "the range, widened to whole buckets") String from, String to,
                    String bucket, @Schema(allowableValues = {"native", "timescale"}) String dialect,
                    @Schema(description = "buckets with changes: start, changes, byEventType, byChannel")
                    List<Map<String, Object>> buckets) {
    }

    static final int MAX_BUCKETS = 10_000;
    private static final Pattern WIDTH = Pattern.compile("([1-9][0-9]{0,5})([smhd])");

    private final JdbcTemplate jdbc;
    private final TimeSeriesTable table;
    private final ObjectMapper mapper;
    private final Clock clock = Clock.systemUTC();

    ActivityController(JdbcTemplate jdbc, @Qualifier("historyTable") TimeSeriesTable table, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.table = table;
        this.mapper = mapper;
    }

    @Operation(summary = "Changes across the fleet per time bucket (from, to: ISO-8601 instants, default the last"
            + " 24 hours; bucket: 30s, 5m, 1h, 1d …, default 1h), with counts by event type and by channel",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the buckets with changes", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Activity.class))),
                    @ApiResponse(responseCode = "400", description = "a malformed instant or bucket, from not before"
                            + " to, more than 10000 buckets (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/fleet/activity")
    ObjectNode activity(@Parameter(description = "an ISO-8601 instant; default 24 hours before to")
                        @RequestParam(required = false) String from,
                        @Parameter(description = "an ISO-8601 instant, exclusive; default now")
                        @RequestParam(required = false) String to,
                        @Parameter(description = "a whole number and s, m, h or d")
                        @RequestParam(defaultValue = "1h") String bucket) {
        Duration width = width(bucket);
        Instant end = to == null ? clock.instant() : HistoryFilter.instant("to", to);
        Instant start = from == null ? end.minus(Duration.ofDays(1)) : HistoryFilter.instant("from", from);
        if (!start.isBefore(end)) {
            throw HistoryFilter.invalid("from", "from must be before to");
        }
        // Whole buckets: the range widens to the bucket boundaries around it (counted from 2000-01-01T00:00Z).
        Instant origin = Instant.parse("2000-01-01T00:00:00Z");
        long seconds = width.toSeconds();
        start = origin.plusSeconds(Math.floorDiv(Duration.between(origin, start).toSeconds(), seconds) * seconds);
        end = origin.plusSeconds(-Math.floorDiv(-Duration.between(origin, end).toSeconds(), seconds) * seconds);
        if (Duration.between(start, end).toSeconds() / seconds > MAX_BUCKETS) {
            throw HistoryFilter.invalid("bucket", "at most " + MAX_BUCKETS + " buckets per request: widen the bucket"
                    + " or narrow from and to");
        }
        ObjectNode result = mapper.createObjectNode();
        result.put("from", start.toString()).put("to", end.toString()).put("bucket", bucket)
                .put("dialect", table.dialect());
        ArrayNode buckets = result.putArray("buckets");
        ObjectNode[] current = {null};
        jdbc.query(HistoryTable.activitySql(table, width), rs -> {
            String bucketStart = rs.getTimestamp(1).toInstant().toString();
            if (current[0] == null || !current[0].get("start").asText().equals(bucketStart)) {
                current[0] = buckets.addObject().put("start", bucketStart).put("changes", 0L);
                current[0].putObject("byEventType");
                current[0].putObject("byChannel");
            }
            long changes = rs.getLong(4);
            ObjectNode item = current[0];
            item.put("changes", item.get("changes").asLong() + changes);
            ObjectNode byType = (ObjectNode) item.get("byEventType");
            byType.put(rs.getString(2), byType.path(rs.getString(2)).asLong() + changes);
            String channel = rs.getString(3).isEmpty() ? "unknown" : rs.getString(3);
            ObjectNode byChannel = (ObjectNode) item.get("byChannel");
            byChannel.put(channel, byChannel.path(channel).asLong() + changes);
        }, Timestamp.from(start), Timestamp.from(end));
        return result;
    }

    private static Duration width(String bucket) {
        Matcher m = WIDTH.matcher(bucket);
        if (!m.matches()) {
            throw HistoryFilter.invalid("bucket", "bucket is a whole number and a unit (s, m, h or d), like 5m or 1h;"
                    + " got " + bucket);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
