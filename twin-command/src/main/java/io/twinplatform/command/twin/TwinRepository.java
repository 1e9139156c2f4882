package io.twinplatform.command.twin;

import org.axonframework.common.caching.Cache;
import org.axonframework.config.Configuration;
import org.axonframework.eventsourcing.CachingEventSourcingRepository;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.EventSourcingRepository;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.modelling.command.RepositorySpanFactory;

/**
 * Twins as the write side loads them: Axon's caching event-sourcing repository, built as Axon builds it for
 * {@code @Aggregate}, except that a twin found in the cache is used only while it is the stored one.
 * <p>
 * Another process on the same event store (a second platform instance) appends events that this process's cache
 * never sees. A command decided on the cached twin would answer from an old state: a change that puts back a value
 * the old state holds looks like no change and is acknowledged without an event (lost), and an If-Match with the
 * etag the other instance answered is refused. So every load from the cache also reads the twin's last sequence
 * number in the store (one query on the unique index, in the command's transaction) and, when the store is ahead,
 * drops the cached twin and loads it from the store. A change decided on a twin that another process changes after
 * that read still fails on (aggregate id, sequence number), is rolled back, and is retried.
 */
public final class TwinRepository extends CachingEventSourcingRepository<Twin> {

    private final EventStore eventStore;
    private final Cache cache;

    private TwinRepository(EventSourcingRepository.Builder<Twin> builder, EventStore eventStore, Cache cache) {
        super(builder);
        this.eventStore = eventStore;
        this.cache = cache;
    }

    /**
     * The repository of {@link Twin}, with what Axon's configuration gives an aggregate (its handlers' parameter
     * resolvers and definitions, its factory, the span factory) and the given store, cache and snapshot trigger.
     */
    public static TwinRepository create(Configuration axon, EventStore eventStore, Cache cache,
                                        SnapshotTriggerDefinition snapshotTrigger) {
        EventSourcingRepository.Builder<Twin> builder = EventSourcingRepository.builder(Twin.class)
                .parameterResolverFactory(axon.parameterResolverFactory())
                .handlerDefinition(axon.handlerDefinition(Twin.class))
                .aggregateFactory(axon.aggregateConfiguration(Twin.class).aggregateFactory())
                .repositoryProvider(axon::repository)
                .spanFactory(axon.getComponent(RepositorySpanFactory.class))
                .eventStore(eventStore)
                .snapshotTriggerDefinition(snapshotTrigger)
                .cache(cache);
        return new TwinRepository(builder, eventStore, cache);
    }

    @Override
    protected EventSourcedAggregate<Twin> doLoadWithLock(String twinId, Long expectedVersion) {
        boolean cached = cache.containsKey(twinId);
        EventSourcedAggregate<Twin> twin = super.doLoadWithLock(twinId, expectedVersion);
        if (!cached) {
            return twin;
        }
        long stored = eventStore.lastSequenceNumberFor(twinId).orElse(-1L);
        if (twin.version() != null && twin.version() >= stored) {
            return twin;
        }
        cache.remove(twinId);
        return super.doLoadWithLock(twinId, expectedVersion);
    }
}
