package io.twinplatform.query.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of the read side, under {@code twin.query}.
 *
 * @param enabled   whether this process runs the read side (default true)
 * @param lagWindow the time over which the projection lag percentiles ({@code twin.projection.lag}) are
 *                  computed (default 1 minute)
 * @param cacheSize how many recently projected twins the projection keeps parsed in memory (default 20000)
 * @param statementTimeout the longest a fleet query may run before it is cancelled (default 5 seconds)
 */
@ConfigurationProperties("twin.query")
public record TwinQuerySettings(@DefaultValue("true") boolean enabled,
                                @DefaultValue("1m") Duration lagWindow,
                                @DefaultValue("20000") int cacheSize,
                                @DefaultValue("5s") Duration statementTimeout) {
}
