package io.twinplatform.query.twin;

import io.twinplatform.api.query.AwaitFleetPosition;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Answers whether the current-state projection has reached a position of the event store, waiting a little if it
 * has not. Reads the processor's own segment positions; a segment another process owns is not visible here, and
 * then the answer is given as soon as this process's segments are there.
 */
@Component
class FleetPosition {

    private static final long RECHECK_MILLIS = 10;

    private final EventProcessingConfiguration processing;

    FleetPosition(EventProcessingConfiguration processing) {
        this.processing = processing;
    }

    @QueryHandler
    Boolean handle(AwaitFleetPosition query) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(query.timeoutMillis());
        while (true) {
            if (reached(query.globalIndex())) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(RECHECK_MILLIS);
        }
    }

    private boolean reached(long index) {
        StreamingEventProcessor processor = processing
                .eventProcessor(TwinProjection.GROUP, StreamingEventProcessor.class).orElse(null);
        if (processor == null) {
            return true;
        }
        Map<Integer, EventTrackerStatus> segments = processor.processingStatus();
        if (segments.isEmpty()) {
            return false;
        }
        for (EventTrackerStatus status : segments.values()) {
            OptionalLong position = status.getCurrentPosition();
            if (status.isErrorState() || position.isEmpty() || position.getAsLong() < index) {
                return false;
            }
        }
        return true;
    }
}
