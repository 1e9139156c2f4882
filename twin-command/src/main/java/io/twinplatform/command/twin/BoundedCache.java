package io.twinplatform.command.twin;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;

import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Axon's {@link Cache} over a Caffeine cache of at most {@code capacity} entries, for loaded aggregates. Axon's
 * {@code WeakReferenceCache} loses its entries at every young collection under write load, so it rarely hits; this
 * keeps the hot twins (Caffeine's frequency-aware eviction), and its hits and misses are meters
 * ({@code cache.gets{cache=...}}). Entry listeners are not supported (Axon's caching repository registers none).
 */
public final class BoundedCache implements Cache {

    private final com.github.benmanes.caffeine.cache.Cache<Object, Object> cache;
    /** The same entries as a map, for the writes Axon's interface names (they are not counted as hits or misses). */
    private final ConcurrentMap<Object, Object> entries;

    BoundedCache(int capacity) {
        this(capacity, null, null);
    }

    /** @param meters where hits and misses are counted, as cache {@code name}; null for nowhere */
    public BoundedCache(int capacity, MeterRegistry meters, String name) {
        // Evictions on the writing thread: the cache never holds more than its capacity after a put returns.
        com.github.benmanes.caffeine.cache.Cache<Object, Object> cache = Caffeine.newBuilder().maximumSize(capacity)
                .executor(Runnable::run).recordStats().build();
        if (meters != null) {
            CaffeineCacheMetrics.monitor(meters, cache, name);
        }
        this.cache = cache;
        this.entries = cache.asMap();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> V get(K key) {
        return (V) cache.getIfPresent(key);
    }

    @Override
    public void put(Object key, Object value) {
        entries.put(key, value);
    }

    @Override
    public boolean putIfAbsent(Object key, Object value) {
        return entries.putIfAbsent(key, value) == null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(Object key, Supplier<T> valueSupplier) {
        return (T) cache.get(key, k -> valueSupplier.get());
    }

    @Override
    public boolean remove(Object key) {
        return entries.remove(key) != null;
    }

    @Override
    public void removeAll() {
        entries.clear();
    }

    @Override
    public boolean containsKey(Object key) {
        return entries.containsKey(key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> void computeIfPresent(Object key, UnaryOperator<V> update) {
        entries.computeIfPresent(key, (k, v) -> update.apply((V) v));
    }

    @Override
    public Registration registerCacheEntryListener(EntryListener cacheEntryListener) {
        throw new UnsupportedOperationException("BoundedCache does not notify listeners");
    }
}
