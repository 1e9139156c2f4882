package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.Timestamps;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a device publishes on {@code twins/{deviceId}/telemetry}: a JSON object whose every numeric member is a
 * measurement, nested objects flattened with {@code .} ({@code {"env":{"temperature":21.5}}} is
 * {@code env.temperature}); strings, booleans, arrays and nulls are ignored. The optional top-level {@code ts} (an
 * ISO-8601 instant, or epoch milliseconds) is the time of every measurement in the message, else the time it was
 * received. Parsed by the shared reader of {@link JsonBodies} (duplicate keys refused), so a refusal reads as the
 * HTTP channel's would.
 * <p>
 * A payload that cannot be stored whole is refused whole with a {@link TwinException}: not JSON
 * ({@code malformedJson}, 400, at its byte offset), not an object ({@code notAnObject}, 400), a {@code ts} that is
 * not an instant ({@code invalidTimestamp}, 400, {@code $.ts}) or is more than {@link #MAX_AHEAD} after the receipt
 * ({@code timestampInFuture}, 422), no numeric member ({@code noMeasurements}, 422), more than
 * {@value #MAX_MEASUREMENTS} ({@code tooManyMeasurements}, 422), an empty or longer than {@value #MAX_NAME_LENGTH}
 * character name ({@code invalidMeasurementName}, 422), two members that flatten to one name
 * ({@code duplicateMeasurement}, 422), a number too large for a double ({@code nonFiniteNumber}, 422) or beyond
 * ±{@link #MAX_MAGNITUDE} ({@code numberOutOfRange}, 422).
 */
public final class TelemetryPayload {

    /** The member that holds the samples' time; at the top level only, it is never a measurement. */
    public static final String TIME = "ts";
    public static final int MAX_MEASUREMENTS = 100;
    public static final int MAX_NAME_LENGTH = 128;
    /** The largest magnitude stored: a bucket's sum of 10^8 of them still fits a double. */
    public static final double MAX_MAGNITUDE = 1e300;
    /** How far after its receipt a {@code ts} may lie (a device's clock runs ahead). */
    public static final Duration MAX_AHEAD = Duration.ofHours(1);

    private TelemetryPayload() {
    }

    /** The samples of one message from device {@code deviceId}, received at {@code receivedAt}. */
    public static List<TelemetrySample> parse(String deviceId, byte[] payload, Instant receivedAt) {
        ObjectNode body = JsonBodies.parseObject(payload);
        Instant time = time(body.get(TIME), receivedAt);
        List<TelemetrySample> samples = new ArrayList<>();
        flatten(deviceId, time, body, null, "$", samples, new HashSet<>());
        if (samples.isEmpty()) {
            throw refused("noMeasurements", "$", "telemetry holds at least one numeric member, such as"
                    + " {\"temperature\":21.5}; strings, booleans, arrays and nulls are not measurements");
        }
        return samples;
    }

    /** The refusal of a message whose samples are older than the retention keeps. */
    static TwinException pastRetention(Instant horizon) {
        return refused("timestampPastRetention", "$." + TIME, "ts is before " + horizon
                + ", older than the telemetry retention keeps");
    }

    private static Instant time(JsonNode ts, Instant receivedAt) {
        if (ts == null) {
            return receivedAt;
        }
        Instant time;
        if (ts.isTextual()) {
            try {
                time = Instant.parse(ts.textValue());
            } catch (DateTimeParseException e) {
                throw invalidTime();
            }
        } else if (ts.isIntegralNumber() && ts.canConvertToLong()) {
            time = Instant.ofEpochMilli(ts.longValue());
        } else {
            throw invalidTime();
        }
        if (time.isAfter(receivedAt.plus(MAX_AHEAD))) {
            throw refused("timestampInFuture", "$." + TIME, "ts is " + time + ", more than " + MAX_AHEAD.toMinutes()
                    + " minutes after the platform received it (" + receivedAt + "): check the device's clock");
        }
        if (!Timestamps.inRange(time)) {
            throw invalidTime();
        }
        return time;
    }

    private static void flatten(String twinId, Instant time, ObjectNode object, String prefix, String path,
                                List<TelemetrySample> samples, Set<String> names) {
        for (Iterator<Map.Entry<String, JsonNode>> members = object.properties().iterator(); members.hasNext(); ) {
            Map.Entry<String, JsonNode> member = members.next();
            String key = member.getKey();
            JsonNode value = member.getValue();
            if (prefix == null && key.equals(TIME)) {
                continue;
            }
            if (!value.isNumber() && !value.isObject()) {
                continue;
            }
            String memberPath = JsonPath.child(path, key);
            if (key.isEmpty()) {
                throw refused("invalidMeasurementName", memberPath, "a measurement's name is not empty");
            }
            String name = prefix == null ? key : prefix + "." + key;
            if (value.isObject()) {
                flatten(twinId, time, (ObjectNode) value, name, memberPath, samples, names);
                continue;
            }
            if (name.length() > MAX_NAME_LENGTH) {
                throw refused("invalidMeasurementName", memberPath, "a measurement's name, nested members joined"
                        + " with '.', is at most " + MAX_NAME_LENGTH + " characters; " + name.length() + " here");
            }
            double number = value.doubleValue();
            if (!Double.isFinite(number)) {
                throw refused("nonFiniteNumber", memberPath, memberPath + " is too large for a double");
            }
            if (Math.abs(number) > MAX_MAGNITUDE) {
                throw refused("numberOutOfRange", memberPath, memberPath + " is beyond " + MAX_MAGNITUDE
                        + " in magnitude");
            }
            if (samples.size() == MAX_MEASUREMENTS) {
                throw refused("tooManyMeasurements", "$", "a telemetry message holds at most " + MAX_MEASUREMENTS
                        + " measurements");
            }
            if (!names.add(name)) {
                throw refused("duplicateMeasurement", memberPath, "another member is also named " + name
                        + " once nested names are joined with '.'");
            }
            samples.add(new TelemetrySample(twinId, time, name, number));
        }
    }

    private static TwinException invalidTime() {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidTimestamp", "$." + TIME,
                "ts is an ISO-8601 instant such as 2026-11-24T03:12:00Z, or epoch milliseconds, from the year 0001"
                        + " to 9999"));
    }

    private static TwinException refused(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, path, detail));
    }
}
