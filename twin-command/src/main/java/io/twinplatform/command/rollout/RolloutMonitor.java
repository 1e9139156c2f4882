package io.twinplatform.command.rollout;

import io.twinplatform.api.configuration.ConfigurationTwinCounts;
import io.twinplatform.api.configuration.CountConfigurationTwins;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RecordRolloutObservation;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * Watches every running or rolling-back rollout: every {@code twin.rollouts.observe-interval} (500 ms by default) it
 * counts the rollout's twins per phase on the fleet query side (admitted, applied, meeting the success metric,
 * meeting the failure condition) and records the counts on the rollout when they changed, which is what its saga
 * decides on. The first look at each rollout after a start is always recorded, so the saga re-arms its timers.
 */
@Component
class RolloutMonitor {

    private static final Logger log = LoggerFactory.getLogger(RolloutMonitor.class);

    private final RolloutProjection rollouts;
    private final QueryGateway queries;
    private final CommandGateway commands;
    private final Duration interval;
    private final Map<String, Map<Integer, PhaseCounts>> lastSent = new ConcurrentHashMap<>();
    private final TaskScheduler scheduler;
    private ScheduledFuture<?> observations;

    RolloutMonitor(RolloutProjection rollouts, QueryGateway queries, CommandGateway commands,
                   RolloutSettings settings, TaskScheduler scheduler) {
        this.rollouts = rollouts;
        this.queries = queries;
        this.commands = commands;
        this.interval = settings.observeInterval();
        this.scheduler = scheduler;
    }

    /** Looks every interval on the platform's task scheduler, each look after the previous one ended. */
    @PostConstruct
    void start() {
        observations = scheduler.scheduleWithFixedDelay(this::observeAll,
                scheduler.getClock().instant().plus(interval), interval);
    }

    @PreDestroy
    void stop() {
        observations.cancel(true);
    }

    void observeAll() {
        try {
            Set<String> watched = ConcurrentHashMap.newKeySet();
            for (RolloutProjection.Watched rollout : rollouts.watched()) {
                watched.add(rollout.rolloutId());
                observe(rollout);
            }
            lastSent.keySet().retainAll(watched);
        } catch (RuntimeException e) {
            log.warn("rollout monitor: {}", e.toString());
        }
    }

    private void observe(RolloutProjection.Watched rollout) {
        String status = "configurations.[[" + rollout.configurationId() + "]].status";
        Map<String, String> conditions = new LinkedHashMap<>();
        conditions.put("targeted", null);
        conditions.put("applied", status + " IN ['Applied', 'Error']");
        if (rollout.successQuery() != null) {
            conditions.put("succeeded", rollout.successQuery());
        }
        conditions.put("failed", rollout.spec().failure().reportedCondition());
        ConfigurationTwinCounts counts = queries.query(new CountConfigurationTwins(rollout.configurationId(),
                rollout.rolloutId(), conditions), ResponseTypes.instanceOf(ConfigurationTwinCounts.class)).join();
        Map<Integer, PhaseCounts> phases = new TreeMap<>();
        for (int phase = 0; phase < rollout.spec().phases().size(); phase++) {
            phases.put(phase, new PhaseCounts(counts.inPhase("targeted", phase), counts.inPhase("applied", phase),
                    counts.inPhase("succeeded", phase), counts.inPhase("failed", phase)));
        }
        Map<Integer, PhaseCounts> previous = lastSent.get(rollout.rolloutId());
        if (phases.equals(previous)) {
            return;
        }
        AuditMetadata audit = new AuditMetadata("rollout:" + rollout.rolloutId(), Channel.ROLLOUT, "monitor",
                rollout.rolloutId(), null);
        commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                new RecordRolloutObservation(rollout.rolloutId(), phases, previous == null))
                .andMetaData(audit.toMap()));
        lastSent.put(rollout.rolloutId(), phases);
    }
}
