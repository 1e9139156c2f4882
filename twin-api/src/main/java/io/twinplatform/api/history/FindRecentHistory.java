package io.twinplatform.api.history;

import java.time.Instant;

/**
 * Query: a twin's changes at or after {@code from}, newest first, at most {@code limit}, as {@code GET
 * /twins/{id}/history} lists them. Answered with an {@code ObjectNode}: {@code items}, and {@code more} (whether
 * older changes in the window were left out).
 */
public record FindRecentHistory(String twinId, Instant from, int limit) {
}
