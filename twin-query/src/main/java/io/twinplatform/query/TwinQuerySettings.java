package io.twinplatform.query;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * Settings of the read side, under {@code twin.query}.
 *
 * @param enabled   whether this process runs the read side (default true)
 * @param lagWindow the time over which the projection lag percentiles ({@code twin.projection.lag}) are
 *                  computed (default 1 minute)
 * @param cacheSize how many recently projected twins the projection keeps parsed in memory (default 20000)
 * @param statementTimeout the longest a fleet query may run before it is cancelled (default 5 seconds)
 * @param pastStatementTimeout the same for a fleet query with {@code asOf}, which reads the history table
 *                  (default 60 seconds)
 * @param views     the fleet views: live counts of twins by one field; when not set, {@link #DEFAULT_VIEWS}
 * @param indexedFields fields that get a B-tree expression index, for fast range comparisons (default none)
 * @param projection the current-state projection's processor ({@code twin-current})
 */
@ConfigurationProperties("twin.query")
public record TwinQuerySettings(@DefaultValue("true") boolean enabled,
                                @DefaultValue("1m") Duration lagWindow,
                                @DefaultValue("20000") int cacheSize,
                                @DefaultValue("5s") Duration statementTimeout,
                                @DefaultValue("60s") Duration pastStatementTimeout,
                                List<View> views,
                                List<String> indexedFields,
                                @DefaultValue Projection projection) {

    /**
     * The current-state projection's processor, under {@code twin.query.projection}.
     *
     * @param threads   threads that fold events (default 2); each claims segments. These three size the current-state
     *                  processor, which the platform by default merges with the history's ({@code twin-state})
     * @param segments  segments, split by twin, made when the processor's tokens are first created (default 2); with
     *                  several instances, more segments than one instance's threads let each claim a share
     * @param batchSize events per transaction at most (default 100)
     */
    public record Projection(@DefaultValue("2") int threads, @DefaultValue("2") int segments,
                             @DefaultValue("100") int batchSize) {
    }

    /**
     * A fleet view: how many twins of {@code source} there are for each value of {@code groupBy}.
     *
     * @param name    the view's name in {@code /fleet/views/{name}}
     * @param groupBy a field as the query language names it ({@code tags.deviceType}, {@code inSync})
     * @param source  {@code devices} (default) or {@code devices.modules}
     */
    public record View(String name, String groupBy, String source) {
    }

    /**
     * Twins by status, connection state, device type tag, reported firmware version, in sync or not, and flagged for
     * an invalid state transition (by the state it led to; undefined for twins not flagged).
     */
    public static final List<View> DEFAULT_VIEWS = List.of(
            new View("status", "status", null),
            new View("connectionState", "connectionState", null),
            new View("deviceType", "tags.deviceType", null),
            new View("firmware", "properties.reported.firmware.version", null),
            new View("inSync", "inSync", null),
            new View("invalidStateTransition", "invalidStateTransition.to", null));

    public TwinQuerySettings {
        views = views == null ? DEFAULT_VIEWS : List.copyOf(views);
        indexedFields = indexedFields == null ? List.of() : List.copyOf(indexedFields);
    }
}
