package io.twinplatform.history.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.history.HistoryDocs;
import io.twinplatform.history.HistoryFilter;
import io.twinplatform.history.HistoryItems;
import io.twinplatform.history.ScopedTwins;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * The trail across the fleet: {@code GET /audit} pages through history rows by time (oldest first), filtered by
 * twin, device (with its modules), principal, channel, correlation id, path and time range;
 * {@code GET /audit/export} streams the same selection as NDJSON or CSV without holding it in memory.
 */
@RestController
@Tag(name = "audit", description = "Tamper evidence over the event store and the history")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class AuditTrailController {

    private static final String TWIN_ID = "one twin (a device's or a module's id)";
    private static final String DEVICE_ID = "a device and its modules";
    private static final String FROM = "an ISO-8601 instant: changes at or after it";
    private static final String TO = "an ISO-8601 instant: changes before it";
    private static final String PRINCIPAL = "who made the change";
    private static final String CHANNEL = "api, device, configuration, rollout or job";
    private static final String CORRELATION_ID = "the X-Correlation-Id of the request, or a rollout or job id";
    private static final String PATH = "changes that touched this path, something inside it, or a field containing it";

    private static final String COLUMNS = HistoryItems.COLUMNS;
    private static final String[] CSV_HEADER = {"time", "twinId", "version", "eventType", "principal", "channel",
            "transport", "correlationId", "causationId", "reason", "paths", "change", "eventId"};

    private final JdbcTemplate jdbc;
    private final JdbcTemplate streaming;
    private final TransactionTemplate readOnly;
    private final ObjectMapper mapper;

    private final ScopedTwins scoped;

    AuditTrailController(JdbcTemplate jdbc, DataSource dataSource, PlatformTransactionManager transactions,
                         ObjectMapper mapper, ScopedTwins scoped) {
        this.jdbc = jdbc;
        this.scoped = scoped;
        this.streaming = new JdbcTemplate(dataSource);
        this.streaming.setFetchSize(1000);
        this.readOnly = new TransactionTemplate(transactions);
        this.readOnly.setReadOnly(true);
        this.mapper = mapper;
    }

    @Operation(summary = "Changes across the fleet, oldest first, filtered; a page and the token for the next",
            responses = {
                    @ApiResponse(responseCode = "200", description = "a page of changes", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = HistoryDocs.HistoryPage.class))),
                    @ApiResponse(responseCode = "400", description = "a malformed filter, page size or continuation"
                            + " token (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/audit")
    ObjectNode audit(@Parameter(description = TWIN_ID) @RequestParam(required = false) String twinId,
                     @Parameter(description = DEVICE_ID) @RequestParam(required = false) String deviceId,
                     @Parameter(description = FROM) @RequestParam(required = false) String from,
                     @Parameter(description = TO) @RequestParam(required = false) String to,
                     @Parameter(description = PRINCIPAL) @RequestParam(required = false) String principal,
                     @Parameter(description = CHANNEL) @RequestParam(required = false) String channel,
                     @Parameter(description = CORRELATION_ID) @RequestParam(required = false) String correlationId,
                     @Parameter(description = PATH) @RequestParam(required = false) String path,
                     @Parameter(description = "1 to 1000") @RequestParam(defaultValue = "100") int pageSize,
                     @Parameter(description = "the previous page's token, for the next page")
                     @RequestParam(required = false) String continuationToken) {
        if (pageSize < 1 || pageSize > 1000) {
            throw HistoryFilter.invalid("pageSize", "pageSize is between 1 and 1000");
        }
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM twin_history h WHERE TRUE");
        List<Object> args = new ArrayList<>();
        HistoryFilter.of(twinId, deviceId, from, to, principal, channel, correlationId, path).appendTo(sql, args);
        scoped.appendTo(sql, args);
        if (continuationToken != null) {
            // time|twinId|version of the last row: rows strictly after it in (time, twin_id, version) order
            String[] parts = continuationToken.split("\\|", 3);
            if (parts.length != 3) {
                throw HistoryFilter.invalid("continuationToken", "continuationToken is the value a previous page returned");
            }
            long version;
            try {
                version = Long.parseLong(parts[2]);
            } catch (NumberFormatException e) {
                throw HistoryFilter.invalid("continuationToken", "continuationToken is the value a previous page returned");
            }
            sql.append(" AND (h.time, h.twin_id, h.version) > (?, ?, ?)");
            args.add(Timestamp.from(HistoryFilter.instant("continuationToken", parts[0])));
            args.add(parts[1]);
            args.add(version);
        }
        sql.append(" ORDER BY h.time, h.twin_id, h.version LIMIT ?");
        args.add(pageSize + 1);
        List<ObjectNode> rows = jdbc.query(sql.toString(), (rs, n) -> item(rs), args.toArray());
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        rows.stream().limit(pageSize).forEach(items::add);
        if (rows.size() > pageSize) {
            ObjectNode last = rows.get(pageSize - 1);
            body.put("continuationToken", last.get("time").asText() + "|" + last.get("twinId").asText() + "|"
                    + last.get("version").asLong());
        } else {
            body.putNull("continuationToken");
        }
        return body;
    }

    @Operation(summary = "The same selection as GET /audit, all of it, streamed as NDJSON (one change a line) or"
            + " CSV (header line first)",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the selection, oldest first, as an attachment:"
                            + " one change a line (NDJSON) or a CSV row per change, the CSV header first",
                            content = {
                                    @Content(mediaType = "application/x-ndjson",
                                            schema = @Schema(implementation = HistoryDocs.HistoryItem.class)),
                                    @Content(mediaType = "text/csv", schema = @Schema(type = "string",
                                            description = "time,twinId,version,eventType,principal,channel,transport,"
                                                    + "correlationId,causationId,reason,paths,change,eventId"))}),
                    @ApiResponse(responseCode = "400", description = "a format other than ndjson or csv, a malformed"
                            + " filter (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/audit/export")
    ResponseEntity<StreamingResponseBody> export(
            @Parameter(description = "ndjson or csv") @RequestParam(defaultValue = "ndjson") String format,
            @Parameter(description = TWIN_ID) @RequestParam(required = false) String twinId,
            @Parameter(description = DEVICE_ID) @RequestParam(required = false) String deviceId,
            @Parameter(description = FROM) @RequestParam(required = false) String from,
            @Parameter(description = TO) @RequestParam(required = false) String to,
            @Parameter(description = PRINCIPAL) @RequestParam(required = false) String principal,
            @Parameter(description = CHANNEL) @RequestParam(required = false) String channel,
            @Parameter(description = CORRELATION_ID) @RequestParam(required = false) String correlationId,
            @Parameter(description = PATH) @RequestParam(required = false) String path) {
        boolean csv = switch (format) {
            case "ndjson" -> false;
            case "csv" -> true;
            default -> throw HistoryFilter.invalid("format", "format is ndjson or csv");
        };
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM twin_history h WHERE TRUE");
        List<Object> args = new ArrayList<>();
        HistoryFilter.of(twinId, deviceId, from, to, principal, channel, correlationId, path).appendTo(sql, args);
        scoped.appendTo(sql, args);
        sql.append(" ORDER BY h.time, h.twin_id, h.version");
        StreamingResponseBody body = out -> {
            Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
            if (csv) {
                writer.write(String.join(",", CSV_HEADER));
                writer.write("\r\n");
            }
            readOnly.executeWithoutResult(status -> streaming.query(sql.toString(), rs -> {
                try {
                    if (csv) {
                        writeCsv(rs, writer);
                    } else {
                        JsonGenerator generator = mapper.getFactory().createGenerator(writer);
                        generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                        mapper.writeTree(generator, item(rs));
                        generator.flush();
                        writer.write("\n");
                    }
                } catch (java.io.IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, args.toArray()));
            writer.flush();
        };
        return ResponseEntity.ok()
                .contentType(csv ? new MediaType("text", "csv", StandardCharsets.UTF_8)
                        : MediaType.parseMediaType("application/x-ndjson"))
                .header("Content-Disposition", "attachment; filename=\"audit." + format + "\"")
                .body(body);
    }

    private ObjectNode item(ResultSet rs) throws SQLException {
        return HistoryItems.read(rs, mapper);
    }

    private static void writeCsv(ResultSet rs, Writer writer) throws SQLException, java.io.IOException {
        String[] values = {rs.getTimestamp(3).toInstant().toString(), rs.getString(1), String.valueOf(rs.getLong(2)),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                rs.getString(10), String.join(" ", HistoryItems.paths(rs.getArray(11))), rs.getString(12),
                rs.getString(13)};
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                writer.write(',');
            }
            writer.write(csvField(values[i]));
        }
        writer.write("\r\n");
    }

    /** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; null is empty. */
    static String csvField(String value) {
        if (value == null) {
            return "";
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
