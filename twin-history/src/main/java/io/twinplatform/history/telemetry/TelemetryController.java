package io.twinplatform.history.telemetry;

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
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.history.HistoryFilter;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code GET /twins/{deviceId}/telemetry/samples}: the raw samples, keyset-paged in (ts, name) order, for a client
 * that reads a device's record whole (the simulator learns from it and replays it).
 * <p>
 * {@code GET /twins/{deviceId}/telemetry}: a device's measurements over time, per name, in time buckets (count,
 * avg, min, max); buckets without samples are left out. The range widens to the bucket boundaries around it
 * (counted from 2000-01-01T00:00Z), so every bucket is whole; the answer names the range it covers. A deleted twin's
 * telemetry is readable until the retention drops it.
 */
@RestController
@Tag(name = "telemetry", description = "What devices measure, over time")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class TelemetryController {

    /** {@code GET /twins/{deviceId}/telemetry}; documentation only. */
    @Schema(name = "Telemetry")
    record Series(String deviceId, @Schema(description = "the range, widened to whole buckets") String from,
                  String to, @Schema(description = "the bucket width, ISO-8601") String bucket,
                  @Schema(description = "per measurement name, its buckets with samples")
                  Map<String, List<Point>> series) {
    }

    /** One bucket of a measurement. */
    @Schema(name = "TelemetryBucket")
    record Point(String start, long count, double avg, double min, double max) {
    }

    /** {@code GET /twins/{deviceId}/telemetry/samples}; documentation only. */
    @Schema(name = "TelemetrySamples")
    record Samples(String deviceId, @Schema(description = "the samples in (ts, name) order") List<Sample> items,
                   @Schema(nullable = true, description = "pass as after for the next page; null on the last page")
                   String next) {
    }

    /** One stored sample. */
    @Schema(name = "TelemetrySample")
    record Sample(@Schema(format = "date-time") String ts, @Schema(example = "temperature") String name,
                  @Schema(example = "21.5") double value) {
    }

    static final int MAX_BUCKETS = 10_000;
    static final int MAX_LIMIT = 10_000;
    static final int MAX_NAMES = 100;
    static final Duration MIN_BUCKET = Duration.ofSeconds(1);
    static final Duration MAX_BUCKET = Duration.ofDays(31);
    private static final Instant ORIGIN = Instant.parse("2000-01-01T00:00:00Z");

    private final JdbcTemplate jdbc;
    private final TelemetryStore store;
    private final ObjectMapper mapper;
    private final Clock clock;

    @Autowired
    TelemetryController(JdbcTemplate jdbc, TelemetryStore store, ObjectMapper mapper) {
        this(jdbc, store, mapper, Clock.systemUTC());
    }

    TelemetryController(JdbcTemplate jdbc, TelemetryStore store, ObjectMapper mapper, Clock clock) {
        this.jdbc = jdbc;
        this.store = store;
        this.mapper = mapper;
        this.clock = clock;
    }

    @Operation(summary = "The device's (or module's) telemetry per measurement and time bucket: start, count, avg, min, max (from,"
            + " to: ISO-8601 instants, default the 24 hours up to now; bucket: 30s, 5m, 1h, 1d or ISO-8601 like PT5M,"
            + " 1 second to 31 days, default 5m; at most 10000 buckets; name: only these measurements)",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the measurements in buckets", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Series.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id, a malformed instant or bucket,"
                            + " from not before to (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "a twin never created (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "more than 10000 buckets in the range"
                            + " (tooManyBuckets)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/telemetry", "/twins/{deviceId}/modules/{moduleId}/telemetry"})
    ObjectNode telemetry(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                         @Parameter(description = "an ISO-8601 instant; default 24 hours before to")
                         @RequestParam(required = false) String from,
                         @Parameter(description = "an ISO-8601 instant; default now")
                         @RequestParam(required = false) String to,
                         @Parameter(description = "30s, 5m, 1h, 1d or ISO-8601 like PT5M, 1 second to 31 days")
                         @RequestParam(defaultValue = "5m") String bucket,
                         @Parameter(description = "a measurement name such as env.temperature; repeat it (or"
                                 + " separate with commas) for several; all when absent")
                         @RequestParam(required = false) List<String> name) {
        TwinId id = moduleId == null ? TwinId.device(deviceId) : TwinId.module(deviceId, moduleId);
        Duration width = width(bucket);
        Instant end = to == null ? clock.instant() : HistoryFilter.instant("to", to);
        Instant start = from == null ? end.minus(Duration.ofDays(1)) : HistoryFilter.instant("from", from);
        if (!start.isBefore(end)) {
            throw HistoryFilter.invalid("from", "from must be before to");
        }
        long seconds = width.toSeconds();
        // Whole buckets around the range (a Duration's seconds are the floor; its nanos never negative).
        Duration toStart = Duration.between(ORIGIN, start);
        Duration toEnd = Duration.between(ORIGIN, end);
        long endSecond = toEnd.getSeconds() + (toEnd.getNano() > 0 ? 1 : 0);
        start = ORIGIN.plusSeconds(Math.floorDiv(toStart.getSeconds(), seconds) * seconds);
        end = ORIGIN.plusSeconds(-Math.floorDiv(-endSecond, seconds) * seconds);
        long buckets = Duration.between(start, end).toSeconds() / seconds;
        if (buckets > MAX_BUCKETS) {
            throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "tooManyBuckets", "bucket",
                    "the range holds " + buckets + " buckets of " + bucket + "; at most " + MAX_BUCKETS
                            + " per request: widen the bucket or narrow from and to"));
        }
        requireKnown(id);
        ObjectNode body = mapper.createObjectNode();
        body.put("deviceId", id.deviceId());
        if (id.isModule()) {
            body.put("moduleId", id.moduleId());
        }
        body.put("from", start.toString()).put("to", end.toString())
                .put("bucket", width.toString());
        ObjectNode series = body.putObject("series");
        for (Map.Entry<String, List<TelemetryStore.Bucket>> measurement
                : store.buckets(id.value(), start, end, width, name == null ? List.of() : name).entrySet()) {
            ArrayNode points = series.putArray(measurement.getKey());
            for (TelemetryStore.Bucket each : measurement.getValue()) {
                points.addObject().put("start", each.start().toString()).put("count", each.count())
                        .put("avg", each.avg()).put("min", each.min()).put("max", each.max());
            }
        }
        return body;
    }

    @Operation(summary = "The device's (or module's) raw telemetry samples in (ts, name) order, a page at a time"
            + " (from, to: ISO-8601 instants, default the 24 hours up to now, to exclusive; names: only these"
            + " measurements, comma-separated; limit: 1 to 10000 a page, default 1000; after: the previous page's"
            + " next)",
            description = "Keyset-paged: a page starts right after the last sample of the previous one, so samples"
                    + " stored meanwhile before that point do not shift the pages.",
            responses = {
                    @ApiResponse(responseCode = "200", description = "a page of samples", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Samples.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id, a malformed instant, from not"
                            + " before to, a limit outside 1 to 10000, an empty, too long or control-character name,"
                            + " more than 100 names, or an after that no page answered (invalidParameter, naming it)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "a twin never created (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping({"/twins/{deviceId}/telemetry/samples", "/twins/{deviceId}/modules/{moduleId}/telemetry/samples"})
    ObjectNode samples(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                       @Parameter(description = "an ISO-8601 instant; default 24 hours before to")
                       @RequestParam(required = false) String from,
                       @Parameter(description = "an ISO-8601 instant, exclusive; default now")
                       @RequestParam(required = false) String to,
                       @Parameter(description = "measurement names such as temperature,env.humidity, comma-separated;"
                               + " all when absent")
                       @RequestParam(required = false) List<String> names,
                       @Parameter(description = "samples per page, 1 to 10000", schema = @Schema(type = "integer",
                               minimum = "1", maximum = "10000", defaultValue = "1000"))
                       @RequestParam(defaultValue = "1000") String limit,
                       @Parameter(description = "the next of the previous page")
                       @RequestParam(required = false) String after) {
        TwinId id = moduleId == null ? TwinId.device(deviceId) : TwinId.module(deviceId, moduleId);
        Instant end = to == null ? clock.instant() : HistoryFilter.instant("to", to);
        Instant start = from == null ? end.minus(Duration.ofDays(1)) : HistoryFilter.instant("from", from);
        if (!start.isBefore(end)) {
            throw HistoryFilter.invalid("from", "from must be before to");
        }
        int size = limit(limit);
        List<String> selected = names(names);
        SampleCursor cursor = after == null ? null : SampleCursor.parse(after);
        requireKnown(id);
        List<TelemetrySample> page = store.samples(id.value(), start, end, selected,
                cursor == null ? null : cursor.ts(), cursor == null ? null : cursor.name(), size + 1);
        ObjectNode body = mapper.createObjectNode();
        body.put("deviceId", id.deviceId());
        if (id.isModule()) {
            body.put("moduleId", id.moduleId());
        }
        ArrayNode items = body.putArray("items");
        page.stream().limit(size).forEach(sample -> items.addObject().put("ts", sample.ts().toString())
                .put("name", sample.name()).put("value", sample.value()));
        if (page.size() > size) {
            TelemetrySample last = page.get(size - 1);
            body.put("next", new SampleCursor(last.ts(), last.name()).text());
        } else {
            body.putNull("next");
        }
        return body;
    }

    private void requireKnown(TwinId id) {
        // A twin ever created (a deleted one keeps its telemetry until the retention drops it).
        Boolean known = jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM domain_event_entry"
                        + " WHERE aggregate_identifier = ? AND payload_type LIKE ?)", Boolean.class, id.value(),
                KnownTwins.TWIN_EVENTS);
        if (!Boolean.TRUE.equals(known)) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                    "twin " + id + " does not exist"));
        }
    }

    /** {@code limit}: a whole number from 1 to {@value #MAX_LIMIT}. */
    static int limit(String limit) {
        int size;
        try {
            size = Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            size = 0;
        }
        if (size < 1 || size > MAX_LIMIT) {
            throw HistoryFilter.invalid("limit", "limit is a whole number from 1 to " + MAX_LIMIT);
        }
        return size;
    }

    /** {@code names}: at most {@value #MAX_NAMES}, each 1 to 128 characters without control characters. */
    static List<String> names(List<String> names) {
        if (names == null) {
            return List.of();
        }
        List<String> selected = names.stream().map(String::trim).distinct().toList();
        if (selected.size() > MAX_NAMES) {
            throw HistoryFilter.invalid("names", "names lists at most " + MAX_NAMES + " measurements");
        }
        for (String name : selected) {
            if (name.isEmpty() || name.length() > TelemetryPayload.MAX_NAME_LENGTH
                    || name.chars().anyMatch(Character::isISOControl)) {
                throw HistoryFilter.invalid("names", "names are measurement names of 1 to "
                        + TelemetryPayload.MAX_NAME_LENGTH + " characters without control characters, separated by"
                        + " commas");
            }
        }
        return selected;
    }

    /** A bucket width: {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT5M}), whole seconds. */
    static Duration width(String bucket) {
        return Timestamps.span("bucket", bucket, MIN_BUCKET, MAX_BUCKET);
    }
}
