package io.twinplatform.command.rollout;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import io.twinplatform.api.configuration.AdmitConfiguration;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutStarted;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.deadline.DeadlineManager;
import org.axonframework.deadline.annotation.DeadlineHandler;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.modelling.saga.SagaEventHandler;
import org.axonframework.modelling.saga.SagaLifecycle;
import org.axonframework.modelling.saga.StartSaga;
import org.axonframework.spring.stereotype.Saga;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Drives one rollout. It starts the first phase, admits each phase's twins to the staged configuration, and watches
 * the monitor's observations: the failure criterion tripping fails the rollout (which pauses or rolls back, as the
 * rollout says), the success criterion holding for the soak time starts the next phase (or completes the rollout), and
 * a phase that takes longer than its timeout fails. A rollback takes the configuration from every twin the rollout
 * admitted, giving back the values they had before, and ends once no twin shows it. All decisions go through the
 * {@link Rollout} aggregate, which records them; the saga's own state is plain fields, stored as JSON.
 *
 * <p>Deadlines are kept in memory. Every observation re-arms them from the times the saga stored, so after a restart
 * the monitor's first observation of each running rollout puts them back.
 */
@Saga
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public class RolloutSaga {

    static final String SOAK_ENDED = "rolloutSoakEnded";
    static final String PHASE_TIMED_OUT = "rolloutPhaseTimedOut";
    private static final Logger log = LoggerFactory.getLogger(RolloutSaga.class);

    /** A deadline's payload: the phase it was set for, so a late deadline of an earlier phase does nothing. */
    public record PhaseDeadline(int phase) {
    }

    private String rolloutId;
    private String configurationId;
    private List<Double> percents;
    private double minSuccessPercent;
    private long soakSeconds;
    private double maxFailedPercent;
    private long phaseTimeoutSeconds;
    private String status;
    private int phase = -1;
    private Instant phaseClockFrom;
    private Instant successSince;
    /** How many twins the applier said show the configuration once this phase was admitted; -1 until it says. */
    private long admittedTwins = -1;
    private TreeMap<Integer, PhaseCounts> last = new TreeMap<>();

    private transient CommandGateway commands;
    private transient DeadlineManager deadlines;

    @Autowired
    void setCommands(CommandGateway commands) {
        this.commands = commands;
    }

    @Autowired
    void setDeadlines(DeadlineManager deadlines) {
        this.deadlines = deadlines;
    }

    @StartSaga
    @SagaEventHandler(associationProperty = "rolloutId")
    void on(RolloutStarted event) {
        rolloutId = event.rolloutId();
        configurationId = event.spec().configurationId();
        percents = event.spec().percents();
        minSuccessPercent = event.spec().success().minPercent();
        soakSeconds = event.spec().success().soakSeconds();
        maxFailedPercent = event.spec().failure().maxPercent();
        phaseTimeoutSeconds = event.spec().phaseTimeoutSeconds();
        status = Rollout.RUNNING;
        decide(DecideRollout.Action.START_PHASE, 0, "rollout started");
    }

    @SagaEventHandler(associationProperty = "rolloutId")
    void on(RolloutDecided event, @Timestamp Instant at) {
        status = event.status();
        switch (event.decision()) {
            case RolloutDecided.PHASE_STARTED -> {
                phase = event.phase();
                phaseClockFrom = at;
                successSince = null;
                admittedTwins = -1;
                admit(new Admission(rolloutId, percents, phase), false);
                rearm(at);
            }
            case RolloutDecided.RESUMED -> {
                // The phase's time starts again; a pause is not counted against it.
                phaseClockFrom = at;
                successSince = null;
                rearm(at);
                evaluate(at);
            }
            case RolloutDecided.PAUSED, RolloutDecided.COMPLETED -> {
                successSince = null;
                cancelAll();
            }
            case RolloutDecided.ROLLBACK_STARTED -> {
                cancelAll();
                admit(new Admission(rolloutId, percents, -1), true);
            }
            case RolloutDecided.ABORTED, RolloutDecided.ROLLED_BACK -> {
                cancelAll();
                SagaLifecycle.end();
            }
            default -> log.warn("rollout {}: unknown decision {}", rolloutId, event.decision());
        }
    }

    @SagaEventHandler(associationProperty = "rolloutId")
    void on(RolloutObserved event, @Timestamp Instant at) {
        last = new TreeMap<>(event.phases());
        if (Rollout.ROLLING_BACK.equals(status)) {
            if (PhaseCounts.sum(last.values()).targeted() == 0) {
                decide(DecideRollout.Action.FINISH_ROLLBACK, phase,
                        "no twin shows configuration " + configurationId + " from this rollout any more");
            }
            return;
        }
        if (Rollout.RUNNING.equals(status)) {
            rearm(at);
            evaluate(at);
        }
    }

    @SagaEventHandler(associationProperty = "rolloutId")
    void on(RolloutPhaseAdmitted event, @Timestamp Instant at) {
        if (event.phase() == phase) {
            admittedTwins = event.twins();
            if (Rollout.RUNNING.equals(status)) {
                evaluate(at);
            }
        }
    }

    @DeadlineHandler(deadlineName = SOAK_ENDED)
    void soakEnded(PhaseDeadline deadline) {
        if (Rollout.RUNNING.equals(status) && deadline.phase() == phase && successSince != null) {
            advance();
        }
    }

    @DeadlineHandler(deadlineName = PHASE_TIMED_OUT)
    void phaseTimedOut(PhaseDeadline deadline) {
        if (Rollout.RUNNING.equals(status) && deadline.phase() == phase) {
            decide(DecideRollout.Action.FAIL, phase, "phase " + phase + " did not succeed within "
                    + phaseTimeoutSeconds + " s");
        }
    }

    /** Decides on the twins admitted so far (this phase and the earlier ones). */
    private void evaluate(Instant at) {
        PhaseCounts admitted = PhaseCounts.sum(last.entrySet().stream()
                .filter(e -> e.getKey() >= 0 && e.getKey() <= phase).map(Map.Entry::getValue).toList());
        double failed = admitted.targeted() == 0 ? 0 : admitted.percent(admitted.failed());
        if (failed > maxFailedPercent) {
            decide(DecideRollout.Action.FAIL, phase, String.format("%.2f%% of the rollout's %d twins failed (%d),"
                    + " above the %.2f%% allowed", failed, admitted.targeted(), admitted.failed(), maxFailedPercent));
            return;
        }
        // Success is judged only once the applier has admitted the phase and the counts show its twins: an empty
        // or partial count right after a phase starts must not pass for success.
        boolean counted = admittedTwins >= 0 && admitted.targeted() >= admittedTwins;
        double succeeded = admitted.percent(admitted.succeeded());
        if (counted && succeeded >= minSuccessPercent) {
            if (successSince == null) {
                successSince = at;
                rearm(at);
            }
            if (!at.isBefore(successSince.plusSeconds(soakSeconds))) {
                advance();
            }
        } else if (successSince != null) {
            successSince = null;
            deadlines.cancelAllWithinScope(SOAK_ENDED);
        }
    }

    private void advance() {
        PhaseCounts admitted = PhaseCounts.sum(last.entrySet().stream()
                .filter(e -> e.getKey() >= 0 && e.getKey() <= phase).map(Map.Entry::getValue).toList());
        String reason = String.format("the success metric held at %.2f%% (%d of %d twins, at least %.2f%%) for %d s",
                admitted.percent(admitted.succeeded()), admitted.succeeded(), admitted.targeted(), minSuccessPercent,
                soakSeconds);
        successSince = null;
        cancelAll();
        if (phase >= percents.size() - 1) {
            decide(DecideRollout.Action.COMPLETE, phase, reason);
        } else {
            decide(DecideRollout.Action.START_PHASE, phase + 1, reason);
        }
    }

    /** Puts the timers back from the stored times: the phase timeout, and the soak once success holds. */
    private void rearm(Instant now) {
        cancelAll();
        if (phaseClockFrom != null) {
            deadlines.schedule(phaseClockFrom.plusSeconds(phaseTimeoutSeconds), PHASE_TIMED_OUT,
                    new PhaseDeadline(phase));
        }
        if (successSince != null) {
            Instant end = successSince.plusSeconds(soakSeconds);
            deadlines.schedule(end.isBefore(now) ? now : end, SOAK_ENDED, new PhaseDeadline(phase));
        }
    }

    private void cancelAll() {
        deadlines.cancelAllWithinScope(SOAK_ENDED);
        deadlines.cancelAllWithinScope(PHASE_TIMED_OUT);
    }

    private void admit(Admission admission, boolean revert) {
        send(new AdmitConfiguration(configurationId, admission, revert, null));
    }

    private void decide(DecideRollout.Action action, int toPhase, String reason) {
        send(new DecideRollout(rolloutId, action, toPhase, reason, false));
    }

    private void send(Object command) {
        AuditMetadata audit = new AuditMetadata("rollout:" + rolloutId, Channel.ROLLOUT, "saga", rolloutId, null);
        commands.send(GenericCommandMessage.asCommandMessage(command).andMetaData(audit.toMap()))
                .exceptionally(failure -> {
                    log.warn("rollout {}: {} was refused: {}", rolloutId, command.getClass().getSimpleName(),
                            failure.getMessage());
                    return null;
                });
    }
}
