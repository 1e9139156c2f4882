package io.twinplatform.history;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of the history side, under {@code twin.history}.
 *
 * @param enabled         whether this process runs the history side (default true)
 * @param retention       how long rows stay in the history table (default 90 days); older point-in-time reads
 *                        are rebuilt from the event store, which is never trimmed
 * @param partitionsAhead how many days of partitions exist ahead of today (default 7)
 * @param cacheSize       how many twins' latest states the history projection keeps in memory (default 20000)
 * @param dialect         {@code auto} (TimescaleDB when the {@code timescaledb} extension is installed in the
 *                        database, native PostgreSQL partitions otherwise), {@code native} or {@code timescale}
 * @param compressAfter   TimescaleDB only: chunks older than this are compressed (default 7 days)
 * @param threads         threads of the history projection's own processor ({@code twin-history}, default 2); it
 *                        runs when the platform keeps it apart from current state ({@code
 *                        twin.projections.merged=false}); merged, the two share one processor sized by
 *                        {@code twin.query.projection.*}, and these three settings are not used
 * @param segments        its segments, split by twin, made when its tokens are first created (default 2): each
 *                        twin's rows are written in version order by one thread while another's batch is in the
 *                        database
 * @param batchSize       events per transaction at most (default 200)
 */
@ConfigurationProperties("twin.history")
public record HistorySettings(@DefaultValue("true") boolean enabled,
                              @DefaultValue("90d") Duration retention,
                              @DefaultValue("7") int partitionsAhead,
                              @DefaultValue("20000") int cacheSize,
                              @DefaultValue("auto") String dialect,
                              @DefaultValue("7d") Duration compressAfter,
                              @DefaultValue("2") int threads,
                              @DefaultValue("2") int segments,
                              @DefaultValue("200") int batchSize) {
}
