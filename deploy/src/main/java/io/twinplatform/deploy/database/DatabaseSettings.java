package io.twinplatform.deploy.database;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * How long the platform waits for PostgreSQL ({@code twin.database.*}), for the embedded and a configured database
 * alike. A stopped or frozen server answers nothing, and only a client-side limit on the silence of the connection
 * ends the wait; a server-side {@code statement_timeout} cannot. The wait for a free pooled connection is Hikari's
 * {@code spring.datasource.hikari.connection-timeout}.
 *
 * @param requestTimeout    the longest an HTTP request waits for any answer from the database before it fails with
 *                          {@code 503 databaseUnavailable} (default 5 s: some forty times the p99 of the slowest
 *                          interactive read measured in docs/performance.md). The connection is closed then; a write
 *                          whose commit was sent may still be applied by the server afterwards
 * @param backgroundTimeout the same for everything else: event processors and replays, migrations at start, jobs,
 *                          rollouts, retention, the device channel, {@code GET /audit/export} (which streams on its
 *                          own thread) and the {@code longRequests} (default 10 min). A processor that hits it fails
 *                          its batch and retries it
 * @param longRequests      request paths (Spring path patterns) that may legitimately keep the database busy for
 *                          longer than {@code requestTimeout} and so wait as long as background work (default
 *                          {@code /audit/verify}, {@code /admin/**}: verifying millions of events, emptying a
 *                          projection's tables for a replay). A fleet query waits for its own statement timeout
 *                          ({@code twin.query.statement-timeout}) plus 5 s instead
 * @param retryAfter        what {@code Retry-After} says on a {@code 503 databaseUnavailable} (default 5 s)
 * @param healthTimeout     the longest {@code /actuator/health} waits for the database's answer before it says
 *                          {@code db} DOWN (default 800 ms, so the endpoint answers within a second)
 */
@ConfigurationProperties("twin.database")
public record DatabaseSettings(@DefaultValue("5s") Duration requestTimeout,
                        @DefaultValue("10m") Duration backgroundTimeout,
                        @DefaultValue({"/audit/verify", "/admin/**"}) List<String> longRequests,
                        @DefaultValue("5s") Duration retryAfter,
                        @DefaultValue("800ms") Duration healthTimeout) {

    public DatabaseSettings {
        longRequests = List.copyOf(longRequests);
        for (Duration timeout : List.of(requestTimeout, backgroundTimeout, healthTimeout)) {
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("twin.database timeouts are between 1 ms and 24 days: " + timeout);
            }
        }
    }
}
