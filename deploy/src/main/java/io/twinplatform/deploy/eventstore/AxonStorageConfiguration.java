package io.twinplatform.deploy.eventstore;

import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.command.dispatch.FailureKinds;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.commandhandling.gateway.IntervalRetryScheduler;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.PersistenceExceptionResolver;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.tokenstore.jdbc.TokenSchema;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jpa.SQLStateResolver;
import org.axonframework.modelling.command.ConcurrencyException;
import org.axonframework.modelling.saga.repository.jdbc.GenericSagaSqlSchema;
import org.axonframework.modelling.saga.repository.jdbc.SagaSchema;
import org.axonframework.modelling.saga.repository.jdbc.SagaSqlSchema;
import org.axonframework.queryhandling.QueryBus;
import org.axonframework.queryhandling.QueryUpdateEmitter;
import org.axonframework.queryhandling.SimpleQueryBus;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * Axon's storage: JDBC tables in snake_case (created by Flyway, V1), and Jackson for events, snapshots, tokens and
 * sagas from the first event on (switching serializers later would strand stored data).
 */
@Configuration(proxyBeanMethods = false)
public class AxonStorageConfiguration {

    @Bean
    @Primary
    Serializer serializer() {
        return jackson();
    }

    @Bean
    @Qualifier("eventSerializer")
    Serializer eventSerializer() {
        return jackson();
    }

    @Bean
    @Qualifier("messageSerializer")
    Serializer messageSerializer() {
        return jackson();
    }

    private static Serializer jackson() {
        return JacksonSerializer.builder().objectMapper(TwinJson.newMapper()).build();
    }

    @Bean
    EventSchema eventSchema() {
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

    /**
     * Axon's JDBC event storage as Spring Boot's auto-configuration builds it, reading each stored time once
     * ({@link TwinEventStorageEngine}).
     */
    @Bean
    EventStorageEngine eventStorageEngine(Serializer defaultSerializer,
                                          PersistenceExceptionResolver persistenceExceptionResolver,
                                          @Qualifier("eventSerializer") Serializer eventSerializer,
                                          org.axonframework.config.Configuration configuration,
                                          ConnectionProvider connectionProvider,
                                          TransactionManager transactionManager, EventSchema eventSchema) {
        return new TwinEventStorageEngine(JdbcEventStorageEngine.builder()
                .snapshotSerializer(defaultSerializer)
                .upcasterChain(configuration.upcasterChain())
                .persistenceExceptionResolver(persistenceExceptionResolver)
                .eventSerializer(eventSerializer)
                .snapshotFilter(configuration.snapshotFilter())
                .connectionProvider(connectionProvider)
                .transactionManager(transactionManager)
                .schema(eventSchema));
    }

    @Bean
    TokenSchema tokenSchema() {
        return TokenSchema.builder()
                .setTokenTable("token_entry")
                .setProcessorNameColumn("processor_name")
                .setSegmentColumn("segment")
                .setTokenColumn("token")
                .setTokenTypeColumn("token_type")
                .setTimestampColumn("timestamp")
                .setOwnerColumn("owner")
                .build();
    }

    @Bean
    SagaSqlSchema sagaSqlSchema() {
        return new GenericSagaSqlSchema(SagaSchema.builder()
                .sagaEntryTable("saga_entry")
                .revisionColumn("revision")
                .serializedSagaColumn("serialized_saga")
                .associationValueEntryTable("association_value_entry")
                .associationKeyColumn("association_key")
                .associationValueColumn("association_value")
                .sagaIdColumn("saga_id")
                .sagaTypeColumn("saga_type")
                .build());
    }

    /**
     * Queries are reads and some wait (read-your-writes): they run without a transaction, so a waiting query holds
     * no database connection. (Axon's default query bus opens one per query and keeps it for the whole wait.)
     */
    @Bean
    SimpleQueryBus queryBus(org.axonframework.config.Configuration axon, QueryUpdateEmitter queryUpdateEmitter) {
        return SimpleQueryBus.builder()
                .messageMonitor(axon.messageMonitor(QueryBus.class, "queryBus"))
                .queryUpdateEmitter(queryUpdateEmitter)
                .transactionManager(NoTransactionManager.INSTANCE)
                .build();
    }

    /**
     * The thread that re-sends retried commands; stopped with the application. Its own, not the task scheduler's: a
     * re-sent command that is not a twin's runs on it, as long as its handler takes.
     */
    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService commandRetryExecutor() {
        ThreadFactory threads = DaemonThreads.named("command-retry-");
        return Executors.newSingleThreadScheduledExecutor(threads);
    }

    /**
     * Tells the event store that an append lost a race on (aggregate id, sequence number) with a writer in another
     * process: PostgreSQL's {@code unique_violation} (SQLState {@value FailureKinds#UNIQUE_VIOLATION}), which the
     * store then throws as a {@link ConcurrencyException} that {@link #commandGateway} retries. Axon's default for JDBC
     * ({@code JdbcSQLErrorCodesResolver}) knows only {@link java.sql.SQLIntegrityConstraintViolationException},
     * which the PostgreSQL driver never throws: a lost race was an {@code EventStoreException}, never retried and
     * answered 500. A duplicate snapshot is ignored by the store once it is recognised so.
     */
    @Bean
    PersistenceExceptionResolver persistenceExceptionResolver() {
        return new SQLStateResolver(FailureKinds.UNIQUE_VIOLATION);
    }

    /**
     * Retries a command that lost a race on (aggregate id, sequence number) with a writer in another process: up to
     * 5 times, 20 ms apart, each time on the twin as the store then holds it (the failed attempt's rollback dropped
     * it from the cache). Every other failure (a refusal above all) is final and reaches the caller at once.
     */
    @Bean
    CommandGateway commandGateway(CommandBus commandBus, ScheduledExecutorService commandRetryExecutor) {
        return DefaultCommandGateway.builder()
                .commandBus(commandBus)
                .retryScheduler(IntervalRetryScheduler.builder()
                        .retryExecutor(commandRetryExecutor)
                        .retryInterval(20)
                        .maxRetryCount(5)
                        .nonTransientFailurePredicate(AxonStorageConfiguration::finalFailure)
                        .build())
                .build();
    }

    /**
     * Whether a command's failure, or one of its causes, is final. Axon's retry scheduler asks this of the failure
     * and of each of its causes in turn and retries only when none is final, so neither the lost race (on a later
     * event, or on the first: two processes creating the same twin) nor the database error it wraps may be.
     */
    public static boolean finalFailure(Throwable failure) {
        return !FailureKinds.lostRace(failure);
    }
}
