package io.twinplatform.history.telemetry;

import io.twinplatform.history.TimeSeriesRetention;
import io.twinplatform.history.TimeSeriesTable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

import java.time.Clock;

/**
 * The telemetry table's retention ({@code twin.telemetry.retention}, 90 days by default): at start-up and every
 * hour, the table drops what is past the horizon and prepares what lies ahead. Nothing is carried forward:
 * telemetry past its retention is gone. One instance at a time runs it, holding the advisory lock {@value #LOCK}.
 */
@Component
public class TelemetryRetention extends TimeSeriesRetention {

    /** The advisory lock a run holds: {@code SELECT pg_try_advisory_lock(hashtext('twin.telemetry.retention'))}. */
    public static final String LOCK = "twin.telemetry.retention";

    @Autowired
    TelemetryRetention(TelemetrySettings settings, @Qualifier("telemetryTable") TimeSeriesTable table,
                       JdbcTemplate jdbc, TaskScheduler scheduler) {
        super("telemetry", LOCK, table, settings.retention(), jdbc, scheduler, Clock.systemUTC());
    }

    /** A retention that is never scheduled, on {@code clock}: for tests. */
    TelemetryRetention(TelemetrySettings settings, TimeSeriesTable table, JdbcTemplate jdbc, Clock clock) {
        super("telemetry", LOCK, table, settings.retention(), jdbc, null, clock);
    }
}
