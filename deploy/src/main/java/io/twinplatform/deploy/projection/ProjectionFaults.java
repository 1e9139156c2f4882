package io.twinplatform.deploy.projection;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.command.dispatch.FailureKinds;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the streaming projections could not do, for the operator to see ({@code /actuator/health} component
 * {@code projectionFaults}, {@code GET /admin/projections}, the gauge {@code twin.projection.faults}) and act on.
 * <p>
 * A <em>fault</em> is a twin that an isolated projection ({@link ProjectionIsolation}) failed to project: the
 * projection skips that twin's events from the failed one on (quarantine) and goes on with every other twin. Faults
 * are kept in {@code projection_fault} (they survive a restart, so the twin stays quarantined) and in memory (the
 * check runs for every event). A fault holds where the event is and what went wrong, never payload values. The
 * memory is this process's: a second process running the same projections reads the table when it starts.
 * <p>
 * A <em>stall</em> is a batch that a processor which cannot skip events (the audit chain, the Kafka stream, the
 * configuration applier, sagas) keeps retrying with back-off: kept in memory only, and forgotten once none of the
 * processor's segments is in error any more.
 */
@Component("projectionFaultRecords") // the health component is called projectionFaults
class ProjectionFaults {

    /** Where a fault is: a twin an isolated projection skips from {@code sequenceNumber} on, and why. */
    record Fault(String processor, String twinId, long sequenceNumber, String eventId, Long globalIndex,
                 String eventType, String error, Instant firstFailedAt, Instant lastFailedAt, int attempts) {

        Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("processor", processor);
            view.put("twinId", twinId);
            view.put("sequenceNumber", sequenceNumber);
            view.put("eventId", eventId);
            view.put("globalIndex", globalIndex);
            view.put("eventType", eventType);
            view.put("error", error);
            view.put("firstFailedAt", firstFailedAt.toString());
            view.put("lastFailedAt", lastFailedAt.toString());
            view.put("attempts", attempts);
            return view;
        }
    }

    /** A batch a processor keeps retrying: its first event and the error. */
    record Stall(String processor, String eventId, Long globalIndex, String eventType, String aggregateId,
                 String error, Instant since, Instant lastSeen) {

        Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("processor", processor);
            view.put("eventId", eventId);
            view.put("globalIndex", globalIndex);
            view.put("eventType", eventType);
            view.put("aggregateId", aggregateId);
            view.put("error", error);
            view.put("retryingSince", since.toString());
            return view;
        }
    }

    /**
     * How long a recorded stall is kept although no segment shows an error: the processor marks the segment only
     * after the error handler has seen the failure.
     */
    private static final Duration STALL_GRACE = Duration.ofSeconds(2);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate ownTransaction;
    private final MeterRegistry meters;
    private final Set<String> gauges = ConcurrentHashMap.newKeySet();
    private final Map<String, Stall> stalls = new ConcurrentHashMap<>();
    /** Open faults by processor and twin id; read from the table on first use. */
    private volatile Map<String, Map<String, Fault>> open;

    ProjectionFaults(JdbcTemplate jdbc, PlatformTransactionManager transactions, MeterRegistry meters) {
        this.jdbc = jdbc;
        // A fault is recorded beside the failed work, whose transaction is rolled back or aborted.
        this.ownTransaction = new TransactionTemplate(transactions);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.meters = meters;
        ProjectionIsolation.ISOLATED.forEach(this::gauge);
    }

    /** Whether the processor skips this twin's events. */
    boolean quarantined(String processor, String twinId) {
        Map<String, Fault> faults = open().get(processor);
        return faults != null && faults.containsKey(twinId);
    }

    Optional<Fault> find(String processor, String twinId) {
        return Optional.ofNullable(open().getOrDefault(processor, Map.of()).get(twinId));
    }

    /** The processor's open faults, oldest first. */
    List<Fault> faults(String processor) {
        return open().getOrDefault(processor, Map.of()).values().stream()
                .sorted(Comparator.comparing(Fault::firstFailedAt)).toList();
    }

    /** Every open fault, by processor. */
    Map<String, List<Fault>> all() {
        Map<String, List<Fault>> all = new LinkedHashMap<>();
        open().keySet().stream().sorted().forEach(processor -> {
            List<Fault> faults = faults(processor);
            if (!faults.isEmpty()) {
                all.put(processor, faults);
            }
        });
        return all;
    }

    /**
     * Records that the processor failed the twin's event (again): the twin is quarantined from then on. The row is
     * written in a transaction of its own, committed before this returns.
     */
    Fault record(String processor, EventMessage<?> event, String twinId, long sequenceNumber, Throwable error) {
        Instant now = Instant.now();
        Fault earlier = find(processor, twinId).orElse(null);
        Fault fault = new Fault(processor, twinId, sequenceNumber, event.getIdentifier(), globalIndex(event),
                event.getPayloadType().getSimpleName(), FailureKinds.describe(error),
                earlier == null ? now : earlier.firstFailedAt(), now, earlier == null ? 1 : earlier.attempts() + 1);
        ownTransaction.executeWithoutResult(status -> jdbc.update("""
                        INSERT INTO projection_fault (processor, twin_id, sequence_number, event_id, global_index,
                            event_type, error, first_failed_at, last_failed_at, attempts)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (processor, twin_id) DO UPDATE SET sequence_number = EXCLUDED.sequence_number,
                            event_id = EXCLUDED.event_id, global_index = EXCLUDED.global_index,
                            event_type = EXCLUDED.event_type, error = EXCLUDED.error,
                            last_failed_at = EXCLUDED.last_failed_at, attempts = projection_fault.attempts + 1""",
                processor, twinId, sequenceNumber, fault.eventId(), fault.globalIndex(), fault.eventType(),
                fault.error(), Timestamp.from(fault.firstFailedAt()), Timestamp.from(now), fault.attempts()));
        open().computeIfAbsent(processor, p -> new ConcurrentHashMap<>()).put(twinId, fault);
        gauge(processor);
        return fault;
    }

    /** Lifts the twin's quarantine in the processor. */
    void clear(String processor, String twinId) {
        ownTransaction.executeWithoutResult(status -> jdbc.update(
                "DELETE FROM projection_fault WHERE processor = ? AND twin_id = ?", processor, twinId));
        open().getOrDefault(processor, Map.of()).remove(twinId);
    }

    /** Forgets every fault and stall of the processor (its replay starts over and finds them again). */
    void clear(String processor) {
        ownTransaction.executeWithoutResult(status -> jdbc.update(
                "DELETE FROM projection_fault WHERE processor = ?", processor));
        open().remove(processor);
        stalls.remove(processor);
    }

    /** Notes that the processor will retry a failed batch. */
    void stalled(String processor, List<? extends EventMessage<?>> batch, Throwable error) {
        EventMessage<?> first = batch.isEmpty() ? null : batch.get(0);
        Instant now = Instant.now();
        stalls.compute(processor, (name, earlier) -> new Stall(processor,
                first == null ? null : first.getIdentifier(), first == null ? null : globalIndex(first),
                first == null ? null : first.getPayloadType().getSimpleName(),
                first instanceof DomainEventMessage<?> domain ? domain.getAggregateIdentifier() : null,
                FailureKinds.describe(error), earlier == null ? now : earlier.since(), now));
    }

    /** The batch the processor is retrying, if any of its segments is still in error. */
    Optional<Stall> stall(StreamingEventProcessor processor) {
        Stall stall = stalls.get(processor.getName());
        if (stall == null) {
            return Optional.empty();
        }
        boolean inError = processor.processingStatus().values().stream().anyMatch(EventTrackerStatus::isErrorState);
        if (!inError && stall.lastSeen().plus(STALL_GRACE).isBefore(Instant.now())) {
            stalls.remove(processor.getName(), stall);
            return Optional.empty();
        }
        return Optional.of(stall);
    }

    private static Long globalIndex(EventMessage<?> event) {
        if (event instanceof TrackedEventMessage<?> tracked && tracked.trackingToken() != null) {
            var position = tracked.trackingToken().position();
            return position.isPresent() ? position.getAsLong() : null;
        }
        return null;
    }

    private void gauge(String processor) {
        if (gauges.add(processor)) {
            Gauge.builder("twin.projection.faults", () -> open().getOrDefault(processor, Map.of()).size())
                    .description("twins the projection has quarantined: it failed one of their events and skips"
                            + " their events until an operator retries them (POST /admin/projections/{name}/faults/"
                            + "{twinId}/retry) or replays the projection")
                    .tag("processor", processor)
                    .register(meters);
        }
    }

    private Map<String, Map<String, Fault>> open() {
        Map<String, Map<String, Fault>> loaded = open;
        if (loaded == null) {
            synchronized (this) {
                loaded = open;
                if (loaded == null) {
                    loaded = new ConcurrentHashMap<>();
                    for (Fault fault : jdbc.query("""
                            SELECT processor, twin_id, sequence_number, event_id, global_index, event_type, error,
                                   first_failed_at, last_failed_at, attempts FROM projection_fault""",
                            (rs, n) -> new Fault(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                                    rs.getObject(5) == null ? null : rs.getLong(5), rs.getString(6), rs.getString(7),
                                    rs.getTimestamp(8).toInstant(), rs.getTimestamp(9).toInstant(), rs.getInt(10)))) {
                        loaded.computeIfAbsent(fault.processor(), p -> new ConcurrentHashMap<>())
                                .put(fault.twinId(), fault);
                    }
                    open = loaded;
                    loaded.keySet().forEach(this::gauge);
                }
            }
        }
        return loaded;
    }
}
