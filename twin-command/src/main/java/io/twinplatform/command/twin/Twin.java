package io.twinplatform.command.twin;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.ConfigurationCandidate;
import io.twinplatform.api.configuration.ConfiguredKeys;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.model.JsonValues;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.query.QueryEvaluator;
import io.twinplatform.api.device.DeviceStateMachines;
import io.twinplatform.api.twin.ApplyConfigurations;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.ReportConnection;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.ClearAlert;
import io.twinplatform.api.twin.CompleteDirectMethod;
import io.twinplatform.api.twin.RaiseAlert;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.DirectMethodCompleted;
import io.twinplatform.api.twin.DirectMethodInvoked;
import io.twinplatform.api.twin.InvokeDirectMethod;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.SetTwinStatus;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatusChanged;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.annotation.MetaDataValue;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

import io.twinplatform.command.configuration.TargetConditions;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Objects;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/**
 * One twin, of a device or of a module. Command handlers validate and decide; event-sourcing handlers only fold
 * the event into {@link TwinState}. A refusal throws {@link TwinException} before anything is applied, so nothing
 * is written. A deleted twin keeps its events and its version count: a later {@link PutTwin} creates it again at
 * the next version, so an etag of the old twin can never match the new one.
 */
@Aggregate(repository = "twinRepository")
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public class Twin {

    /**
     * Command metadata: {@code true} when the caller wants no twin document in the answer ({@code Prefer:
     * return=minimal}). The document is still rendered when the command may change desired properties, as
     * {@code DesiredNotifier} tells the device its desired section from it.
     */
    public static final String MINIMAL_ANSWER = "minimalAnswer";

    /**
     * Command metadata: {@code true} when a device protocol wants the twin's shadow as it was before the command
     * ({@link TwinWriteResult#previousShadow()}, for AWS's {@code update/documents}); the twin document after it is
     * then rendered too. Only set for twins such a device listens to, as it costs a copy of both sections.
     */
    public static final String PREVIOUS_SHADOW = "previousShadow";

    /** How many of the latest idempotency keys a twin remembers; an older key is forgotten. */
    static final int IDEMPOTENCY_KEYS_KEPT = 256;

    private static final String TAGS = "$.tags";
    private static final String DESIRED = "$.properties.desired";
    private static final String REPORTED = "$.properties.reported";

    @AggregateIdentifier
    private String twinId;
    private TwinState state;
    private LinkedHashSet<String> idempotencyKeys = new LinkedHashSet<>();
    private ConfiguredKeys configured = new ConfiguredKeys();

    protected Twin() {
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(PutTwin command, TwinValidator validator, TwinRegistry registry,
                                  @MetaDataValue(PREVIOUS_SHADOW) Boolean previous) {
        TwinId id = TwinId.parse(command.twinId());
        ObjectNode before = before(previous);
        validator.checkContent(command.tags(), TAGS);
        validator.checkContent(command.desired(), DESIRED);
        ObjectNode tags = JsonMergePatch.withoutNulls(command.tags());
        ObjectNode desired = JsonMergePatch.withoutNulls(command.desired());
        validator.checkSize(tags, validator.limits().maxTagsBytes(), TAGS);
        validator.checkSize(desired, validator.limits().maxDesiredBytes(), DESIRED);

        if (!exists()) {
            if (command.expectedVersion() != null) {
                throw preconditionFailed("twin " + id + " does not exist, so it cannot match If-Match");
            }
            if (id.isModule() && !registry.deviceExists(id.deviceId())) {
                throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "deviceNotFound",
                        "device twin " + id.deviceId() + " does not exist; create it before its modules"));
            }
            long version = state == null ? 1 : state.version() + 1;
            apply(new TwinCreated(id.value(), id.deviceId(), id.moduleId(), tags, desired, 1, 1, version));
            return result(true, true, true, desired, null);
        }
        if (command.createOnly()) {
            throw preconditionFailed("twin " + id + " already exists (If-None-Match: *)");
        }
        checkVersion(command.expectedVersion());
        boolean tagsChange = !JsonValues.same(state.tags(), tags);
        ObjectNode desiredPatch = state.desired().effectiveReplacement(desired);
        boolean desiredChange = !desiredPatch.isEmpty();
        if (!tagsChange && !desiredChange) {
            return result(false, false);
        }
        apply(new TwinReplaced(twinId, tagsChange ? tags : null, desiredChange ? desired : null,
                state.desired().version() + (desiredChange ? 1 : 0), state.version() + 1));
        return result(false, true, true, desiredPatch, before);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(PatchTwin command, TwinValidator validator,
                                  @MetaDataValue(MINIMAL_ANSWER) Boolean minimal,
                                  @MetaDataValue(PREVIOUS_SHADOW) Boolean previous) {
        boolean document = !Boolean.TRUE.equals(minimal) || command.desired() != null;
        requireLive(command.twinId());
        ObjectNode before = before(previous);
        checkVersion(command.expectedVersion());
        validator.checkContent(command.tags(), TAGS);
        validator.checkContent(command.desired(), DESIRED);
        ObjectNode tags = empty();
        ObjectNode desired = empty();
        if (command.tags() != null) {
            tags = state.effectiveTagsPatch(command.tags());
            validator.checkSize(JsonMergePatch.applyToObject(state.tags(), tags),
                    validator.limits().maxTagsBytes(), TAGS);
        }
        if (command.desired() != null) {
            desired = state.desired().effectivePatch(command.desired());
            validator.checkSize(state.desired().preview(desired), validator.limits().maxDesiredBytes(), DESIRED);
        }
        if (tags.isEmpty() && desired.isEmpty()) {
            return result(false, false, document);
        }
        apply(new TwinPatched(twinId, tags.isEmpty() ? null : tags, desired.isEmpty() ? null : desired,
                state.desired().version() + (desired.isEmpty() ? 0 : 1), state.version() + 1));
        return result(false, true, document, desired, before);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(PatchReportedProperties command, TwinValidator validator,
                                  DeviceStateMachines machines, @MetaDataValue(MINIMAL_ANSWER) Boolean minimal,
                                  @MetaDataValue(PREVIOUS_SHADOW) Boolean previous) {
        requireLive(command.twinId());
        boolean document = !Boolean.TRUE.equals(minimal);
        ObjectNode before = before(previous);
        if (command.idempotencyKey() != null && idempotencyKeys.contains(command.idempotencyKey())) {
            return result(false, false, document);
        }
        Long expected = command.expectedReportedVersion();
        if (expected != null && expected != state.reported().version()) {
            throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "reportedVersionMismatch",
                    "the patch is based on reported $version " + expected + "; the reported properties are at $version "
                            + state.reported().version() + ": read the twin and patch again"));
        }
        if (command.patch() == null) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "notAnObject", REPORTED,
                    "a reported patch must be a JSON object"));
        }
        validator.checkContent(command.patch(), REPORTED);
        ObjectNode patch = state.reported().effectivePatch(command.patch());
        validator.checkSize(state.reported().preview(patch), validator.limits().maxReportedBytes(), REPORTED);
        if (patch.isEmpty()) {
            return result(false, false, document);
        }
        String stateBefore = state.reportedState();
        apply(new ReportedPropertiesPatched(twinId, patch, state.reported().version() + 1, state.version() + 1,
                command.idempotencyKey()));
        checkStateTransition(stateBefore, patch, machines);
        return result(false, true, document, null, before);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(ReportConnection command) {
        requireLive(command.twinId());
        String connection = command.connectionState();
        if (!TwinConnectionChanged.CONNECTED.equals(connection) && !TwinConnectionChanged.DISCONNECTED.equals(connection)) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidConnectionState", "$.state",
                    "state must be \"Connected\" or \"Disconnected\""));
        }
        if (connection.equals(state.connectionState())) {
            return result(false, false);
        }
        apply(new TwinConnectionChanged(twinId, connection, state.version() + 1));
        return result(false, true);
    }

    /** Records a direct method call before it goes to the device; the twin must exist. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(InvokeDirectMethod command) {
        requireLive(command.twinId());
        apply(new DirectMethodInvoked(twinId, command.requestId(), command.methodName(), command.payload(),
                command.responseTimeoutSeconds(), state.version() + 1));
        return result(false, true, false);
    }

    /**
     * Records how a direct method call ended. A twin deleted while its call ran keeps no outcome: the call is refused
     * as for any write to a deleted twin.
     */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(CompleteDirectMethod command) {
        requireLive(command.twinId());
        apply(new DirectMethodCompleted(twinId, command.requestId(), command.methodName(), command.outcome(),
                command.status(), command.payload(), command.durationMillis(), state.version() + 1));
        return result(false, true, false);
    }

    /** Raises a computed attribute's alert; nothing when it is raised already. The twin must exist. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(RaiseAlert command) {
        requireLive(command.twinId());
        if (state.alertRaised(command.name())) {
            return result(false, false, false);
        }
        apply(new AlertRaised(twinId, command.name(), command.value(), command.threshold(), command.side(),
                command.computedAt(), state.version() + 1));
        return result(false, true, false);
    }

    /** Clears a computed attribute's raised alert; nothing when none is raised. The twin must exist. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(ClearAlert command) {
        requireLive(command.twinId());
        if (!state.alertRaised(command.name())) {
            return result(false, false, false);
        }
        apply(new AlertCleared(twinId, command.name(), command.value(), command.threshold(), command.computedAt(),
                state.version() + 1));
        return result(false, true, false);
    }

    /**
     * Flags a reported {@code state} that the device type's machine does not allow after the previous one. The
     * report itself is already applied: the twin shows what the device says.
     */
    private void checkStateTransition(String before, ObjectNode patch, DeviceStateMachines machines) {
        JsonNode reportedState = patch.get(TwinState.STATE);
        if (reportedState == null || reportedState.isNull()) {
            return;
        }
        String to = reportedState.isTextual() ? reportedState.asText() : reportedState.toString();
        JsonNode type = state.tags().get("deviceType");
        String deviceType = type != null && type.isTextual() ? type.asText() : null;
        if (!machines.forType(deviceType).allows(before, to)) {
            apply(new InvalidStateTransitionReported(twinId,
                    deviceType == null ? DeviceStateMachines.DEFAULT_TYPE : deviceType, before, to,
                    state.version() + 1));
        }
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(SetTwinStatus command) {
        requireLive(command.twinId());
        checkVersion(command.expectedVersion());
        if (command.status() == null) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidStatus", "$.status",
                    "status must be \"enabled\" or \"disabled\""));
        }
        if (command.status() == state.status() && Objects.equals(command.reason(), state.statusReason())) {
            return result(false, false);
        }
        apply(new TwinStatusChanged(twinId, command.status(), command.reason(), state.version() + 1));
        return result(false, true);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(DeleteTwin command, TwinRegistry registry) {
        requireLive(command.twinId());
        checkVersion(command.expectedVersion());
        TwinId id = TwinId.parse(twinId);
        if (!id.isModule() && registry.lockDeviceAndCheckModules(id.deviceId())) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "deviceHasModules",
                    "device " + id.deviceId() + " still has module twins; delete them first"));
        }
        apply(new TwinDeleted(twinId, state.version() + 1));
        return new TwinWriteResult(null, state.version(), false, true);
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(UpdateShadow command, TwinValidator validator, DeviceStateMachines machines,
                                  @MetaDataValue(PREVIOUS_SHADOW) Boolean previous) {
        requireLive(command.twinId());
        ObjectNode before = before(previous);
        if (command.expectedVersion() != null && command.expectedVersion() != state.version()) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "versionConflict", "Version conflict"));
        }
        ObjectNode desired = shadowPatch(command.desired(), state.desired().values(), "$.state.desired", validator);
        ObjectNode reported = shadowPatch(command.reported(), state.reported().values(), "$.state.reported", validator);
        desired = state.desired().effectivePatch(desired);
        reported = state.reported().effectivePatch(reported);
        validator.checkSize(state.desired().preview(desired), validator.limits().maxDesiredBytes(), "$.state.desired");
        validator.checkSize(state.reported().preview(reported), validator.limits().maxReportedBytes(),
                "$.state.reported");
        if (!desired.isEmpty()) {
            apply(new TwinPatched(twinId, null, desired, state.desired().version() + 1, state.version() + 1));
        }
        if (!reported.isEmpty()) {
            String stateBefore = state.reportedState();
            apply(new ReportedPropertiesPatched(twinId, reported, state.reported().version() + 1,
                    state.version() + 1, null));
            checkStateTransition(stateBefore, reported, machines);
        }
        return result(false, !desired.isEmpty() || !reported.isEmpty(), true, desired, before);
    }

    /**
     * Layers the configurations that target this twin now: each candidate's condition is evaluated on the twin's own
     * state, its admission (for a staged configuration) on the twin's id. Nothing is recorded when neither the
     * statuses nor any desired key change.
     */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public TwinWriteResult handle(ApplyConfigurations command, TargetConditions conditions, TwinValidator validator,
                                  MetaData metaData) {
        requireLive(command.twinId());
        ObjectNode before = before(metaData.get(PREVIOUS_SHADOW) instanceof Boolean wanted ? wanted : null);
        ObjectNode document = state.view();
        List<ConfiguredKeys.Targeting> targeting = new ArrayList<>();
        for (ConfigurationCandidate candidate : command.candidates()) {
            Admission admission = candidate.admission();
            if (admission != null && !admission.admits(twinId)) {
                continue;
            }
            // The applier offers each twin only the content for its kind, so the condition's WHERE decides.
            if (Boolean.TRUE.equals(QueryEvaluator.evaluate(conditions.parse(candidate.targetCondition()).where(),
                    document))) {
                targeting.add(new ConfiguredKeys.Targeting(candidate,
                        admission == null ? null : admission.phaseOf(twinId)));
            }
        }
        ConfiguredKeys.Decision decision = configured.decide(targeting, state.desired().values(),
                command.revertRolloutId());
        if (decision.changesNothing(configured.statuses())) {
            return result(false, false);
        }
        ObjectNode desired = decision.desiredPatch();
        if (!desired.isEmpty()) {
            validator.checkSize(state.desired().preview(desired), validator.limits().maxDesiredBytes(), DESIRED);
        }
        apply(new TwinConfigurationsApplied(twinId, decision.statuses(), decision.configured(), decision.released(),
                desired.isEmpty() ? null : desired, state.desired().version() + (desired.isEmpty() ? 0 : 1),
                state.version() + 1), MetaData.with(AuditMetadata.PRINCIPAL,
                principal(metaData.get(AuditMetadata.PRINCIPAL), decision)));
        return result(false, true, true, desired, before);
    }

    /**
     * Who made the change: the configuration the command names, if it is one the change concerns; else the first
     * configuration that took or released a key or whose status changed (a twin's own change, such as new tags, can
     * concern several at once).
     */
    private String principal(Object requested, ConfiguredKeys.Decision decision) {
        Set<String> involved = new LinkedHashSet<>();
        decision.configured().forEach(k -> involved.add(k.configurationId()));
        decision.released().forEach(k -> involved.add(k.configurationId()));
        Map<String, TwinConfigurationStatus> before = configured.statuses();
        decision.statuses().forEach((id, status) -> {
            if (!status.equals(before.get(id))) {
                involved.add(id);
            }
        });
        before.keySet().stream().filter(id -> !decision.statuses().containsKey(id)).forEach(involved::add);
        String prefix = "configuration:";
        if (requested instanceof String name && name.startsWith(prefix)
                && involved.contains(name.substring(prefix.length()))) {
            return name;
        }
        return involved.isEmpty() ? String.valueOf(requested) : prefix + involved.iterator().next();
    }

    @EventSourcingHandler
    void on(TwinCreated event, @Timestamp Instant at) {
        twinId = event.twinId();
        state = TwinState.created(event, at);
    }

    @EventSourcingHandler
    void on(TwinReplaced event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(TwinPatched event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(ReportedPropertiesPatched event, @Timestamp Instant at) {
        state.apply(event, at);
        if (event.idempotencyKey() != null) {
            idempotencyKeys.add(event.idempotencyKey());
            if (idempotencyKeys.size() > IDEMPOTENCY_KEYS_KEPT) {
                Iterator<String> oldest = idempotencyKeys.iterator();
                oldest.next();
                oldest.remove();
            }
        }
    }

    @EventSourcingHandler
    void on(DirectMethodInvoked event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(DirectMethodCompleted event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(AlertRaised event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(AlertCleared event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(TwinStatusChanged event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(TwinConnectionChanged event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(InvalidStateTransitionReported event, @Timestamp Instant at) {
        state.apply(event, at);
    }

    @EventSourcingHandler
    void on(TwinConfigurationsApplied event, @Timestamp Instant at) {
        state.apply(event, at);
        configured.apply(event);
    }

    @EventSourcingHandler
    void on(TwinDeleted event, @Timestamp Instant at) {
        state.apply(event, at);
        idempotencyKeys.clear();
        configured = new ConfiguredKeys();
    }

    private boolean exists() {
        return state != null && !state.deleted();
    }

    /**
     * Refuses a command on a twin that was never created or is deleted. The handlers that call this are
     * {@code CREATE_IF_MISSING}, so a never-created twin reaches here as a fresh instance (and is not stored, as
     * nothing is applied) instead of failing in the repository with Axon's {@code AggregateNotFoundException}, which
     * no channel maps to a refusal.
     */
    private void requireLive(String commandTwinId) {
        if (!exists()) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                    "twin " + commandTwinId + " does not exist"));
        }
    }

    private void checkVersion(Long expected) {
        if (expected != null && expected != state.version()) {
            throw preconditionFailed("If-Match " + TwinState.etag(expected) + " does not match the twin's etag "
                    + state.etag());
        }
    }

    private TwinWriteResult result(boolean created, boolean changed) {
        return result(created, changed, true);
    }

    /** The answer, with the twin document only if {@code document}: rendering it copies the whole twin. */
    private TwinWriteResult result(boolean created, boolean changed, boolean document) {
        return result(created, changed, document, null);
    }

    /** The answer, with the merge patch the command made to the desired properties (none when empty). */
    private TwinWriteResult result(boolean created, boolean changed, boolean document, ObjectNode desiredPatch) {
        return result(created, changed, document, desiredPatch, null);
    }

    /**
     * The answer, with the shadow before the command when it was asked for ({@link #before}); the twin after it is
     * then rendered whatever the caller preferred, as the two go out together.
     */
    private TwinWriteResult result(boolean created, boolean changed, boolean document, ObjectNode desiredPatch,
                                   ObjectNode before) {
        return new TwinWriteResult(document || before != null ? state.render() : null, state.version(), created,
                changed, desiredPatch == null || desiredPatch.isEmpty() ? null : desiredPatch, before);
    }

    /** The shadow as it is before the command decides, when {@code wanted} ({@link #PREVIOUS_SHADOW}); else null. */
    private ObjectNode before(Boolean wanted) {
        return Boolean.TRUE.equals(wanted) && exists() ? ShadowDocument.snapshot(state) : null;
    }

    private static TwinException preconditionFailed(String detail) {
        return new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "etagMismatch", detail));
    }

    private static ObjectNode empty() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** AWS shadow rules: absent leaves alone, JSON null clears the section, an object merge-patches it. */
    private static ObjectNode shadowPatch(JsonNode requested, ObjectNode current, String path,
                                          TwinValidator validator) {
        if (requested == null) {
            return empty();
        }
        if (requested.isNull()) {
            ObjectNode clear = empty();
            current.fieldNames().forEachRemaining(clear::putNull);
            return clear;
        }
        validator.checkContent(requested, path);
        return (ObjectNode) requested;
    }
}
