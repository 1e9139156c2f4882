package io.twinplatform.deploy.projection;

import io.twinplatform.command.dispatch.FailureKinds;
import io.twinplatform.query.twin.TwinProjection;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.AbstractEventProcessor;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.ErrorContext;
import org.axonframework.eventhandling.EventHandlerInvoker;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one twin's bad event from stalling a projection. The twin projections ({@link #ISOLATED}) collect a batch
 * and write it when it commits, so an event PostgreSQL refuses (a NUL character in JSONB, say) fails the whole
 * batch; Axon would retry that batch with back-off forever, and every twin of the segment would wait.
 * <p>
 * Instead, when such a batch fails with an error that depends on the data ({@link FailureKinds#mayPass} false),
 * its events are projected again one at a time, each in its own transaction, in order: the events that pass are
 * written, and a twin whose event fails is recorded in {@link ProjectionFaults} and quarantined: its later events
 * are skipped too (folding them onto a state without the failed event would be wrong), so its row stays at its last
 * good version. The processor then goes on. A failure that may pass (the database away or busy) is rethrown, and
 * Axon retries the batch with back-off as before, shown as a stall.
 * <p>
 * Processors that must not skip an event keep Axon's retry and are only shown as stalled: the audit chain (a hash
 * chain has no gaps), the Kafka stream (strictly ordered; it has its own replay), the configuration applier (every
 * twin must be offered its configurations) and the rollout saga (a decision must see every observation). Subscribing
 * processors run in the writer's transaction: their failure fails the write, so nothing is accepted.
 * <p>
 * Why not Axon's dead-letter queue: it catches exceptions thrown by an event handler, while these projections fail
 * when the batch commits; and it would keep a second copy of every failed event's payload.
 */
@Component
class ProjectionIsolation {

    /**
     * The projections that isolate a failed twin: current state and history as one processor
     * ({@link MergedProjections}) or as two; each is sequenced per twin and rebuilt from the event store.
     */
    static final Set<String> ISOLATED = Set.of(MergedProjections.PROCESSOR, TwinProjection.GROUP,
            MergedProjections.HISTORY_GROUP);

    private static final Logger log = LoggerFactory.getLogger(ProjectionIsolation.class);

    /** What a retry of a quarantined twin found: cleared, or the fault it met again. */
    record Retry(boolean cleared, ProjectionFaults.Fault fault) {
    }

    private final ProjectionFaults faults;
    private final TransactionManager transactions;
    private final EventProcessingConfiguration processing;
    private final EventStore events;

    ProjectionIsolation(ProjectionFaults faults, TransactionManager transactions,
                        EventProcessingConfiguration processing, EventStore events) {
        this.faults = faults;
        this.transactions = transactions;
        this.processing = processing;
        this.events = events;
    }

    /**
     * The error handler of every event processor: isolates the failed batch of an {@link #ISOLATED} projection,
     * and rethrows anything else (a streaming processor then retries with back-off, noted as a stall).
     */
    void handleError(ErrorContext context) throws Exception {
        String name = context.eventProcessor();
        Throwable error = context.error();
        EventProcessor processor = processing.eventProcessor(name).orElse(null);
        if (!(processor instanceof StreamingEventProcessor)) {
            throw rethrown(error);
        }
        if (!ISOLATED.contains(name) || !(processor instanceof AbstractEventProcessor isolated)
                || FailureKinds.mayPass(error)) {
            faults.stalled(name, context.failedEvents(), error);
            throw rethrown(error);
        }
        EventHandlerInvoker invoker = isolated.eventHandlerInvoker();
        Set<String> failedNow = new HashSet<>();
        int quarantined = 0;
        for (EventMessage<?> event : context.failedEvents()) {
            String twinId = event instanceof DomainEventMessage<?> domain ? domain.getAggregateIdentifier() : null;
            if (twinId != null && (failedNow.contains(twinId) || faults.quarantined(name, twinId))) {
                continue;
            }
            Throwable failure = projectAlone(invoker, event);
            if (failure == null) {
                continue;
            }
            if (twinId == null || FailureKinds.mayPass(failure)) {
                // Not a twin's event, or no longer the data's fault: nothing to isolate, retry the batch as Axon does.
                faults.stalled(name, context.failedEvents(), failure);
                throw rethrown(failure);
            }
            ProjectionFaults.Fault fault = faults.record(name, event, twinId,
                    ((DomainEventMessage<?>) event).getSequenceNumber(), failure);
            failedNow.add(twinId);
            quarantined++;
            log.warn("{} quarantined twin {}: its event {} (global index {}, {}) failed: {}; its later events are"
                            + " skipped until POST /admin/projections/{}/faults/{}/retry or a replay", name, twinId,
                    fault.eventId(), fault.globalIndex(), fault.eventType(), fault.error(), name, twinId);
        }
        if (quarantined == 0) {
            log.info("{}: a batch of {} events failed ({}), and each event alone passed", name,
                    context.failedEvents().size(), FailureKinds.describe(error));
        }
    }

    /**
     * Projects the quarantined twin's events again, from the one that failed to the latest, with the processor
     * stopped meanwhile (so no batch of its own writes the twin at the same time); clears the fault if they all
     * pass. The processor is started again afterwards if it ran before. One retry at a time.
     */
    synchronized Retry retry(String name, String twinId) {
        ProjectionFaults.Fault fault = faults.find(name, twinId).orElse(null);
        if (fault == null) {
            // Cleared meanwhile (a replay, or another retry).
            return new Retry(true, null);
        }
        AbstractEventProcessor processor = processing.eventProcessor(name, AbstractEventProcessor.class).orElseThrow();
        StreamingEventProcessor streaming = (StreamingEventProcessor) processor;
        boolean running = streaming.isRunning();
        if (running) {
            try {
                streaming.shutdownAsync().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("could not stop " + name + " to retry twin " + twinId, e);
            }
        }
        try {
            DomainEventStream stream = events.readEvents(twinId, fault.sequenceNumber());
            while (stream.hasNext()) {
                DomainEventMessage<?> event = stream.next();
                Throwable failure = projectAlone(processor.eventHandlerInvoker(), event);
                if (failure != null) {
                    return new Retry(false, faults.record(name, event, twinId, event.getSequenceNumber(), failure));
                }
            }
            faults.clear(name, twinId);
            log.info("{}: twin {} projected again from sequence number {}; its quarantine is lifted", name, twinId,
                    fault.sequenceNumber());
            return new Retry(true, fault);
        } finally {
            if (running) {
                streaming.start();
            }
        }
    }

    /** Handles one event in a unit of work and transaction of its own; the failure, or null once committed. */
    private Throwable projectAlone(EventHandlerInvoker invoker, EventMessage<?> event) {
        BatchingUnitOfWork<EventMessage<?>> unitOfWork = new BatchingUnitOfWork<>(List.of(event));
        unitOfWork.attachTransaction(transactions);
        ResultMessage<?> result = unitOfWork.executeWithResult(() -> {
            invoker.handle(unitOfWork.getMessage(), Segment.ROOT_SEGMENT);
            return null;
        });
        return result.isExceptional() ? result.exceptionResult() : null;
    }

    private static Exception rethrown(Throwable error) {
        if (error instanceof Error e) {
            throw e;
        }
        return error instanceof Exception e ? e : new IllegalStateException(error);
    }
}
