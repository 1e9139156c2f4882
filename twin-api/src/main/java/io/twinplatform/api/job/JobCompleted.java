package io.twinplatform.api.job;

import org.axonframework.serialization.Revision;

/**
 * Every selected twin was sent its update. Final statistics: {@code deviceCount} twins were tried, of which
 * {@code succeededCount} took the update (or already had it) and {@code failedCount} refused it (deleted meanwhile,
 * or the result would break a twin limit). Which twin failed is in the runner's log, not here: a job records no
 * per-twin events; each twin's own events show what it took.
 */
@Revision("1")
public record JobCompleted(String jobId, int deviceCount, int succeededCount, int failedCount) implements JobEvent {
}
