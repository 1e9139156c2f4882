package io.twinplatform.api.job;

import org.axonframework.serialization.Revision;

/**
 * The job stopped before it was through, for {@code failureReason} (its maximum execution time ran out, or its
 * twins could not be selected); the statistics say how far it got. Twins already updated keep their update.
 */
@Revision("1")
public record JobFailed(String jobId, String failureReason, int deviceCount, int succeededCount, int failedCount)
        implements JobEvent {
}
