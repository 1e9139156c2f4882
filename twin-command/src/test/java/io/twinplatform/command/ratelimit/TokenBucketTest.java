package io.twinplatform.command.ratelimit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shared rate limit of jobs, on a clock the test moves: sleeping advances it. */
class TokenBucketTest {

    private static final long MS = 1_000_000;

    private long now;
    private final List<Long> sleeps = new ArrayList<>();
    private TokenBucket bucket;

    @BeforeEach
    void bucket() {
        now = 5_000 * MS;
        bucket = new TokenBucket(10, 2, () -> now, nanos -> {
            sleeps.add(nanos);
            now += nanos;
        });
    }

    @Test
    void letsTheBurstThroughAtOnceThenSpacesCallsAtTheRate() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            bucket.acquire();
        }

        assertThat(sleeps).containsExactly(100 * MS, 100 * MS);
    }

    @Test
    void holdsTheRateOverManyCalls() throws InterruptedException {
        long start = now;
        for (int i = 0; i < 102; i++) {
            bucket.acquire();
        }

        // two from the burst, then one every 100 ms
        assertThat(now - start).isEqualTo(10_000 * MS);
    }

    @Test
    void refillsWhileIdleButNeverBeyondItsBurst() throws InterruptedException {
        bucket.acquire();
        bucket.acquire();
        now += 60_000 * MS;

        bucket.acquire();
        bucket.acquire();
        bucket.acquire();

        assertThat(sleeps).containsExactly(100 * MS);
    }

    @Test
    void callersThatAskTogetherAreServedInTurn() {
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waits.add(bucket.reserve());
        }

        assertThat(waits).containsExactly(0L, 0L, 100 * MS, 200 * MS, 300 * MS);
    }

    @Test
    void aFractionalRateWaitsWholeSeconds() {
        TokenBucket slow = new TokenBucket(0.5, 1, () -> now, nanos -> now += nanos);

        assertThat(slow.reserve()).isZero();
        assertThat(slow.reserve()).isEqualTo(2_000 * MS);
    }

    @Test
    void aTryTakesWhatIsThereAndOtherwiseSaysWhenWithoutRunningIntoDebt() {
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).as("empty: a token in 100 ms").isEqualTo(100 * MS);
        assertThat(bucket.tryTake()).as("refused tries take nothing").isEqualTo(100 * MS);
        now += 40 * MS;
        assertThat(bucket.tryTake()).isEqualTo(60 * MS);
        now += 60 * MS;
        assertThat(bucket.tryTake()).isZero();
        now += 10_000 * MS;
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).as("a quiet spell fills only the burst").isEqualTo(100 * MS);
    }

    @Test
    void refusesARateThatIsNotPositive() {
        assertThatThrownBy(() -> TokenBucket.perSecond(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenBucket.perSecond(-5)).isInstanceOf(IllegalArgumentException.class);
    }
}
