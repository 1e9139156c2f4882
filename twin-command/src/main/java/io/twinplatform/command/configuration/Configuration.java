package io.twinplatform.command.configuration;

import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.AdmitConfiguration;
import io.twinplatform.api.configuration.ConfigurationAdmitted;
import io.twinplatform.api.configuration.ConfigurationCreated;
import io.twinplatform.api.configuration.ConfigurationDeleted;
import io.twinplatform.api.configuration.ConfigurationEvent;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.configuration.ConfigurationUpdated;
import io.twinplatform.api.configuration.ConfigurationWriteResult;
import io.twinplatform.api.configuration.DeleteConfiguration;
import io.twinplatform.api.configuration.PutConfiguration;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.command.dispatch.ScopeGuard;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.annotation.MetaDataValue;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/**
 * One configuration (Azure's automatic device management). It decides what may change: content is fixed once the
 * configuration exists ({@code 422 contentImmutable}); target condition, priority, metrics and labels may change; a
 * write that changes nothing records nothing. A deleted configuration keeps its events and its version count, so an
 * etag of the old one never matches a new one of the same id. Applying content to twins is not its business: a
 * process reacting to its events does that.
 */
@Aggregate
public class Configuration {

    @AggregateIdentifier
    private String aggregateId;
    private String configurationId;
    private ConfigurationSpec spec;
    private boolean deleted;
    private long version;
    private Admission admission;
    private boolean released;

    protected Configuration() {
    }

    /** Creates or changes the configuration; answers its version after the command. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public ConfigurationWriteResult handle(PutConfiguration command,
                                           @MetaDataValue(ScopeGuard.SCOPE) String scope) {
        ConfigurationSpec next = command.spec();
        if (exists()) {
            // A scoped caller may change only a configuration whose target (now) lies inside its scope.
            ScopeGuard.requireCovers(scope, spec.targetCondition(), null);
        }
        if (!exists()) {
            if (command.expectedVersion() != null) {
                throw notFound(command.configurationId());
            }
            apply(new ConfigurationCreated(command.configurationId(), next.targetCondition(), next.priority(),
                    next.deviceContent(), next.moduleContent(), next.metrics(), next.labels(), next.staged(),
                    version + 1));
            return new ConfigurationWriteResult(version, true);
        }
        if (command.createOnly()) {
            throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "configurationExists",
                    "configuration " + configurationId + " exists (If-None-Match: *)"));
        }
        checkVersion(command.expectedVersion());
        if (!spec.sameContent(next)) {
            throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "contentImmutable",
                    spec.staged() != next.staged() ? "$.staged" : "$.content",
                    "a configuration's content cannot change once it exists; create a new configuration (and a"
                            + " rollout) instead"));
        }
        if (spec.targetCondition().equals(next.targetCondition()) && spec.priority() == next.priority()
                && spec.metrics().equals(next.metrics()) && spec.labels().equals(next.labels())) {
            return new ConfigurationWriteResult(version, false);
        }
        apply(new ConfigurationUpdated(configurationId, next.targetCondition(), next.priority(), next.metrics(),
                next.labels(), version + 1));
        return new ConfigurationWriteResult(version, false);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public long handle(DeleteConfiguration command, @MetaDataValue(ScopeGuard.SCOPE) String scope) {
        if (!exists()) {
            throw notFound(command.configurationId());
        }
        ScopeGuard.requireCovers(scope, spec.targetCondition(), null);
        checkVersion(command.expectedVersion());
        apply(new ConfigurationDeleted(configurationId, version + 1));
        return version;
    }

    /**
     * A rollout takes, advances or gives back this staged configuration. Only one rollout has it at a time: another
     * may take it once the first was rolled back. An aborted rollout keeps it (its twins keep what they got).
     */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public String handle(AdmitConfiguration command, @MetaDataValue(ScopeGuard.SCOPE) String scope) {
        if (!exists()) {
            throw notFound(command.configurationId());
        }
        ScopeGuard.requireCovers(scope, spec.targetCondition(), "$.configurationId");
        if (!spec.staged()) {
            throw new TwinException(TwinError.at(ErrorKind.CONFLICT, "configurationNotStaged", "$.configurationId",
                    "configuration " + configurationId + " is not staged: it applies to its targets by itself. Create"
                            + " it with \"staged\": true to roll it out in phases"));
        }
        String metric = null;
        if (command.requiredMetric() != null) {
            metric = spec.metrics().get(command.requiredMetric());
            if (metric == null) {
                throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "unknownMetric", "$.success.metric",
                        "configuration " + configurationId + " has no metric " + command.requiredMetric() + "; it has "
                                + spec.metrics().keySet()));
            }
        }
        Admission next = command.admission();
        if (admission != null && admission.rolloutId() != null && !admission.rolloutId().equals(next.rolloutId())
                && !released) {
            throw new TwinException(TwinError.at(ErrorKind.CONFLICT, "configurationInRollout", "$.configurationId",
                    "configuration " + configurationId + " is rolled out by " + admission.rolloutId()));
        }
        if (!next.equals(admission) || command.revert()) {
            apply(new ConfigurationAdmitted(configurationId, next, command.revert(), version + 1));
        }
        return metric;
    }

    @EventSourcingHandler
    void on(ConfigurationAdmitted event) {
        admission = event.admission();
        released = event.revert();
        version = event.version();
    }

    @EventSourcingHandler
    void on(ConfigurationCreated event) {
        aggregateId = ConfigurationEvent.aggregateId(event.configurationId());
        configurationId = event.configurationId();
        spec = new ConfigurationSpec(event.configurationId(), event.targetCondition(), event.priority(),
                event.deviceContent(), event.moduleContent(), event.metrics(), event.labels(), event.staged());
        admission = event.staged() ? Admission.none() : null;
        deleted = false;
        version = event.version();
    }

    @EventSourcingHandler
    void on(ConfigurationUpdated event) {
        spec = new ConfigurationSpec(configurationId, event.targetCondition(), event.priority(),
                spec.deviceContent(), spec.moduleContent(), event.metrics(), event.labels(), spec.staged());
        version = event.version();
    }

    @EventSourcingHandler
    void on(ConfigurationDeleted event) {
        deleted = true;
        version = event.version();
    }

    private boolean exists() {
        return spec != null && !deleted;
    }

    private void checkVersion(Long expected) {
        if (expected != null && expected != version) {
            throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "etagMismatch", "configuration "
                    + configurationId + " is at version " + version + ", not " + expected));
        }
    }

    private static TwinException notFound(String id) {
        return new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "configurationNotFound",
                "there is no configuration " + id));
    }
}
