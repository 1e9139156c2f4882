package io.twinplatform.command.job;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket shared by every running job of this process, so that together they send at most
 * {@code ratePerSecond} twin updates a second and device traffic keeps the rest of the write side. It holds at most
 * {@code burst} tokens, so after a quiet spell only that many updates go out back to back.
 *
 * <p>Each {@link #acquire()} takes a token at once or reserves the next one (the bucket may run into debt), then
 * sleeps until its reservation is due: callers are served in the order they asked, and none is starved.
 */
final class TokenBucket {

    /** Waits for a number of nanoseconds; the system's is {@link TimeUnit#sleep}. */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private static final double NANOS_PER_SECOND = 1e9;

    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private double tokens;
    private long refilledAt;

    TokenBucket(double ratePerSecond, double burst, LongSupplier nanoTime, Sleeper sleeper) {
        if (!(ratePerSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("a token bucket needs a positive rate and a burst of at least 1");
        }
        this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
        this.burst = burst;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.tokens = burst;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** A bucket on the system clock whose burst is a tenth of a second's worth of tokens (at least one). */
    static TokenBucket perSecond(double ratePerSecond) {
        return new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond / 10), System::nanoTime,
                TimeUnit.NANOSECONDS::sleep);
    }

    /** Takes one token, waiting until it is due. */
    void acquire() throws InterruptedException {
        long wait = reserve();
        if (wait > 0) {
            sleeper.sleep(wait);
        }
    }

    /** Takes one token and answers how many nanoseconds the caller must wait before using it. */
    synchronized long reserve() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
        refilledAt = now;
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / ratePerNano);
    }
}
