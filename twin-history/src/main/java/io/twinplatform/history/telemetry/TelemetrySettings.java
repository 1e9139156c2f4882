package io.twinplatform.history.telemetry;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of device telemetry, under {@code twin.telemetry}. The table's dialect follows
 * {@code twin.history.dialect}; the MQTT shared group is {@code twin.mqtt.shared-group}.
 *
 * @param enabled         false runs the platform without telemetry (no table writes, no MQTT ingest, no
 *                        {@code GET /twins/{id}/telemetry}); on by default, whether the history side runs or not
 * @param retention       how long samples stay (default 90 days): native day partitions are dropped whole once
 *                        past it, TimescaleDB's retention policy drops its chunks; a message whose {@code ts} is
 *                        already past it is rejected
 * @param partitionsAhead native dialect: how many days of partitions exist ahead of today (default 7)
 * @param batchSize       samples per write at most (default 1000): a batch takes what arrived while the writer was
 *                        busy, up to this many; a message's samples are never split
 * @param twinCacheSize   how many twins the ingest remembers as existing (default 100000, least recently used leave
 *                        first), so that it does not ask the database per message
 * @param twinCacheTtl    how long it remembers one (default 10 minutes): a twin deleted meanwhile has its telemetry
 *                        accepted for at most this long
 */
@ConfigurationProperties("twin.telemetry")
public record TelemetrySettings(@DefaultValue("true") boolean enabled,
                                @DefaultValue("90d") Duration retention,
                                @DefaultValue("7") int partitionsAhead,
                                @DefaultValue("1000") int batchSize,
                                @DefaultValue("100000") int twinCacheSize,
                                @DefaultValue("10m") Duration twinCacheTtl) {

    public TelemetrySettings {
        if (retention.isNegative() || retention.isZero() || partitionsAhead < 1 || batchSize < 1
                || twinCacheSize < 1 || twinCacheTtl.isNegative()) {
            throw new IllegalArgumentException("twin.telemetry: retention, batch-size, "
                    + "partitions-ahead and twin-cache-size are positive, twin-cache-ttl is not negative");
        }
    }

    /** The defaults, as the platform runs without {@code twin.telemetry.*} set. */
    static TelemetrySettings defaults() {
        return new TelemetrySettings(true, Duration.ofDays(90), 7, 1000, 100_000, Duration.ofMinutes(10));
    }
}
