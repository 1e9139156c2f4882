package io.twinplatform.query.fleet;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * The fleet as it was at {@code asOf}: read through {@code function(asOf)}, the set-returning SQL function the
 * history side names in its {@link io.twinplatform.api.history.HistoryHorizon} answer, which has the columns of
 * {@code twin_document} that compiled queries read.
 */
record PastFleet(String function, Instant asOf) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    PastFleet {
        // The name goes into SQL text: only a plain lower-case identifier is accepted.
        if (!IDENTIFIER.matcher(function).matches()) {
            throw new IllegalArgumentException("not a SQL function name: " + function);
        }
    }
}
