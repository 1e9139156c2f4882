package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
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
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /twins/{deviceId}/telemetry}: a device's measurements over time, per name, in time buckets (count,
 * avg, min, max); buckets without samples are left out. The range widens to the bucket boundaries around it
 * (counted from 2000-01-01T00:00Z), so every bucket is whole; the answer names the range it covers. A deleted twin's
 * telemetry is readable until the retention drops it.
 */
@RestController
@Tag(name = "telemetry", description = "What devices measure, over time")
class TelemetryController {

    static final int MAX_BUCKETS = 10_000;
    static final Duration MIN_BUCKET = Duration.ofSeconds(1);
    static final Duration MAX_BUCKET = Duration.ofDays(31);
    private static final Instant ORIGIN = Instant.parse("2000-01-01T00:00:00Z");
    private static final Pattern WIDTH = Pattern.compile("([1-9][0-9]{0,6})([smhd])");

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

    @Operation(summary = "The device's telemetry per measurement and time bucket: start, count, avg, min, max (from,"
            + " to: ISO-8601 instants, default the 24 hours up to now; bucket: 30s, 5m, 1h, 1d or ISO-8601 like PT5M,"
            + " 1 second to 31 days, default 5m; at most 10000 buckets; name: only these measurements)")
    @GetMapping("/twins/{deviceId}/telemetry")
    ObjectNode telemetry(@PathVariable String deviceId,
                         @RequestParam(required = false) String from,
                         @RequestParam(required = false) String to,
                         @RequestParam(defaultValue = "5m") String bucket,
                         @Parameter(description = "a measurement name such as env.temperature; repeat it (or"
                                 + " separate with commas) for several; all when absent")
                         @RequestParam(required = false) List<String> name) {
        TwinId id = TwinId.device(deviceId);
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
        // A twin ever created (a deleted one keeps its telemetry until the retention drops it).
        Boolean known = jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM domain_event_entry"
                        + " WHERE aggregate_identifier = ? AND payload_type LIKE ?)", Boolean.class, id.value(),
                KnownTwins.TWIN_EVENTS);
        if (!Boolean.TRUE.equals(known)) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                    "twin " + id + " does not exist"));
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("deviceId", id.deviceId()).put("from", start.toString()).put("to", end.toString())
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

    /** A bucket width: {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT5M}), whole seconds. */
    static Duration width(String bucket) {
        Duration width;
        Matcher m = WIDTH.matcher(bucket);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            width = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } else {
            try {
                width = Duration.parse(bucket);
            } catch (DateTimeParseException e) {
                throw invalidBucket(bucket);
            }
        }
        if (width.getNano() != 0 || width.compareTo(MIN_BUCKET) < 0 || width.compareTo(MAX_BUCKET) > 0) {
            throw invalidBucket(bucket);
        }
        return width;
    }

    private static TwinException invalidBucket(String bucket) {
        return HistoryFilter.invalid("bucket", "bucket is a whole number and a unit (s, m, h or d), like 5m or 1h, or"
                + " an ISO-8601 duration like PT5M, of whole seconds from 1 second to 31 days; got " + bucket);
    }
}
