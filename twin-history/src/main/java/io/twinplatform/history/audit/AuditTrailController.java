package io.twinplatform.history.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.history.HistoryFilter;
import io.twinplatform.history.ScopedTwins;
import io.twinplatform.history.HistoryItems;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import javax.sql.DataSource;
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

/**
 * The trail across the fleet: {@code GET /audit} pages through history rows by time (oldest first), filtered by
 * twin, device (with its modules), principal, channel, correlation id, path and time range;
 * {@code GET /audit/export} streams the same selection as NDJSON or CSV without holding it in memory.
 */
@RestController
@Tag(name = "audit", description = "Tamper evidence over the event store and the history")
class AuditTrailController {

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

    @Operation(summary = "Changes across the fleet, oldest first, filtered; a page and the token for the next")
    @GetMapping("/audit")
    ObjectNode audit(@RequestParam(required = false) String twinId, @RequestParam(required = false) String deviceId,
                     @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                     @RequestParam(required = false) String principal, @RequestParam(required = false) String channel,
                     @RequestParam(required = false) String correlationId, @RequestParam(required = false) String path,
                     @RequestParam(defaultValue = "100") int pageSize,
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
            + " CSV (header line first)")
    @GetMapping("/audit/export")
    ResponseEntity<StreamingResponseBody> export(
            @RequestParam(defaultValue = "ndjson") String format,
            @RequestParam(required = false) String twinId, @RequestParam(required = false) String deviceId,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String principal, @RequestParam(required = false) String channel,
            @RequestParam(required = false) String correlationId, @RequestParam(required = false) String path) {
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
