package io.twinplatform.deploy.projection;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.history.kafka.KafkaPublisher;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.messaging.StreamableMessageSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Rebuilds a projection from the event store on demand, while writes go on: {@code POST
 * /admin/projections/{name}/replay} resets the processor's tokens (its reset handler empties its tables), forgets
 * its faults (the replay finds them again without stopping) and restarts it; {@code GET /admin/projections} shows
 * each streaming processor's position, its faults (quarantined twins, see {@link ProjectionIsolation}) and a batch
 * it keeps retrying, and during a replay done/total, rate and ETA, which the log also shows every five seconds.
 * {@code POST /admin/projections/{name}/faults/{twinId}/retry} projects a quarantined twin again once its cause is
 * removed.
 */
@RestController
@Tag(name = "admin", description = "Operating the platform's projections")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ProjectionAdmin implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ProjectionAdmin.class);

    /** How often the log shows a running replay's progress. */
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    /** Faults listed per projection, oldest first; {@code quarantinedTwins} counts them all. */
    private static final int LISTED_FAULTS = 100;

    /** A replay: when it started, the store's head then, and when it was first seen finished. */
    private record Replay(Instant started, long head, Instant finished) {
    }

    /** {@code GET /admin/projections}; documentation only. */
    @Schema(name = "Projections")
    record ProjectionsView(@Schema(description = "the event store's last global index") long head,
                           List<ProjectionView> projections) {
    }

    /** One projection as {@link #describe} shows it; documentation only. */
    @Schema(name = "Projection")
    record ProjectionView(String name, boolean running, boolean replaying,
                          @Schema(description = "the lowest position of its segments, -1 before any") long position,
                          @Schema(description = "during and after a replay") Long done,
                          @Schema(description = "during and after a replay") Long total,
                          @Schema(description = "during and after a replay") Long eventsPerSecond,
                          @Schema(description = "during and after a replay") Long etaSeconds,
                          @Schema(description = "after a replay") Long finishedAfterSeconds,
                          int quarantinedTwins,
                          @Schema(description = "the oldest 100 faults") List<Map<String, Object>> faults,
                          @Schema(description = "a batch it keeps retrying, if any") Map<String, Object> stalled) {
    }

    /** {@code POST …/faults/{twinId}/retry} that lifted the quarantine; documentation only. */
    @Schema(name = "FaultCleared")
    record Cleared(String processor, String twinId, @Schema(allowableValues = "true") boolean cleared) {
    }

    private final EventProcessingConfiguration processing;
    private final ProcessorPositions positions;
    private final ProjectionFaults faults;
    private final ProjectionIsolation isolation;
    private final Map<String, Replay> replays = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> progressLog;

    ProjectionAdmin(EventProcessingConfiguration processing, ProcessorPositions positions, ProjectionFaults faults,
                    ProjectionIsolation isolation, TaskScheduler scheduler) {
        this.processing = processing;
        this.positions = positions;
        this.faults = faults;
        this.isolation = isolation;
        this.progressLog = scheduler.scheduleAtFixedRate(this::logProgress,
                scheduler.getClock().instant().plus(PROGRESS_EVERY), PROGRESS_EVERY);
    }

    @Operation(summary = "Every projection (streaming event processor): running, replaying, position, its faults,"
            + " and during a replay done/total, events per second and ETA",
            description = "`faults` lists the twins the projection has quarantined: it failed one of their events"
                    + " (processor, twinId, sequenceNumber, eventId, globalIndex, eventType, error without values,"
                    + " first/last failure, attempts; the oldest 100, `quarantinedTwins` counts all) and skips their"
                    + " events from that one on, while every other twin goes on; the twin reads at its last good"
                    + " version. `stalled` names a batch a processor that"
                    + " cannot skip events (audit-chain, twin-kafka, the configuration applier, sagas) keeps retrying"
                    + " with back-off. Both also show in /actuator/health (DEGRADED) and the gauge"
                    + " twin.projection.faults.",
            responses = @ApiResponse(responseCode = "200", description = "every streaming projection",
                    content = @Content(mediaType = JSON, schema = @Schema(implementation = ProjectionsView.class))))
    @GetMapping("/admin/projections")
    Map<String, Object> projections() {
        long head = positions.head();
        List<Map<String, Object>> list = processing.eventProcessors().values().stream()
                .filter(p -> p instanceof StreamingEventProcessor)
                .map(p -> describe((StreamingEventProcessor) p, head))
                .toList();
        return Map.of("head", head, "projections", list);
    }

    @Operation(summary = "Rebuild a projection from the event store; writes go on meanwhile (202, progress at"
            + " GET /admin/projections)", description = "The projection's faults are forgotten first; an event it"
            + " still fails is quarantined again during the replay, which goes on to the end.",
            responses = {
                    @ApiResponse(responseCode = "202", description = "the replay started: the projection as GET"
                            + " /admin/projections shows it", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = ProjectionView.class))),
                    @ApiResponse(responseCode = "404", description = "no projection of that name"
                            + " (projectionNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "not replayable here: audit-chain, twin-kafka,"
                            + " or not a streaming projection (notReplayable); replaying already"
                            + " (replayInProgress)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/admin/projections/{name}/replay")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Map<String, Object> replay(@PathVariable String name) {
        EventProcessor processor = processing.eventProcessor(name).orElseThrow(() -> new TwinException(
                TwinError.of(ErrorKind.NOT_FOUND, "projectionNotFound", "there is no projection named " + name
                        + "; GET /admin/projections lists them")));
        // Whether a processor may be reset is its module's declaration (@DisallowReplay: the audit chain, the
        // configuration applier; sagas never); the Kafka publisher replays from a chosen point through its own endpoint.
        if (!(processor instanceof StreamingEventProcessor streaming) || !streaming.supportsReset()
                || name.equals(KafkaPublisher.PROCESSOR)) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "notReplayable", name
                    + " cannot be replayed here: it is not a streaming projection, or its module forbids a replay (the"
                    + " append-only audit-chain, the configuration applier, sagas), or (twin-kafka) it replays through"
                    + " POST /admin/kafka/replay?from="));
        }
        if (streaming.isReplaying()) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "replayInProgress", name + " is replaying already"));
        }
        try {
            streaming.shutdownAsync().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not stop " + name + " for its replay", e);
        }
        // From the start of the store, whatever a processor's initial token is (the merged one's carries over).
        streaming.resetTokens(StreamableMessageSource::createTailToken);
        faults.clear(name);
        replays.put(name, new Replay(Instant.now(), positions.head(), null));
        streaming.start();
        log.info("replay of {} started: rebuilding from the first of {} events", name, positions.head());
        return describe(streaming, positions.head());
    }

    @Operation(summary = "Project a quarantined twin again, once the cause of its fault is removed",
            description = "Stops the projection briefly (its other twins wait a moment), projects the twin's events"
                    + " from the one that failed to the latest, and starts it again. 200 with `cleared: true` lifts"
                    + " the quarantine; 409 `faultPersists` names the event and error met again (the twin stays"
                    + " quarantined). 404 when the projection has no fault for this twin.",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the quarantine is lifted", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Cleared.class))),
                    @ApiResponse(responseCode = "404", description = "no projection of that name"
                            + " (projectionNotFound), or no fault for this twin (faultNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the projection failed the twin again"
                            + " (faultPersists); it stays quarantined",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/admin/projections/{name}/faults/{twinId}/retry")
    Map<String, Object> retry(@PathVariable String name, @PathVariable String twinId) {
        processing.eventProcessor(name).orElseThrow(() -> new TwinException(
                TwinError.of(ErrorKind.NOT_FOUND, "projectionNotFound", "there is no projection named " + name
                        + "; GET /admin/projections lists them")));
        if (faults.find(name, twinId).isEmpty()) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "faultNotFound", name
                    + " has no fault for twin " + twinId + "; GET /admin/projections lists the faults"));
        }
        ProjectionIsolation.Retry retry = isolation.retry(name, twinId);
        if (!retry.cleared()) {
            ProjectionFaults.Fault fault = retry.fault();
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "faultPersists", name + " failed twin " + twinId
                    + " again at event " + fault.eventId() + " (" + fault.eventType() + ", sequence number "
                    + fault.sequenceNumber() + "): " + fault.error() + "; the twin stays quarantined"));
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("processor", name);
        view.put("twinId", twinId);
        view.put("cleared", true);
        return view;
    }

    private Map<String, Object> describe(StreamingEventProcessor processor, long head) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", processor.getName());
        view.put("running", processor.isRunning());
        long position = ProcessorPositions.position(processor);
        Replay replay = replays.get(processor.getName());
        // Right after the reset the processor has not claimed its segments yet: it is replaying all the same.
        boolean replaying = processor.isReplaying() || replay != null && replay.finished() == null
                && position < replay.head();
        if (replay != null && !replaying && replay.finished() == null) {
            replay = new Replay(replay.started(), replay.head(), Instant.now());
            replays.put(processor.getName(), replay);
        }
        view.put("replaying", replaying);
        view.put("position", position);
        if (replay != null) {
            Instant until = replay.finished() != null ? replay.finished() : Instant.now();
            double seconds = Math.max(0.001, Duration.between(replay.started(), until).toMillis() / 1000.0);
            double rate = Math.max(0, position) / seconds;
            view.put("done", Math.max(0, position));
            view.put("total", replay.head());
            view.put("eventsPerSecond", Math.round(rate));
            view.put("etaSeconds", replaying && rate > 0 ? Math.round((replay.head() - position) / rate) : 0);
            if (!replaying) {
                view.put("finishedAfterSeconds", Math.round(seconds));
            }
        }
        List<ProjectionFaults.Fault> open = faults.faults(processor.getName());
        view.put("quarantinedTwins", open.size());
        view.put("faults", open.stream().limit(LISTED_FAULTS).map(ProjectionFaults.Fault::view).toList());
        faults.stall(processor).ifPresent(stall -> view.put("stalled", stall.view()));
        return view;
    }

    private void logProgress() {
        try {
            replays.forEach((name, replay) -> processing.eventProcessor(name, StreamingEventProcessor.class)
                    .filter(StreamingEventProcessor::isReplaying)
                    .ifPresent(p -> {
                        Map<String, Object> view = describe(p, positions.head());
                        log.info("replay of {}: {}/{} events, {}/s, ETA {} s", name, view.get("done"),
                                view.get("total"), view.get("eventsPerSecond"), view.get("etaSeconds"));
                    }));
        } catch (RuntimeException e) {
            log.debug("replay progress not available", e);
        }
    }

    @Override
    public void destroy() {
        progressLog.cancel(true);
    }
}
