package io.twinplatform.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.ChangedPaths;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.ResetHandler;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.springframework.context.ApplicationEventPublisher;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one {@code twin_history} row per twin event, in its own tracking processor ({@value #GROUP}, one thread,
 * own token: a replay of the current-state projection never touches it). Events are collected per batch and
 * written when it commits: each twin's latest state comes from a cache of recently changed twins
 * ({@code twin.history.cache-size}) or, for the rest of the batch, from one query that follows the head table's
 * pointers to the rows; each event is folded onto it (rebuilt from the event store when no head exists, as when the
 * history starts after the twin), and the rows and the new head pointers are written in JDBC batches. Replay-safe: an event at or below a head's version is skipped,
 * and rows are inserted with ON CONFLICT DO NOTHING. An event older than the retention (a replay) does not get a row:
 * its twin's row in {@code twin_history_baseline} is moved forward to it instead.
 */
@Component
@ProcessingGroup(HistoryProjection.GROUP)
public class HistoryProjection {

    public static final String GROUP = "twin-history";
    private static final String BATCH = HistoryProjection.class.getName() + ".batch";

    private record Change(TwinEvent event, String eventId, Instant at, MetaData metaData) {
    }

    private final HistoryStore store;
    private final HistoryRetention retention;
    private final EventFold fold;
    private final ObjectMapper json = TwinJson.newMapper();
    /** The latest heads of recently changed twins (least recently used leave first), as committed. */
    private final Cache<String, HistoryStore.Head> heads;

    private final ApplicationEventPublisher events;

    HistoryProjection(HistoryStore store, HistoryRetention retention, EventFold fold, HistorySettings settings,
                      MeterRegistry meters, ApplicationEventPublisher events) {
        Cache<String, HistoryStore.Head> cache = Caffeine.newBuilder().maximumSize(settings.cacheSize()).recordStats()
                .build();
        CaffeineCacheMetrics.monitor(meters, cache, "twin-history.heads");
        this.heads = cache;
        this.store = store;
        this.retention = retention;
        this.fold = fold;
        this.events = events;
    }

    @EventHandler
    void on(TwinEvent event, EventMessage<?> message) {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        Batch batch = unitOfWork.getOrComputeResource(BATCH, key -> {
            Batch created = new Batch();
            unitOfWork.onPrepareCommit(u -> flush(created));
            unitOfWork.afterCommit(u -> {
                heads.putAll(created.heads);
                Set<String> twins = new LinkedHashSet<>();
                created.changes.forEach(change -> twins.add(change.event().twinId()));
                events.publishEvent(new HistoryWritten(twins));
            });
            // The batch folded some cached states further: they are no longer what the table holds.
            unitOfWork.onRollback(u -> created.changes.forEach(change -> heads.invalidate(change.event().twinId())));
            return created;
        });
        batch.changes.add(new Change(event, message.getIdentifier(), message.getTimestamp(), message.getMetaData()));
    }

    @ResetHandler
    void reset() {
        heads.invalidateAll();
        store.deleteAll();
    }

    private static final class Batch {
        final List<Change> changes = new ArrayList<>();
        final Map<String, HistoryStore.Head> heads = new LinkedHashMap<>();
    }

    private void flush(Batch batch) {
        store.commitWithoutWaitingForTheDisk();
        List<Change> changes = batch.changes;
        Map<String, HistoryStore.Head> known = new HashMap<>();
        Set<String> missing = new LinkedHashSet<>();
        for (Change change : changes) {
            String twinId = change.event().twinId();
            HistoryStore.Head cached = heads.getIfPresent(twinId);
            if (cached != null) {
                known.put(twinId, cached);
            } else {
                missing.add(twinId);
            }
        }
        if (!missing.isEmpty()) {
            known.putAll(store.heads(missing));
        }
        Map<String, HistoryStore.Head> changed = batch.heads;
        List<HistoryRow> rows = new ArrayList<>();
        Map<String, HistoryRow> baseline = new LinkedHashMap<>();
        // The token's position is not the event's index for an event that filled a gap late: ask the store.
        Map<String, Long> globalIndexes = store.globalIndexes(changes.stream().map(Change::eventId).toList());
        for (Change change : changes) {
            TwinEvent event = change.event();
            String twinId = event.twinId();
            HistoryStore.Head head = known.get(twinId);
            if (head != null && head.version() >= event.version()) {
                continue;
            }
            TwinState state;
            if (event instanceof TwinCreated created) {
                state = TwinState.created(created, change.at());
            } else {
                state = head != null && head.version() == event.version() - 1 ? head.state() : null;
                if (state == null) {
                    state = fold.fold(twinId, event.version() - 1, null);
                }
                if (state == null || state.deleted()) {
                    throw new IllegalStateException("twin " + twinId + " has event version " + event.version()
                            + " but no live state before it in the event store");
                }
                state.apply(event, change.at());
            }
            String document = state.deleted() ? null : state.toJson();
            HistoryStore.Head next = new HistoryStore.Head(event.version(), change.at(), state.deleted() ? null : state);
            known.put(twinId, next);
            changed.put(twinId, next);
            HistoryRow row = row(change, state, document, globalIndexes.getOrDefault(change.eventId(), -1L));
            if (retention.keeps(change.at())) {
                retention.ensure(change.at());
                rows.add(row);
            } else {
                baseline.put(twinId, row);
            }
        }
        if (!rows.isEmpty()) {
            store.insert(rows);
        }
        if (!baseline.isEmpty()) {
            store.saveBaseline(baseline.values());
        }
        if (!changed.isEmpty()) {
            store.saveHeads(changed);
        }
    }

    private HistoryRow row(Change change, TwinState state, String document, long globalIndex) {
        TwinEvent event = change.event();
        MetaData meta = change.metaData();
        return new HistoryRow(change.at(), event.twinId(), state.deviceId(), state.moduleId(), event.version(),
                state.deleted() ? null : state.desired().version(), state.deleted() ? null : state.reported().version(),
                event.getClass().getSimpleName(), change.eventId(), globalIndex,
                text(meta, AuditMetadata.PRINCIPAL), text(meta, AuditMetadata.CHANNEL), text(meta, AuditMetadata.TRANSPORT),
                text(meta, AuditMetadata.CORRELATION_ID), text(meta, AuditMetadata.CAUSATION_ID),
                text(meta, AuditMetadata.REASON), ChangedPaths.of(event), change(event), document);
    }

    private String change(TwinEvent event) {
        try {
            return json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a twin event that Jackson cannot write: " + event.getClass(), e);
        }
    }

    private static String text(MetaData meta, String key) {
        Object value = meta.get(key);
        return value == null ? null : value.toString();
    }
}
