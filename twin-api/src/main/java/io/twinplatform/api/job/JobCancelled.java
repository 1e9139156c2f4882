package io.twinplatform.api.job;

import org.axonframework.serialization.Revision;

/**
 * An operator cancelled the job; who is in the event's metadata. A job that had not started never runs; a running
 * one sends no further updates (the one in flight may still land). Twins already updated keep their update.
 */
@Revision("1")
public record JobCancelled(String jobId) implements JobEvent {
}
