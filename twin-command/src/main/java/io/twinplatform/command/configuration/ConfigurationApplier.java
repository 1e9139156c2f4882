package io.twinplatform.command.configuration;

import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.ConfigurationAdmitted;
import io.twinplatform.api.configuration.ConfigurationCreated;
import io.twinplatform.api.configuration.ConfigurationDeleted;
import io.twinplatform.api.configuration.ConfigurationUpdated;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.rollout.RecordPhaseAdmitted;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DisallowReplay;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.eventhandling.TrackingToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

/**
 * Keeps every twin's desired properties layered from the configurations that target it. It follows configuration
 * events (created, changed, deleted, admitted by a rollout) and twin events that can change what targets a twin
 * (creation, tag changes, and reported changes while some condition reads reported properties). For each it works
 * out which twins may be affected (from the fleet query side, after waiting until that side shows every twin written
 * before the event) and offers each of them the live configurations; the twin decides on its own state.
 * Configuration events are rare and each may touch the whole fleet; twin events touch one twin. It writes (sends
 * commands), so its processor refuses a reset ({@link DisallowReplay}): a replay would offer old configurations
 * again.
 */
@Component
@ProcessingGroup(ConfigurationApplier.PROCESSOR)
@DisallowReplay
class ConfigurationApplier {

    static final String PROCESSOR = "twin-configurations";
    private static final Logger log = LoggerFactory.getLogger(ConfigurationApplier.class);

    private final LiveConfigurations live;
    private final TwinSelector selector;
    private final ConfigurationDispatcher dispatcher;
    private final CommandGateway commands;

    ConfigurationApplier(LiveConfigurations live, TwinSelector selector, ConfigurationDispatcher dispatcher,
                         CommandGateway commands) {
        this.commands = commands;
        this.live = live;
        this.selector = selector;
        this.dispatcher = dispatcher;
    }

    @EventHandler
    void on(ConfigurationCreated event, @Timestamp Instant at, TrackingToken token, EventMessage<?> message) {
        LiveConfigurations.Live created = new LiveConfigurations.Live(event.configurationId(),
                event.targetCondition(), event.priority(), at.toEpochMilli(), event.deviceContent(),
                event.moduleContent(), event.staged(), event.staged() ? Admission.none() : null);
        live.put(created);
        if (event.staged()) {
            return;
        }
        selector.await(token);
        String reason = "configuration " + event.configurationId() + " created";
        ConfigurationDispatcher.Session offers = offers(event.configurationId(), reason, message, null);
        selector.targeted(created, twinId -> true, offers::offer);
        finish(offers, reason);
    }

    @EventHandler
    void on(ConfigurationUpdated event, TrackingToken token, EventMessage<?> message) {
        LiveConfigurations.Live before = live.find(event.configurationId()).orElse(null);
        if (before == null) {
            return;
        }
        LiveConfigurations.Live after = new LiveConfigurations.Live(before.id(), event.targetCondition(),
                event.priority(), before.createdMs(), before.deviceContent(), before.moduleContent(), before.staged(),
                before.admission());
        live.put(after);
        if (before.targetCondition().equals(after.targetCondition()) && before.priority() == after.priority()) {
            return;
        }
        selector.await(token);
        String reason = "configuration " + after.id() + " changed";
        ConfigurationDispatcher.Session offers = offers(after.id(), reason, message, null);
        selector.assigned(after.id(), offers::offer);
        selector.targeted(after, admitted(after.admission()), offers::offer);
        finish(offers, reason);
    }

    @EventHandler
    void on(ConfigurationDeleted event, TrackingToken token, EventMessage<?> message) {
        live.delete(event.configurationId());
        selector.await(token);
        String reason = "configuration " + event.configurationId() + " deleted";
        ConfigurationDispatcher.Session offers = offers(event.configurationId(), reason, message, null);
        selector.assigned(event.configurationId(), offers::offer);
        finish(offers, reason);
    }

    @EventHandler
    void on(ConfigurationAdmitted event, TrackingToken token, EventMessage<?> message) {
        LiveConfigurations.Live before = live.find(event.configurationId()).orElse(null);
        if (before == null) {
            return;
        }
        Admission admission = event.admission();
        LiveConfigurations.Live after = new LiveConfigurations.Live(before.id(), before.targetCondition(),
                before.priority(), before.createdMs(), before.deviceContent(), before.moduleContent(), true,
                admission);
        live.put(after);
        selector.await(token);
        String what = event.revert() ? "rolled back" : admission.phase() < 0 ? "held" : "admitted to phase "
                + admission.phase();
        String reason = "configuration " + after.id() + " " + what + " by rollout " + admission.rolloutId();
        ConfigurationDispatcher.Session offers = offers(after.id(), reason, message,
                event.revert() ? admission.rolloutId() : null);
        selector.assigned(after.id(), offers::offer);
        Admission previous = before.admission();
        boolean previouslyOurs = previous != null && previous.rolloutId() != null
                && previous.rolloutId().equals(admission.rolloutId());
        int reached = previouslyOurs ? previous.phase() : -1;
        if (admission.phase() > reached) {
            // Only the twins the new phases take in: the earlier phases' twins already have the content.
            selector.targeted(after, twinId -> {
                int phase = admission.phaseOf(twinId);
                return phase > reached && phase <= admission.phase();
            }, offers::offer);
        }
        ConfigurationDispatcher.Outcome outcome = finish(offers, reason);
        if (!event.revert() && admission.phase() >= 0) {
            // Tells the rollout its phase's twins have been offered the configuration, and how many show it.
            Object correlation = message.getMetaData().get(AuditMetadata.CORRELATION_ID);
            AuditMetadata audit = new AuditMetadata("configuration:" + after.id(), Channel.CONFIGURATION, "applier",
                    correlation == null ? message.getIdentifier() : correlation.toString(), null);
            try {
                commands.sendAndWait(GenericCommandMessage.asCommandMessage(new RecordPhaseAdmitted(
                        admission.rolloutId(), admission.phase(), outcome.showing())).andMetaData(audit.toMap()));
            } catch (TwinException e) {
                log.warn("rollout {} did not take the admission of phase {}: {}", admission.rolloutId(),
                        admission.phase(), e.error().detail());
            }
        }
    }

    @EventHandler
    void on(TwinCreated event, EventMessage<?> message) {
        twinChanged(event.twinId(), "twin created", message);
    }

    @EventHandler
    void on(TwinReplaced event, EventMessage<?> message) {
        if (event.tags() != null) {
            twinChanged(event.twinId(), "tags changed", message);
        }
    }

    @EventHandler
    void on(TwinPatched event, EventMessage<?> message) {
        if (event.tags() != null) {
            twinChanged(event.twinId(), "tags changed", message);
        }
    }

    /**
     * A reported change concerns only configurations whose target reads reported properties. The most frequent event
     * of all, so its payload is never deserialized here: the twin is the event's aggregate.
     */
    @EventHandler(payloadType = ReportedPropertiesPatched.class)
    void onReported(DomainEventMessage<?> message) {
        List<LiveConfigurations.Live> all = live.all();
        if (all.isEmpty()) {
            return;
        }
        String twinId = message.getAggregateIdentifier();
        boolean module = TwinId.parse(twinId).isModule();
        if (all.stream().anyMatch(c -> c.reaches(module) && c.targetCondition().contains("properties.reported"))) {
            twinChanged(twinId, "reported properties changed", message);
        }
    }

    private void twinChanged(String twinId, String reason, EventMessage<?> message) {
        boolean module = TwinId.parse(twinId).isModule();
        if (live.all().stream().anyMatch(c -> c.reaches(module))) {
            ConfigurationDispatcher.Session offers = offers(null, reason, message, null);
            offers.offer(twinId);
            finish(offers, reason);
        }
    }

    /**
     * Starts offering twins the live configurations, with the audit metadata of the change: principal
     * {@code configuration:<id>} ({@code configuration:*} when a twin's own change may concern several; the twin
     * then names the one that changed it), the cause's correlation id, and the reason.
     */
    private ConfigurationDispatcher.Session offers(String configurationId, String reason, EventMessage<?> cause,
                                                   String revertRolloutId) {
        Object correlation = cause.getMetaData().get(AuditMetadata.CORRELATION_ID);
        AuditMetadata audit = new AuditMetadata("configuration:" + (configurationId == null ? "*" : configurationId),
                Channel.CONFIGURATION, "applier", correlation == null ? cause.getIdentifier() : correlation.toString(),
                reason);
        return dispatcher.start(audit, revertRolloutId, configurationId);
    }

    private ConfigurationDispatcher.Outcome finish(ConfigurationDispatcher.Session offers, String reason) {
        ConfigurationDispatcher.Outcome outcome = offers.finish();
        if (offers.size() > 1 || outcome.refused() > 0) {
            log.info("{}: offered to {} twins, {} refused", reason, offers.size(), outcome.refused());
        }
        return outcome;
    }

    private static Predicate<String> admitted(Admission admission) {
        return admission == null ? twinId -> true : admission::admits;
    }
}
