package io.twinplatform.deploy.projection;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.deploy.eventstore.TwinEventStorageEngine;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each streaming event processor stands against the head of the event store: {@code GET /admin/projections}
 * shows it, and two gauges per processor publish it: {@value #BACKLOG} (events stored after its position, the
 * lowest of its segments) and {@value #BACKLOG_AGE} (seconds since the oldest of them was stored; 0 when it is caught
 * up). A backlog that grows, or an age above a few seconds, is a processor that falls behind or stalls.
 * <p>
 * The gauges read the store (the head, and the first event after each position that is behind) at most once a second
 * however many are scraped; while the database does not answer they read NaN.
 */
@Component
class ProcessorPositions {

    static final String BACKLOG = "twin.projection.backlog";
    static final String BACKLOG_AGE = "twin.projection.backlog.age";
    private static final Logger log = LoggerFactory.getLogger(ProcessorPositions.class);
    private static final long FRESH_NANOS = Duration.ofSeconds(1).toNanos();

    /** A processor's standing: events behind the head, and the age in seconds of the oldest of them. */
    private record Standing(long backlog, double age) {
    }

    private record Reading(long at, Map<String, Standing> standings) {
    }

    private final EventProcessingConfiguration processing;
    private final JdbcTemplate jdbc;
    private final MeterRegistry meters;
    private Reading last;

    ProcessorPositions(EventProcessingConfiguration processing, JdbcTemplate jdbc, MeterRegistry meters) {
        this.processing = processing;
        this.jdbc = jdbc;
        this.meters = meters;
    }

    /** The global index of the newest stored event, 0 for an empty store. */
    long head() {
        Long head = jdbc.queryForObject("SELECT coalesce(max(global_index), 0) FROM domain_event_entry", Long.class);
        return head == null ? 0 : head;
    }

    /** The lowest position among the processor's segments, -1 before any. */
    static long position(StreamingEventProcessor processor) {
        return processor.processingStatus().values().stream()
                .map(EventTrackerStatus::getCurrentPosition)
                .mapToLong(p -> p.orElse(-1))
                .min().orElse(-1);
    }

    /** Registers the gauges once the processors are configured (they are not while the registry is built). */
    @EventListener(ApplicationStartedEvent.class)
    void registerGauges() {
        for (String name : streaming().keySet()) {
            Gauge.builder(BACKLOG, () -> standing(name, false))
                    .description("events in the store after the processor's position (its slowest segment)")
                    .tag("processor", name)
                    .register(meters);
            Gauge.builder(BACKLOG_AGE, () -> standing(name, true))
                    .description("seconds since the oldest event the processor has not handled yet was stored;"
                            + " 0 when it is caught up")
                    .tag("processor", name)
                    .baseUnit("seconds")
                    .register(meters);
        }
    }

    private double standing(String processor, boolean age) {
        Standing standing = standings().get(processor);
        return standing == null ? Double.NaN : age ? standing.age() : standing.backlog();
    }

    private synchronized Map<String, Standing> standings() {
        long now = System.nanoTime();
        if (last != null && now - last.at() < FRESH_NANOS) {
            return last.standings();
        }
        Map<String, Standing> standings = new HashMap<>();
        try {
            long head = head();
            Instant clock = Instant.now();
            for (Map.Entry<String, StreamingEventProcessor> entry : streaming().entrySet()) {
                long position = position(entry.getValue());
                long backlog = Math.max(0, head - Math.max(0, position));
                standings.put(entry.getKey(), new Standing(backlog, backlog == 0 ? 0 : age(position, clock)));
            }
        } catch (RuntimeException e) {
            log.debug("processor positions not available", e);
            standings = Map.of();
        }
        last = new Reading(System.nanoTime(), standings);
        return standings;
    }

    /** Seconds since the first event after {@code position} was stored, 0 if there is none. */
    private double age(long position, Instant now) {
        List<String> stored = jdbc.queryForList("SELECT time_stamp FROM domain_event_entry WHERE global_index > ?"
                + " ORDER BY global_index LIMIT 1", String.class, position);
        if (stored.isEmpty()) {
            return 0;
        }
        return Math.max(0, Duration.between(TwinEventStorageEngine.parse(stored.get(0)), now).toMillis() / 1000.0);
    }

    private Map<String, StreamingEventProcessor> streaming() {
        Map<String, StreamingEventProcessor> streaming = new HashMap<>();
        for (Map.Entry<String, EventProcessor> entry : processing.eventProcessors().entrySet()) {
            if (entry.getValue() instanceof StreamingEventProcessor processor) {
                streaming.put(entry.getKey(), processor);
            }
        }
        return streaming;
    }
}
