package io.twinplatform.command.configuration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of the configuration applier, under {@code twin.configurations}.
 *
 * @param concurrency   twins the applier writes at once (default 128: with group commit, the more it sends at once
 *                      the more each transaction holds; 100,000 twins took 46.0 s at 128 and 65.5 s at 32 on a
 *                      2-core machine, see docs/performance.md)
 * @param pageSize      twin ids it reads from the fleet per query (default 10000, the most)
 * @param fleetWait     how long it waits for the fleet query side to show every twin written before the event it acts
 *                      on (default 30s); past it, it goes on with what the fleet shows and logs a warning
 * @param pollInterval  how often it looks for new events once idle (default 100ms)
 */
@ConfigurationProperties("twin.configurations")
public record ConfigurationSettings(@DefaultValue("128") int concurrency,
                                    @DefaultValue("10000") int pageSize,
                                    @DefaultValue("30s") Duration fleetWait,
                                    @DefaultValue("100ms") Duration pollInterval) {
}
