package io.twinplatform.command.job;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of the job runner, under {@code twin.jobs}.
 *
 * @param maxUpdatesPerSecond twin updates per second that all running jobs of one process send together
 *                            (default 100); each platform instance has its own budget
 * @param pollInterval        how often the runner looks for jobs whose start time has come (default 1s)
 * @param maxConcurrentJobs   jobs one process runs at a time (default 2); further due jobs stay queued
 * @param claimDuration       how long a runner's claim on a job holds without being renewed (default 30s); it is
 *                            renewed about once a second while the job sends, and a job whose runner died is
 *                            resumed once it lapses; it must be at least twice {@code 1 / maxUpdatesPerSecond}
 */
@ConfigurationProperties("twin.jobs")
public record JobSettings(@DefaultValue("100") double maxUpdatesPerSecond,
                          @DefaultValue("1s") Duration pollInterval,
                          @DefaultValue("2") int maxConcurrentJobs,
                          @DefaultValue("30s") Duration claimDuration) {

    public JobSettings {
        if (!(maxUpdatesPerSecond > 0)) {
            throw new IllegalArgumentException("twin.jobs.max-updates-per-second must be positive");
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || maxConcurrentJobs < 1
                || claimDuration.compareTo(Duration.ofSeconds(5)) < 0) {
            throw new IllegalArgumentException("twin.jobs: poll-interval must be positive, max-concurrent-jobs at"
                    + " least 1 and claim-duration at least 5s");
        }
        if (claimDuration.toMillis() < 2000 / maxUpdatesPerSecond) {
            throw new IllegalArgumentException("twin.jobs.claim-duration must be at least twice the time between"
                    + " two updates (1 / max-updates-per-second), or a claim lapses while its job waits its turn");
        }
    }
}
