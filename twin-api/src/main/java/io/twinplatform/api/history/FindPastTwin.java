package io.twinplatform.api.history;

import java.time.Instant;

/**
 * Query: a twin exactly as it was at an instant ({@code asOf}) or right after one of its versions
 * ({@code atVersion}); exactly one of the two is set. Answered with a {@link PastTwin}, or {@code null} when the
 * twin did not exist then (before its creation, or deleted at that point).
 */
public record FindPastTwin(String twinId, Instant asOf, Long atVersion) {

    public static FindPastTwin asOf(String twinId, Instant instant) {
        return new FindPastTwin(twinId, instant, null);
    }

    public static FindPastTwin atVersion(String twinId, long version) {
        return new FindPastTwin(twinId, null, version);
    }
}
