package io.twinplatform.history;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.twin.Channel;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A selection of {@code twin_history} rows as the history and audit endpoints take it: twin (or a device with its
 * modules), time range ({@code to} exclusive), principal, channel, correlation id and path. Every value is a bind
 * parameter.
 */
public record HistoryFilter(String twinId, String deviceId, Instant from, Instant to, String principal,
                            String channel, String correlationId, String path) {

    /** Parses the request parameters; a malformed one is {@code 400 invalidParameter}. */
    public static HistoryFilter of(String twinId, String deviceId, String from, String to, String principal,
                                   String channel, String correlationId, String path) {
        if (channel != null && Arrays.stream(Channel.values()).noneMatch(c -> c.json().equals(channel))) {
            throw invalid("channel", "channel is one of api, device, configuration, rollout, job");
        }
        return new HistoryFilter(twinId, deviceId, instant("from", from), instant("to", to), principal, channel,
                correlationId, path);
    }

    /** Appends {@code AND …} conditions on alias {@code h} to {@code sql} and their values to {@code args}. */
    public void appendTo(StringBuilder sql, List<Object> args) {
        if (twinId != null) {
            sql.append(" AND h.twin_id = ?");
            args.add(twinId);
        }
        if (deviceId != null) {
            sql.append(" AND h.device_id = ?");
            args.add(deviceId);
        }
        if (from != null) {
            sql.append(" AND h.time >= ?");
            args.add(Timestamp.from(from));
        }
        if (to != null) {
            sql.append(" AND h.time < ?");
            args.add(Timestamp.from(to));
        }
        if (principal != null) {
            sql.append(" AND h.principal = ?");
            args.add(principal);
        }
        if (channel != null) {
            sql.append(" AND h.channel = ?");
            args.add(channel);
        }
        if (correlationId != null) {
            sql.append(" AND h.correlation_id = ?");
            args.add(correlationId);
        }
        if (path != null) {
            // The change touched the path, something inside it, or a field that contains it.
            sql.append(" AND EXISTS (SELECT 1 FROM unnest(h.paths) p WHERE p = ? OR starts_with(p, ? || '.')"
                    + " OR starts_with(?, p || '.'))");
            args.addAll(List.of(path, path, path));
        }
    }

    public static Instant instant(String name, String value) {
        return Timestamps.parameter(name, value);
    }

    public static TwinException invalid(String parameter, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", parameter, detail));
    }
}
