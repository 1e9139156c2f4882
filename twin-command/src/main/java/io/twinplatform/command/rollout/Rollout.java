package io.twinplatform.command.rollout;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RecordPhaseAdmitted;
import io.twinplatform.api.rollout.RecordRolloutObservation;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutEvent;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.RolloutStarted;
import io.twinplatform.api.rollout.StartRollout;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/**
 * One rollout's state machine. It records decisions, each with its reason, and refuses those its state does not
 * allow; the saga ({@link RolloutSaga}) decides when to take them, and operators may pause, resume, abort or roll
 * back by hand. Statuses: running, paused, completed, aborted, rollingBack, rolledBack.
 */
@Aggregate
public class Rollout {

    static final String RUNNING = "running";
    static final String PAUSED = "paused";
    static final String COMPLETED = "completed";
    static final String ABORTED = "aborted";
    static final String ROLLING_BACK = "rollingBack";
    static final String ROLLED_BACK = "rolledBack";

    @AggregateIdentifier
    private String aggregateId;
    private String rolloutId;
    private RolloutSpec spec;
    private String status;
    private int phase = -1;
    private long version;
    private Map<Integer, PhaseCounts> observed = new TreeMap<>();

    protected Rollout() {
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public long handle(StartRollout command) {
        if (spec != null) {
            throw new TwinException(TwinError.at(ErrorKind.CONFLICT, "rolloutExists", "$.id",
                    "rollout " + command.rolloutId() + " exists"));
        }
        apply(new RolloutStarted(command.rolloutId(), command.spec(), command.successQuery(), 1));
        return version;
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public long handle(DecideRollout command) {
        requireExists(command.rolloutId());
        switch (command.action()) {
            case START_PHASE -> {
                require(command, RUNNING);
                if (command.phase() != phase + 1 || command.phase() >= spec.phases().size()) {
                    throw invalid(command, "phase " + command.phase() + " cannot start after phase " + phase);
                }
                decide(RolloutDecided.PHASE_STARTED, RUNNING, command.phase(), command);
            }
            case FAIL -> {
                require(command, RUNNING);
                boolean pause = spec.onFailure() == RolloutSpec.OnFailure.PAUSE;
                decide(pause ? RolloutDecided.PAUSED : RolloutDecided.ROLLBACK_STARTED, pause ? PAUSED : ROLLING_BACK,
                        phase, command);
            }
            case PAUSE -> {
                require(command, RUNNING);
                decide(RolloutDecided.PAUSED, PAUSED, phase, command);
            }
            case RESUME -> {
                require(command, PAUSED);
                decide(RolloutDecided.RESUMED, RUNNING, phase, command);
            }
            case ABORT -> {
                require(command, RUNNING, PAUSED);
                decide(RolloutDecided.ABORTED, ABORTED, phase, command);
            }
            case ROLL_BACK -> {
                require(command, RUNNING, PAUSED, COMPLETED);
                decide(RolloutDecided.ROLLBACK_STARTED, ROLLING_BACK, phase, command);
            }
            case COMPLETE -> {
                require(command, RUNNING);
                if (phase != spec.phases().size() - 1) {
                    throw invalid(command, "the rollout is in phase " + phase + " of " + spec.phases().size());
                }
                decide(RolloutDecided.COMPLETED, COMPLETED, phase, command);
            }
            case FINISH_ROLLBACK -> {
                require(command, ROLLING_BACK);
                decide(RolloutDecided.ROLLED_BACK, ROLLED_BACK, phase, command);
            }
            default -> throw new IllegalArgumentException(command.action().name());
        }
        return version;
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public long handle(RecordRolloutObservation command) {
        requireExists(command.rolloutId());
        Map<Integer, PhaseCounts> counts = new TreeMap<>(command.phases());
        if (command.rearm() || !counts.equals(observed)) {
            apply(new RolloutObserved(rolloutId, phase, counts, version + 1));
        }
        return version;
    }

    /** Recorded for the phase the rollout is in; a late report of an earlier phase is dropped. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public long handle(RecordPhaseAdmitted command) {
        requireExists(command.rolloutId());
        if (command.phase() == phase && RUNNING.equals(status)) {
            apply(new RolloutPhaseAdmitted(rolloutId, phase, command.twins(), version + 1));
        }
        return version;
    }

    @EventSourcingHandler
    void on(RolloutPhaseAdmitted event) {
        version = event.version();
    }

    @EventSourcingHandler
    void on(RolloutStarted event) {
        aggregateId = RolloutEvent.aggregateId(event.rolloutId());
        rolloutId = event.rolloutId();
        spec = event.spec();
        status = RUNNING;
        version = event.version();
    }

    @EventSourcingHandler
    void on(RolloutDecided event) {
        status = event.status();
        phase = event.phase();
        version = event.version();
    }

    @EventSourcingHandler
    void on(RolloutObserved event) {
        observed = new TreeMap<>(event.phases());
        version = event.version();
    }

    private void decide(String decision, String next, int nextPhase, DecideRollout command) {
        apply(new RolloutDecided(rolloutId, decision, next, nextPhase, command.reason(), command.byHand(),
                version + 1));
    }

    private void requireExists(String id) {
        if (spec == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "rolloutNotFound", "there is no rollout " + id));
        }
    }

    private void require(DecideRollout command, String... allowed) {
        if (!Set.of(allowed).contains(status)) {
            throw invalid(command, "the rollout is " + status);
        }
    }

    private static TwinException invalid(DecideRollout command, String why) {
        return new TwinException(TwinError.of(ErrorKind.CONFLICT, "invalidRolloutState",
                "cannot " + command.action().name().toLowerCase().replace('_', ' ') + ": " + why));
    }
}
