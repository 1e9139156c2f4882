package io.twinplatform.query.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.query.TwinQuerySettings;
import io.twinplatform.query.views.FleetViews;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.ResetHandler;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps {@code twin_document} current. Runs in the streaming processing group {@value #GROUP}, sequenced per twin
 * (the aggregate identifier), in batches: the handler only collects a batch's events; when the batch commits, the
 * rows of all twins it touches are read in one query, the events folded in order, and the changed rows written in
 * one JDBC batch. The states it wrote last are kept parsed in memory ({@code twin.query.cache-size} twins) and
 * used only while their version is the stored one, so a rolled-back batch or a write by another process is never
 * folded onto. Safe to replay: an event at or below the stored version is skipped, and a reset empties the
 * table. It has no side effects besides the table, the lag timer and waking callers that wait for a version.
 */
@Component
@ProcessingGroup(TwinProjection.GROUP)
public class TwinProjection {

    public static final String GROUP = "twin-current";
    private static final String BATCH = TwinProjection.class.getName() + ".batch";

    private record Change(TwinEvent event, Instant at) {

        String twinId() {
            return event.twinId();
        }

        long version() {
            return event.version();
        }
    }

    private final TwinDocumentStore store;
    private final FleetViews views;
    private final VersionWaiters waiters;
    private final Timer lag;
    private final Clock clock = Clock.systemUTC();
    /** A state this projection wrote, and its fleet view groups (null for a deleted twin). */
    private record Recent(TwinState state, List<FleetViews.Key> groups) {
    }

    private final Cache<String, Recent> recent;

    TwinProjection(TwinDocumentStore store, FleetViews views, VersionWaiters waiters, MeterRegistry meters,
                   TwinQuerySettings settings) {
        this.store = store;
        this.views = views;
        this.waiters = waiters;
        int cacheSize = settings.cacheSize();
        Cache<String, Recent> cache = Caffeine.newBuilder().maximumSize(cacheSize).recordStats().build();
        CaffeineCacheMetrics.monitor(meters, cache, "twin-current.recent");
        this.recent = cache;
        this.lag = Timer.builder("twin.projection.lag")
                .description("time from an event's timestamp to the commit of the twin_document row it changes; "
                        + "percentiles over twin.query.lag-window")
                .publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(settings.lagWindow())
                .distributionStatisticBufferLength(3)
                .register(meters);
    }

    @EventHandler
    void on(TwinEvent event, @Timestamp Instant at) {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        List<Change> batch = unitOfWork.getOrComputeResource(BATCH, key -> {
            List<Change> changes = new ArrayList<>();
            Map<String, TwinState> written = new LinkedHashMap<>();
            unitOfWork.onPrepareCommit(u -> written.putAll(flush(changes)));
            unitOfWork.afterCommit(u -> committed(changes, written));
            return changes;
        });
        batch.add(new Change(event, at));
    }

    @ResetHandler
    void reset() {
        store.deleteAll();
        views.clear();
        recent.invalidateAll();
    }

    /** Folds the batch into the stored rows and writes the changed ones; returns them by twin id. */
    private Map<String, TwinState> flush(List<Change> changes) {
        Set<String> twinIds = new LinkedHashSet<>();
        changes.forEach(change -> twinIds.add(change.twinId()));
        Map<String, Recent> cached = new HashMap<>();
        for (String twinId : twinIds) {
            Recent state = recent.getIfPresent(twinId);
            if (state != null) {
                cached.put(twinId, state);
            }
        }
        Map<String, TwinDocumentStore.Row> rows = store.findAll(twinIds, cached.keySet());
        Map<String, TwinState> states = new LinkedHashMap<>();
        Map<String, Long> versions = new LinkedHashMap<>();
        // Each live twin's fleet view groups before the batch, taken before its state is folded in place below:
        // from the stored document just read, or as they were written with the cached state.
        Map<String, List<FleetViews.Key>> groupsBefore = new HashMap<>();
        List<String> stale = new ArrayList<>();
        rows.forEach((twinId, row) -> {
            versions.put(twinId, row.version());
            if (row.deleted()) {
                return;
            }
            Recent last = cached.get(twinId);
            if (row.document() != null) {
                states.put(twinId, fromRow(row, groupsBefore));
            } else if (last != null && last.state().version() == row.version()) {
                states.put(twinId, last.state());
                if (views.enabled()) {
                    groupsBefore.put(twinId, last.groups());
                }
            } else {
                stale.add(twinId);
            }
        });
        if (!stale.isEmpty()) {
            store.findAll(stale, List.of()).forEach((twinId, row) -> {
                versions.put(twinId, row.version());
                if (!row.deleted()) {
                    states.put(twinId, fromRow(row, groupsBefore));
                }
            });
        }
        Map<String, TwinState> changed = new LinkedHashMap<>();
        Map<String, Instant> changedAt = new LinkedHashMap<>();
        for (Change change : changes) {
            if (versions.getOrDefault(change.twinId(), -1L) >= change.version()) {
                continue;
            }
            TwinState state;
            if (change.event() instanceof TwinCreated created) {
                state = TwinState.created(created, change.at());
            } else {
                state = states.get(change.twinId());
                if (state == null) {
                    // A tombstone takes nothing but a TwinCreated at a higher version.
                    continue;
                }
                state.apply(change.event(), change.at());
            }
            states.put(change.twinId(), state);
            versions.put(change.twinId(), change.version());
            changed.put(change.twinId(), state);
            changedAt.put(change.twinId(), change.at());
        }
        if (!changed.isEmpty()) {
            List<ObjectNode> documents = new ArrayList<>(changed.size());
            Map<String, List<FleetViews.Key>> groupsAfter = new HashMap<>();
            changed.forEach((twinId, state) -> {
                ObjectNode document = state.render();
                documents.add(document);
                if (views.enabled() && !state.deleted()) {
                    groupsAfter.put(twinId, views.keys(document));
                }
            });
            store.saveAll(new ArrayList<>(changed.values()), documents, new ArrayList<>(changedAt.values()));
            if (views.enabled()) {
                groupsBefore.keySet().retainAll(changed.keySet());
                views.count(groupsBefore, groupsAfter);
            }
            changed.forEach((twinId, state) -> recent.put(twinId, new Recent(state, groupsAfter.get(twinId))));
        }
        return changed;
    }

    private TwinState fromRow(TwinDocumentStore.Row row, Map<String, List<FleetViews.Key>> groups) {
        if (views.enabled()) {
            groups.put(row.twinId(), views.keys(row.document()));
        }
        return TwinState.fromDocument(row.document());
    }

    private void committed(List<Change> changes, Map<String, TwinState> written) {
        Instant now = clock.instant();
        for (Change change : changes) {
            lag.record(Duration.between(change.at(), now));
        }
        written.forEach((twinId, state) -> waiters.committed(twinId, state.version()));
    }
}
