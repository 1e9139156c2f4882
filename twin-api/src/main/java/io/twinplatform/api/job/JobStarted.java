package io.twinplatform.api.job;

import org.axonframework.serialization.Revision;

/**
 * The job began sending its updates. {@code deviceCount} is how many twins its query condition selected when it
 * started; twins created or changed while it runs can make the final count differ.
 */
@Revision("1")
public record JobStarted(String jobId, int deviceCount) implements JobEvent {
}
