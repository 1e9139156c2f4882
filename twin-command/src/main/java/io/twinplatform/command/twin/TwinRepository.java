package io.twinplatform.command.twin;

import org.axonframework.common.caching.Cache;
import org.axonframework.config.Configuration;
import org.axonframework.eventsourcing.CachingEventSourcingRepository;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.EventSourcingRepository;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.modelling.command.RepositorySpanFactory;
import org.postgresql.PGStatement;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.PreparedStatement;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    /** Unit-of-work resource: twin id to its last stored sequence number, read for a whole batch. */
    private static final String STORED_VERSIONS = TwinRepository.class.getName() + ".storedVersions";

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

    /**
     * For a batch of commands about to be decided in the current unit of work (group commit): reads the last stored
     * sequence number of each of the given twins that is cached, in one query, so that loading them checks against
     * it instead of asking the store once per twin. A twin changed by another process after this read still fails on
     * (aggregate id, sequence number), as after the single read.
     */
    public void readStoredVersions(Collection<String> twinIds, JdbcTemplate jdbc) {
        List<String> cached = twinIds.stream().distinct().filter(cache::containsKey).toList();
        if (cached.isEmpty() || !CurrentUnitOfWork.isStarted()) {
            return;
        }
        Map<String, Long> stored = new HashMap<>();
        cached.forEach(twinId -> stored.put(twinId, -1L));
        jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement("SELECT aggregate_identifier, max(sequence_number)"
                    + " FROM domain_event_entry WHERE aggregate_identifier = ANY (?) GROUP BY aggregate_identifier");
            // Planned per call, with the table's size then: a generic plan cached while the table was small keeps a
            // sequential scan (see PlannedPerCall in twin-history).
            if (select.isWrapperFor(PGStatement.class)) {
                select.unwrap(PGStatement.class).setPrepareThreshold(0);
            }
            select.setArray(1, connection.createArrayOf("varchar", cached.toArray()));
            return select;
        }, rs -> {
            stored.put(rs.getString(1), rs.getLong(2));
        });
        CurrentUnitOfWork.get().root().resources().put(STORED_VERSIONS, stored);
    }

    @Override
    protected EventSourcedAggregate<Twin> doLoadWithLock(String twinId, Long expectedVersion) {
        boolean cached = cache.containsKey(twinId);
        EventSourcedAggregate<Twin> twin = super.doLoadWithLock(twinId, expectedVersion);
        if (!cached) {
            return twin;
        }
        Map<String, Long> read = CurrentUnitOfWork.isStarted()
                ? CurrentUnitOfWork.get().root().getResource(STORED_VERSIONS) : null;
        Long known = read == null ? null : read.get(twinId);
        long stored = known != null ? known : eventStore.lastSequenceNumberFor(twinId).orElse(-1L);
        if (twin.version() != null && twin.version() >= stored) {
            return twin;
        }
        cache.remove(twinId);
        return super.doLoadWithLock(twinId, expectedVersion);
    }
}
