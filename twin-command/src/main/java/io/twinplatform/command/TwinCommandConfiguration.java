package io.twinplatform.command;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.twinplatform.api.device.DeviceStateMachines;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.command.device.DeviceSettings;
import io.twinplatform.command.dispatch.GroupCommitCommandBus;
import io.twinplatform.command.dispatch.RequestContextCarrier;
import io.twinplatform.command.twin.BoundedCache;
import io.twinplatform.command.twin.JdbcTwinRegistry;
import io.twinplatform.command.twin.TwinCommandTargetResolver;
import io.twinplatform.command.twin.TwinRepository;
import org.axonframework.common.caching.Cache;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.Snapshotter;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.Message;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.axonframework.messaging.interceptors.CorrelationDataInterceptor;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.HashMap;
import java.util.Map;

/**
 * The write side. On unless {@code twin.command.enabled=false}, so a deployment can run only the read or history
 * side.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.command.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties({TwinCommandSettings.class, DeviceSettings.class})
@ComponentScan("io.twinplatform.command")
public class TwinCommandConfiguration {

    /**
     * {@value JdbcTwinRegistry#GROUP} subscribes: it runs in the transaction that appends a twin's first event, so
     * two twins can never claim one id, and it is never replayed apart from the events.
     */
    @Autowired
    void configureProcessors(EventProcessingConfigurer processing) {
        processing.registerSubscribingEventProcessor(JdbcTwinRegistry.GROUP);
    }

    /**
     * The command bus: twin commands are grouped into transactions ({@link GroupCommitCommandBus}); everything else
     * is handled as Axon's default bus would. Replaces Axon's bus, so it registers what Axon registers on its own:
     * the correlation data providers, which copy who and why from a command to its events.
     */
    @Bean(destroyMethod = "close")
    GroupCommitCommandBus commandBus(TransactionManager transactionManager,
                                     org.axonframework.config.Configuration axon,
                                     ObjectProvider<RequestContextCarrier> carrier, TwinCommandSettings settings,
                                     ObjectProvider<MeterRegistry> meters, ObjectProvider<TwinRepository> twins,
                                     JdbcTemplate jdbc) {
        TwinCommandSettings.GroupCommit group = settings.groupCommit();
        GroupCommitCommandBus bus = new GroupCommitCommandBus(transactionManager, carrier::getIfAvailable,
                group.workers(), group.maxBatch(), group.queueSize(),
                meters.getIfAvailable(() -> Metrics.globalRegistry));
        bus.registerHandlerInterceptor(new CorrelationDataInterceptor<>(axon.correlationDataProviders()));
        // the cached twins of a batch are checked against the store in one query, not one each
        bus.beforeEachBatch(commands -> twins.getObject().readStoredVersions(commands.stream()
                .map(command -> ((TwinCommands) command.getPayload()).twinId()).toList(), jdbc));
        return bus;
    }

    @Bean
    DeviceStateMachines deviceStateMachines(DeviceSettings settings) {
        return settings.machines();
    }

    @Bean
    TwinValidator twinValidator(TwinCommandSettings settings) {
        return new TwinValidator(settings.limits().toTwinLimits());
    }

    /**
     * Keeps the {@code twin.command.cache-size} most recently used twins in memory, so a command does not re-read
     * the twin's events. Safe with several writers: {@link TwinRepository} uses a cached twin only while no other
     * process has appended to it, and a write that lost the race on (aggregate id, sequence number) rolls back,
     * which evicts the cached twin, and the retry reloads it from the store.
     */
    @Bean
    Cache twinCache(TwinCommandSettings settings, MeterRegistry meters) {
        return new BoundedCache(settings.cacheSize(), meters, "twins");
    }

    /**
     * The repository {@code Twin} names. Lazy: Axon asks for it while its configuration starts, after the
     * configuration it is built from exists.
     */
    @Bean
    @Lazy
    TwinRepository twinRepository(org.axonframework.config.Configuration axon, EventStore eventStore,
                                  Cache twinCache, SnapshotTriggerDefinition twinSnapshotTrigger) {
        return TwinRepository.create(axon, eventStore, twinCache, twinSnapshotTrigger);
    }

    /**
     * Axon's aggregate configuration takes the one bean of this type for every aggregate (its default is the
     * annotation resolver).
     */
    @Bean
    CommandTargetResolver commandTargetResolver() {
        return new TwinCommandTargetResolver();
    }

    @Bean
    SnapshotTriggerDefinition twinSnapshotTrigger(Snapshotter snapshotter, TwinCommandSettings settings) {
        return new EventCountSnapshotTriggerDefinition(snapshotter, settings.snapshotThreshold());
    }

    /**
     * Copies who, through what and why from a command to the events it causes, and names the command as their
     * cause. Replaces Axon's default origin provider (whose "correlationId" is the parent message id).
     */
    @Bean
    CorrelationDataProvider auditCorrelationDataProvider() {
        return TwinCommandConfiguration::auditCorrelation;
    }

    static Map<String, ?> auditCorrelation(Message<?> message) {
        if (message instanceof EventMessage<?>) {
            // An event handled by a processor: every message created while it is handled (each handler's result,
            // too) asks for this, and reading a stored event's metadata deserializes it, in every processor, for
            // every event. What a processor sends on names its own audit (the configuration applier, the rollout
            // saga); it takes only the event as its cause, whose identifier needs no deserialization.
            return Map.of(AuditMetadata.CAUSATION_ID, message.getIdentifier());
        }
        Map<String, Object> data = new HashMap<>();
        for (String key : new String[]{AuditMetadata.PRINCIPAL, AuditMetadata.CHANNEL, AuditMetadata.TRANSPORT,
                AuditMetadata.REASON, AuditMetadata.CORRELATION_ID}) {
            Object value = message.getMetaData().get(key);
            if (value != null) {
                data.put(key, value);
            }
        }
        data.putIfAbsent(AuditMetadata.CORRELATION_ID, message.getIdentifier());
        data.put(AuditMetadata.CAUSATION_ID, message.getIdentifier());
        return data;
    }
}
