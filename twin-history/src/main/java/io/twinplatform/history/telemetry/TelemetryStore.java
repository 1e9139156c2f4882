package io.twinplatform.history.telemetry;

import io.twinplatform.history.TimeSeriesTable;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.Timestamps;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code telemetry} table, in plain JDBC. */
@Repository
public class TelemetryStore {

    /** One bucket of one measurement: its start, and the count, mean, least and greatest of its samples. */
    record Bucket(Instant start, long count, double avg, double min, double max) {
    }

    private final JdbcTemplate jdbc;
    private final TimeSeriesTable table;
    private final TransactionTemplate transaction;
    private final ApplicationEventPublisher events;

    /** A store that tells no one what it stored. */
    TelemetryStore(JdbcTemplate jdbc, TimeSeriesTable table, TransactionTemplate transaction) {
        this(jdbc, table, transaction, event -> { });
    }

    @Autowired
    TelemetryStore(JdbcTemplate jdbc, @Qualifier("telemetryTable") TimeSeriesTable table,
                   TransactionTemplate transaction, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.table = table;
        this.transaction = transaction;
        this.events = events;
    }

    /**
     * Stores the samples in one JDBC batch and one transaction, after making sure each of their days has a
     * partition. A sample already stored (same twin, time and name) is left as it is. Throws when the database
     * fails; then nothing was stored. Once committed, {@link TelemetryStored} is published.
     */
    public void record(List<TelemetrySample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        // Outside the transaction: a new partition is DDL, and is kept even when the insert fails.
        for (TelemetrySample sample : samples) {
            table.ensure(sample.ts());
        }
        transaction.executeWithoutResult(status -> jdbc.batchUpdate(
                "INSERT INTO telemetry (twin_id, ts, name, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                samples, samples.size(), (statement, sample) -> {
                    statement.setString(1, sample.twinId());
                    statement.setTimestamp(2, Timestamp.from(sample.ts()));
                    statement.setString(3, sample.name());
                    statement.setDouble(4, sample.value());
                }));
        events.publishEvent(new TelemetryStored(List.copyOf(samples)));
    }

    /**
     * Per series of one twin in {@code [from, to)}: count, mean, least, greatest, and the latest sample; by name.
     */
    ObjectNode summary(String twinId, Instant from, Instant to) {
        ObjectNode series = JsonNodeFactory.instance.objectNode();
        jdbc.query("""
                SELECT name, count(*), sum(value) / count(*), min(value), max(value),
                    (array_agg(value ORDER BY ts DESC))[1], max(ts)
                FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ? GROUP BY name ORDER BY name""", rs -> {
            ObjectNode one = series.putObject(rs.getString(1));
            one.put("count", rs.getLong(2));
            one.put("avg", rs.getDouble(3));
            one.put("min", rs.getDouble(4));
            one.put("max", rs.getDouble(5));
            one.put("last", rs.getDouble(6));
            one.put("lastTs", Timestamps.format(rs.getTimestamp(7).toInstant()));
        }, twinId, Timestamp.from(from), Timestamp.from(to));
        return series;
    }

    /**
     * The buckets of one twin in {@code [from, to)}, per measurement name (in name order), each in time order; only
     * buckets with samples. {@code names} selects measurements; empty selects all.
     */
    Map<String, List<Bucket>> buckets(String twinId, Instant from, Instant to, Duration bucket, List<String> names) {
        Map<String, List<Bucket>> series = new LinkedHashMap<>();
        boolean byName = !names.isEmpty();
        jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement(TelemetryTable.bucketsSql(table, bucket,
                    byName));
            select.setString(1, twinId);
            select.setTimestamp(2, Timestamp.from(from));
            select.setTimestamp(3, Timestamp.from(to));
            if (byName) {
                select.setArray(4, connection.createArrayOf("text", names.toArray()));
            }
            return select;
        }, rs -> {
            series.computeIfAbsent(rs.getString(1), name -> new ArrayList<>()).add(new Bucket(
                    rs.getTimestamp(2).toInstant(), rs.getLong(3), rs.getDouble(4), rs.getDouble(5), rs.getDouble(6)));
        });
        return series;
    }

    /**
     * At most {@code limit} samples of one twin in {@code [from, to)}, in (time, name) order, starting after
     * {@code (afterTs, afterName)} when {@code afterTs} is not null (keyset paging: the primary key's order, so a page
     * is an index range however deep it lies). {@code names} selects measurements; empty selects all.
     */
    List<TelemetrySample> samples(String twinId, Instant from, Instant to, List<String> names, Instant afterTs,
                                  String afterName, int limit) {
        boolean byName = !names.isEmpty();
        boolean after = afterTs != null;
        List<TelemetrySample> samples = new ArrayList<>();
        jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement(TelemetryTable.samplesSql(byName, after));
            int i = 1;
            select.setString(i++, twinId);
            select.setTimestamp(i++, Timestamp.from(from));
            select.setTimestamp(i++, Timestamp.from(to));
            if (byName) {
                select.setArray(i++, connection.createArrayOf("text", names.toArray()));
            }
            if (after) {
                select.setTimestamp(i++, Timestamp.from(afterTs));
                select.setString(i++, afterName);
            }
            select.setInt(i, limit);
            return select;
        }, rs -> {
            samples.add(new TelemetrySample(twinId, rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getDouble(3)));
        });
        return samples;
    }
}
