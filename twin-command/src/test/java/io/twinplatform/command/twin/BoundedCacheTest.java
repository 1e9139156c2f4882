package io.twinplatform.command.twin;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BoundedCacheTest {

    @Test
    void holdsAtMostItsCapacityAndKeepsTheTwinsInUse() {
        BoundedCache cache = new BoundedCache(10);
        cache.put("hot", 0);
        for (int i = 0; i < 1000; i++) {
            assertThat((Integer) cache.get("hot")).isEqualTo(0);
            cache.put("cold-" + i, i);
        }

        long held = 0;
        for (int i = 0; i < 1000; i++) {
            held += cache.containsKey("cold-" + i) ? 1 : 0;
        }
        assertThat(held).isLessThanOrEqualTo(9);
        assertThat(cache.containsKey("hot")).as("the twin used all along").isTrue();
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() {
        BoundedCache cache = new BoundedCache(4);

        assertThat(cache.putIfAbsent("a", 1)).isTrue();
        assertThat(cache.putIfAbsent("a", 2)).isFalse();
        assertThat((Integer) cache.get("a")).isEqualTo(1);
    }

    @Test
    void removeEvictsSoTheNextLoadReadsTheStore() {
        BoundedCache cache = new BoundedCache(4);
        cache.put("a", 1);

        assertThat(cache.remove("a")).isTrue();
        assertThat(cache.remove("a")).isFalse();
        assertThat((Object) cache.get("a")).isNull();
    }

    @Test
    void computesOnlyWhatIsMissingAndUpdatesOnlyWhatIsPresent() {
        BoundedCache cache = new BoundedCache(4);

        assertThat(cache.<Integer>computeIfAbsent("a", () -> 1)).isEqualTo(1);
        assertThat(cache.<Integer>computeIfAbsent("a", () -> 2)).isEqualTo(1);
        cache.<Integer>computeIfPresent("a", v -> v + 10);
        cache.<Integer>computeIfPresent("b", v -> v + 10);

        assertThat((Integer) cache.get("a")).isEqualTo(11);
        assertThat(cache.containsKey("b")).isFalse();
        cache.removeAll();
        assertThat(cache.containsKey("a")).isFalse();
    }

    @Test
    void refusesListenersItCannotNotify() {
        assertThatThrownBy(() -> new BoundedCache(1).registerCacheEntryListener(new org.axonframework.common.caching.Cache.EntryListenerAdapter()))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
