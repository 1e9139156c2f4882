package io.twinplatform.command.ratelimit;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket: at most {@code ratePerSecond} takes a second, and at most {@code burst} back to back after a quiet
 * spell. The jobs of a process share one (so that together they leave the write side to device traffic); each caller
 * of the platform and each device has one ({@code 429} past it).
 *
 * <p>Each {@link #acquire()} takes a token at once or reserves the next one (the bucket may run into debt), then
 * sleeps until its reservation is due: callers are served in the order they asked, and none is starved.
 * {@link #tryTake()} takes a token only if one is there, and otherwise says how long until one is.
 */
public final class TokenBucket {

    /** Waits for a number of nanoseconds; the system's is {@link TimeUnit#sleep}. */
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private static final double NANOS_PER_SECOND = 1e9;

    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private double tokens;
    private long refilledAt;

    public TokenBucket(double ratePerSecond, double burst, LongSupplier nanoTime, Sleeper sleeper) {
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
    public static TokenBucket perSecond(double ratePerSecond) {
        return new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond / 10), System::nanoTime,
                TimeUnit.NANOSECONDS::sleep);
    }

    /** A bucket on the system clock that never waits ({@link #tryTake()} only). */
    public static TokenBucket of(double ratePerSecond, double burst) {
        return new TokenBucket(ratePerSecond, burst, System::nanoTime, nanos -> {
            throw new UnsupportedOperationException("this bucket is only tried");
        });
    }

    /** Takes one token, waiting until it is due. */
    public void acquire() throws InterruptedException {
        long wait = reserve();
        if (wait > 0) {
            sleeper.sleep(wait);
        }
    }

    /**
     * Takes a token if there is one (0); otherwise takes nothing and answers the nanoseconds until there is one. It
     * never runs into debt, so a caller that keeps trying past its rate still gets its rate.
     */
    public synchronized long tryTake() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano));
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
        refilledAt = now;
    }

    /** Takes one token and answers how many nanoseconds the caller must wait before using it. */
    synchronized long reserve() {
        refill();
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / ratePerNano);
    }
}
