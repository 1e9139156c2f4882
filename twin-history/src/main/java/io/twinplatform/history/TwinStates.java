package io.twinplatform.history;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;

import java.time.Instant;

/**
 * The twin right after each event a stream sends (the Kafka publisher, the live {@code GET /events}): folded onto the twin's state after its previous event, kept
 * for the most recently published twins. A cached state is used only when it is exactly one version behind the event;
 * otherwise (a twin not seen since the start, a replay, a batch that was rolled back) the twin is folded from the
 * event store up to the event. So the state is right whatever order batches are retried in.
 */
public final class TwinStates {

    private final EventFold fold;
    private final Cache<String, TwinState> recent;

    public TwinStates(EventFold fold, int size) {
        this(fold, size, null);
    }

    /** @param meters where the cache's hits and misses are counted ({@code twin-kafka.states}); null for nowhere */
    public TwinStates(EventFold fold, int size, MeterRegistry meters) {
        this.fold = fold;
        Cache<String, TwinState> cache = Caffeine.newBuilder().maximumSize(size).recordStats().build();
        if (meters != null) {
            CaffeineCacheMetrics.monitor(meters, cache, "twin-kafka.states");
        }
        this.recent = cache;
    }

    /** The twin after {@code event}, which happened at {@code at}. The returned state is the cache's own. */
    public TwinState after(TwinEvent event, Instant at) {
        TwinState state;
        if (event instanceof TwinCreated created) {
            state = TwinState.created(created, at);
        } else {
            state = recent.getIfPresent(event.twinId());
            if (state == null || state.version() != event.version() - 1) {
                state = fold.fold(event.twinId(), event.version() - 1, null);
                if (state == null) {
                    throw new IllegalStateException("twin " + event.twinId() + " has no events before version "
                            + event.version());
                }
            }
            state.apply(event, at);
        }
        recent.put(event.twinId(), state);
        return state;
    }

    public void clear() {
        recent.invalidateAll();
    }
}
