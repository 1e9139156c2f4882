package io.twinplatform.history.telemetry;

import io.twinplatform.api.model.Timestamps;
import io.twinplatform.history.HistoryFilter;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;

/**
 * Where a page of raw telemetry samples ended: the last sample's (ts, name), the key the samples are ordered by. On
 * the wire it is opaque, base64url of {@code <epochSecond>:<nanos>:<name>}, so that a client passes it back
 * unchanged and the format may change.
 */
record SampleCursor(Instant ts, String name) {

    String text() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((ts.getEpochSecond() + ":" + ts.getNano() + ":"
                + name).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor {@link #text()} made; anything else is {@code 400 invalidParameter} at {@code after}. */
    static SampleCursor parse(String text) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            String[] parts = decoded.split(":", 3);
            if (parts.length == 3 && !parts[2].isEmpty() && parts[2].chars().noneMatch(Character::isISOControl)) {
                int nanos = Integer.parseInt(parts[1]);
                Instant ts = nanos >= 0 && nanos < 1_000_000_000
                        ? Instant.ofEpochSecond(Long.parseLong(parts[0]), nanos) : null;
                if (ts != null && Timestamps.inRange(ts)) {
                    return new SampleCursor(ts, parts[2]);
                }
            }
        } catch (IllegalArgumentException | DateTimeException e) {
            // refused below
        }
        throw HistoryFilter.invalid("after", "after is the next value a previous page answered");
    }
}
