package io.twinplatform.api.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

import java.time.Instant;

/**
 * A job was accepted, as {@link JobSpec} reads it: the twins of {@code queryCondition} get the merge patches
 * {@code tags} and {@code desired} (either may be {@code null}: that section is left alone), from {@code startTime}
 * on, until {@code startTime + maxExecutionTimeInSeconds}. Its creation time is the event's timestamp.
 */
@Revision("1")
public record JobScheduled(String jobId,
                           String type,
                           String queryCondition,
                           ObjectNode tags,
                           ObjectNode desired,
                           Instant startTime,
                           int maxExecutionTimeInSeconds) implements JobEvent {
}
