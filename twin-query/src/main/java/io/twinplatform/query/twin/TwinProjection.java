package io.twinplatform.query.twin;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatusChanged;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps {@code twin_document} current. Runs in the streaming processing group {@value #GROUP}, sequenced per twin
 * (the aggregate identifier), in batches: each twin touched in a batch is read once and written once, at the end
 * of the batch. Safe to replay: an event at or below the stored version is skipped, and a reset empties the table.
 * It has no side effects besides the table, the lag timer and waking callers that wait for a version.
 */
@Component
@ProcessingGroup(TwinProjection.GROUP)
class TwinProjection {

    static final String GROUP = "twin-current";
    private static final String BATCH = TwinProjection.class.getName() + ".batch";

    /** A twin touched in the current batch. {@code state} is null for a twin the table does not know. */
    private static final class Touched {
        TwinState state;
        long storedVersion;
        boolean dirty;
        Instant at;
    }

    private final TwinDocumentStore store;
    private final VersionWaiters waiters;
    private final Timer lag;
    private final Clock clock = Clock.systemUTC();

    TwinProjection(TwinDocumentStore store, VersionWaiters waiters, MeterRegistry meters) {
        this.store = store;
        this.waiters = waiters;
        this.lag = Timer.builder("twin.projection.lag")
                .description("time from an event's timestamp to the commit of the twin_document row it changes; percentiles over the last minute")
                .publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1))
                .distributionStatisticBufferLength(3)
                .register(meters);
    }

    @EventHandler
    void on(TwinCreated event, @Timestamp Instant at) {
        Touched twin = touch(event.twinId());
        if (twin.storedVersion >= event.version()) {
            return;
        }
        twin.state = TwinState.created(event, at);
        changed(twin, event.twinId(), at);
    }

    @EventHandler
    void on(TwinReplaced event, @Timestamp Instant at) {
        fold(event.twinId(), event.version(), event, at);
    }

    @EventHandler
    void on(TwinPatched event, @Timestamp Instant at) {
        fold(event.twinId(), event.version(), event, at);
    }

    @EventHandler
    void on(ReportedPropertiesPatched event, @Timestamp Instant at) {
        fold(event.twinId(), event.version(), event, at);
    }

    @EventHandler
    void on(TwinStatusChanged event, @Timestamp Instant at) {
        fold(event.twinId(), event.version(), event, at);
    }

    @EventHandler
    void on(TwinDeleted event, @Timestamp Instant at) {
        fold(event.twinId(), event.version(), event, at);
    }

    @ResetHandler
    void reset() {
        store.deleteAll();
    }

    private void fold(String twinId, long version, Object event, Instant at) {
        Touched twin = touch(twinId);
        if (twin.state == null || twin.state.version() >= version) {
            return;
        }
        twin.state.apply(event, at);
        changed(twin, twinId, at);
    }

    private void changed(Touched twin, String twinId, Instant at) {
        twin.dirty = true;
        twin.at = at;
        batch().lags.add(at);
    }

    private Touched touch(String twinId) {
        return batch().twins.computeIfAbsent(twinId, id -> {
            Touched twin = new Touched();
            twin.storedVersion = -1;
            store.find(id).ifPresent(row -> {
                twin.storedVersion = row.version();
                // A tombstone has no state: only a TwinCreated at a higher version brings the twin back.
                twin.state = row.deleted() ? null : TwinState.fromDocument(row.document());
            });
            return twin;
        });
    }

    private static final class Batch {
        final Map<String, Touched> twins = new LinkedHashMap<>();
        final List<Instant> lags = new ArrayList<>();
    }

    private Batch batch() {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        return unitOfWork.getOrComputeResource(BATCH, key -> {
            Batch batch = new Batch();
            unitOfWork.onPrepareCommit(u -> flush(batch));
            unitOfWork.afterCommit(u -> committed(batch));
            return batch;
        });
    }

    private void flush(Batch batch) {
        for (Map.Entry<String, Touched> entry : batch.twins.entrySet()) {
            Touched twin = entry.getValue();
            if (!twin.dirty) {
                continue;
            }
            if (twin.state.deleted()) {
                store.markDeleted(entry.getKey(), twin.state.version(), twin.at);
            } else {
                store.upsert(entry.getKey(), twin.state, twin.at);
            }
        }
    }

    private void committed(Batch batch) {
        Instant now = clock.instant();
        for (Instant at : batch.lags) {
            lag.record(Duration.between(at, now));
        }
        batch.twins.forEach((twinId, twin) -> {
            if (twin.dirty) {
                waiters.committed(twinId, twin.state.version());
            }
        });
    }
}
