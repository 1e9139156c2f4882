package io.twinplatform.history;

import java.util.Set;

/**
 * Published in this process (a Spring application event) once a batch of the history projection is committed: which
 * twins have new history rows, for what is computed from them (computed attributes over connection events and
 * reports). Listeners run on the projection's thread: they hand the work on.
 */
public record HistoryWritten(Set<String> twinIds) {
}
