package io.twinplatform.history.telemetry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The telemetry table's retention ({@code twin.telemetry.retention}, 90 days by default): at start-up and every
 * hour, the dialect drops the partitions past the horizon and prepares those ahead. Nothing is carried forward:
 * telemetry past its retention is gone.
 */
@Component
public class TelemetryRetention implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TelemetryRetention.class);

    private final TelemetrySettings settings;
    private final TelemetryDialect dialect;
    private final Clock clock;
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "twin-telemetry-retention");
        thread.setDaemon(true);
        return thread;
    });

    @Autowired
    TelemetryRetention(TelemetrySettings settings, TelemetryDialect dialect) {
        this(settings, dialect, Clock.systemUTC());
    }

    TelemetryRetention(TelemetrySettings settings, TelemetryDialect dialect, Clock clock) {
        this.settings = settings;
        this.dialect = dialect;
        this.clock = clock;
    }

    @Override
    public void afterSingletonsInstantiated() {
        maintain();
        maintenance.scheduleAtFixedRate(this::maintainQuietly, 1, 1, TimeUnit.HOURS);
    }

    @Override
    public void destroy() {
        maintenance.shutdownNow();
    }

    /** The oldest instant the telemetry table keeps. */
    public Instant horizon() {
        return clock.instant().minus(settings.retention());
    }

    /** Drops what is past the horizon and prepares what lies ahead; returns what was dropped. */
    public synchronized List<String> maintain() {
        List<String> dropped = dialect.dropOlderThan(horizon());
        dropped.forEach(name -> log.info("telemetry {} dropped: past the retention of {}", name,
                settings.retention()));
        dialect.prepare();
        return dropped;
    }

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) {
            log.warn("telemetry retention failed; retrying in an hour", e);
        }
    }
}
