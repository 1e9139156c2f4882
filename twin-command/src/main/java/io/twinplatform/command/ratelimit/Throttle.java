package io.twinplatform.command.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;

import java.time.Duration;
import java.util.Locale;

/**
 * A rate limit per key (a caller's principal, a device's twin id): each key has its own {@link TokenBucket} of
 * {@code ratePerSecond} and {@code burst}, so one that floods is refused while the others go on. A key not seen for ten
 * minutes is forgotten (its bucket would be full again by then).
 */
public final class Throttle {

    /** The problem code of a refusal, over every channel. */
    public static final String CODE = "throttled";

    private final double ratePerSecond;
    private final double burst;
    private final Cache<String, TokenBucket> buckets = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(10)).maximumSize(1_000_000).build();

    public Throttle(double ratePerSecond, double burst) {
        if (!(ratePerSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("a rate limit needs a positive rate and a burst of at least 1, not "
                    + ratePerSecond + "/s and " + burst);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
    }

    /** Zero when {@code key} may go on (a token was taken); else how long until it may, and nothing was taken. */
    public Duration tryTake(String key) {
        long nanos = buckets.get(key, k -> TokenBucket.of(ratePerSecond, burst)).tryTake();
        return nanos == 0 ? Duration.ZERO : Duration.ofNanos(nanos);
    }

    /** How long the bucket takes to hold one more request. */
    public Duration interval() {
        return Duration.ofNanos((long) Math.ceil(1e9 / ratePerSecond));
    }

    /** Whole seconds to wait, at least one: what {@code Retry-After} says. */
    public static long retryAfterSeconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    /** The refusal: {@code 429 throttled}, saying the limit and when to try again. */
    public TwinError refusal(String who, Duration wait) {
        return TwinError.of(ErrorKind.TOO_MANY_REQUESTS, CODE, String.format(Locale.ROOT,
                "%s sent more than %s a second (bursts up to %s); nothing was taken: send it again in %d s", who,
                number(ratePerSecond), number(burst), retryAfterSeconds(wait)));
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
