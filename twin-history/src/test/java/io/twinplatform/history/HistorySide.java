package io.twinplatform.history;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.testsupport.database.TestDatabase;
import io.twinplatform.testsupport.projection.ProcessorBatch;
import org.axonframework.eventhandling.AnnotationEventHandlerAdapter;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.spring.jdbc.SpringDataSourceConnectionProvider;
import org.axonframework.spring.messaging.unitofwork.SpringTransactionManager;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The history side's storage on a {@link TestDatabase}: events appended by Axon's JDBC event store to the platform's
 * {@code domain_event_entry} (Jackson, as deploy configures it), the {@code twin-history} projection fed the stored
 * events as its tracking processor is (one unit of work and one transaction per batch), the retention, and the
 * point-in-time reads. Retention runs on the system clock, as in the platform: tests place events relative to now.
 */
final class HistorySide implements AutoCloseable {

    final TestDatabase database;
    final HistoryRetention retention;
    final PastTwins pastTwins;
    private final EmbeddedEventStore events;
    private final AnnotationEventHandlerAdapter projection;
    private final List<EventMessage<?>> stored = new ArrayList<>();

    private HistorySide(TestDatabase database, Duration retentionPeriod) {
        this.database = database;
        Serializer jackson = JacksonSerializer.builder().objectMapper(TwinJson.newMapper()).build();
        this.events = EmbeddedEventStore.builder().storageEngine(JdbcEventStorageEngine.builder()
                .connectionProvider(new SpringDataSourceConnectionProvider(database.dataSource()))
                .transactionManager(new SpringTransactionManager(database.transactions()))
                .eventSerializer(jackson)
                .snapshotSerializer(jackson)
                .schema(snakeCase())
                .build()).build();
        HistorySettings settings = new HistorySettings(true, retentionPeriod, 7, 20_000, "native",
                Duration.ofDays(7), 2, 2, 200);
        TimeSeriesTable table = TimeSeriesTable.of(HistoryTable.spec(settings), false, database.jdbc(),
                database.transaction(), Clock.systemUTC());
        this.retention = new HistoryRetention(database.jdbc(), settings, table, database.transaction(), null);
        retention.maintain();
        HistoryStore store = new HistoryStore(database.jdbc(), TwinJson.newMapper());
        EventFold fold = new EventFold(events);
        this.projection = new AnnotationEventHandlerAdapter(
                new HistoryProjection(store, retention, fold, settings, new SimpleMeterRegistry(), event -> { }));
        this.pastTwins = new PastTwins(database.jdbc(), store, retention, fold);
    }

    /** A fresh database with the platform's and the history side's tables, keeping history for {@code retention}. */
    static HistorySide start(Duration retention) {
        return new HistorySide(TestDatabase.fresh(TestDatabase.PLATFORM, TestDatabase.HISTORY), retention);
    }

    /** Another history side on the same database (a restart with other settings); it shares the database. */
    HistorySide restart(Duration retention) {
        return new HistorySide(database, retention);
    }

    /** Appends {@code event} to the event store as the write side would, at {@code at}, by {@code principal}. */
    DomainEventMessage<?> store(TwinEvent event, Instant at, String principal) {
        DomainEventMessage<?> message = new GenericDomainEventMessage<>("Twin", event.twinId(), event.version() - 1,
                event, MetaData.from(Map.of("principal", principal)), UUID.randomUUID().toString(), at);
        events.publish(message);
        stored.add(message);
        return message;
    }

    /** Hands every stored event the projection has not been given yet to it, as one batch. */
    void project() {
        project(List.copyOf(stored));
        stored.clear();
    }

    /** Hands {@code messages} to the projection as one batch of its processor. */
    void project(List<EventMessage<?>> messages) {
        ProcessorBatch.project(database.transaction(), projection, messages);
    }

    /** Empties the history as a replay starts. */
    void reset() {
        database.transaction().executeWithoutResult(status -> projection.prepareReset());
    }

    /** The columns of Axon's tables in snake_case, as migration V1 makes them and deploy's storage names them. */
    private static EventSchema snakeCase() {
        return EventSchema.builder()
                .eventTable("domain_event_entry")
                .snapshotTable("snapshot_event_entry")
                .globalIndexColumn("global_index")
                .eventIdentifierColumn("event_identifier")
                .metaDataColumn("meta_data")
                .payloadColumn("payload")
                .payloadRevisionColumn("payload_revision")
                .payloadTypeColumn("payload_type")
                .timestampColumn("time_stamp")
                .aggregateIdentifierColumn("aggregate_identifier")
                .sequenceNumberColumn("sequence_number")
                .typeColumn("type")
                .build();
    }

    /** Stops the event store; the database stays open for a restart. */
    void stop() {
        events.shutDown();
    }

    @Override
    public void close() {
        events.shutDown();
        database.close();
    }
}
