package io.twinplatform.history;

import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;

import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Rebuilds a twin's state from its events in the event store (never from a snapshot): for versions and instants the
 * history table no longer holds, and for twins whose history starts before this projection existed.
 */
public class EventFold {

    private final EventStore events;

    public EventFold(EventStore events) {
        this.events = events;
    }

    /** One event of a twin, and the twin right after it ({@code state.deleted()} after a deletion). */
    public record Step(DomainEventMessage<?> message, TwinEvent event, TwinState state) {
    }

    /**
     * Folds the twin's events from its first and hands each one with version in {@code [fromVersion, toVersion]}
     * to {@code step}, with the state after it. The state object is the fold's own: render it before returning.
     */
    public void steps(String twinId, long fromVersion, long toVersion, Consumer<Step> step) {
        walk(twinId, message -> ((TwinEvent) message.getPayload()).version() > toVersion, each -> {
            if (each.event().version() >= fromVersion) {
                step.accept(each);
            }
        });
    }

    /**
     * The twin after the last of its events that is at most {@code maxVersion} and no later than {@code asOf}
     * ({@code null} for no bound); {@code null} if it did not exist then. A deleted twin's state is returned with
     * {@link TwinState#deleted()} set.
     */
    public TwinState fold(String twinId, Long maxVersion, Instant asOf) {
        TwinState[] last = {null};
        walk(twinId, message -> maxVersion != null && ((TwinEvent) message.getPayload()).version() > maxVersion
                || asOf != null && message.getTimestamp().isAfter(asOf), each -> last[0] = each.state());
        return last[0];
    }

    /** Folds the twin's events in order until {@code stop} holds for one, handing over each step. */
    private void walk(String twinId, Predicate<DomainEventMessage<?>> stop, Consumer<Step> step) {
        DomainEventStream stream = events.readEvents(twinId, 0);
        TwinState state = null;
        while (stream.hasNext()) {
            DomainEventMessage<?> message = stream.next();
            if (!(message.getPayload() instanceof TwinEvent event)) {
                continue;
            }
            if (stop.test(message)) {
                break;
            }
            if (event instanceof TwinCreated created) {
                state = TwinState.created(created, message.getTimestamp());
            } else if (state != null) {
                state.apply(event, message.getTimestamp());
            }
            if (state != null) {
                step.accept(new Step(message, event, state));
            }
        }
    }
}
