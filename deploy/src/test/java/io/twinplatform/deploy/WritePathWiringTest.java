package io.twinplatform.deploy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.command.twin.Twin;
import io.twinplatform.command.twin.TwinCommandTargetResolver;
import io.twinplatform.command.twin.TwinRepository;
import io.twinplatform.deploy.eventstore.AxonStorageConfiguration;
import io.twinplatform.deploy.eventstore.TwinEventStorageEngine;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.IntervalRetryScheduler;
import org.axonframework.commandhandling.gateway.RetryScheduler;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.common.IdentifierFactory;
import org.axonframework.common.jdbc.PersistenceExceptionResolver;
import org.axonframework.config.Configuration;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.ConcurrencyException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import javax.sql.DataSource;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/** The cheap parts of the write path (#17) are what the running platform uses. */
class WritePathWiringTest extends PlatformTestSupport {

    @Autowired
    Configuration axon;

    @Autowired
    MeterRegistry meters;

    @Autowired
    PersistenceExceptionResolver persistenceExceptions;

    @Autowired
    EventStorageEngine storageEngine;

    @Autowired
    DataSource dataSource;

    @Test
    void aggregatesFindTheirTargetThroughTheTwinResolver() {
        // Axon's aggregate configuration asks the configuration for this component, else uses the annotation one.
        assertThat(axon.getComponent(CommandTargetResolver.class)).isInstanceOf(TwinCommandTargetResolver.class);
    }

    @Test
    void axonTakesMessageIdentifiersFromRandomIds() {
        assertThat(IdentifierFactory.getInstance()).isInstanceOf(RandomIds.class);
    }

    @Test
    void timesTwinReadsButNotTheHotTwinWrites() throws InterruptedException {
        String id = createDevice("{}");
        assertThat(http.patch("/twins/" + id, q("{'tags':{'a':1}}")).status()).isEqualTo(200);
        assertThat(http.patch("/twins/" + id + "/properties/reported", q("{'t':1}")).status()).isEqualTo(200);
        assertThat(http.get("/twins/" + id).status()).isEqualTo(200);

        // The server records a request after its answer is sent: wait for the read's timer.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (timer("GET", "/twins/{deviceId}") == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(timer("GET", "/twins/{deviceId}")).as("GET /twins/{deviceId} is timed").isNotNull();
        assertThat(timer("PUT", "/twins/{deviceId}")).isNull();
        assertThat(timer("PATCH", "/twins/{deviceId}")).isNull();
        assertThat(timer("PATCH", "/twins/{deviceId}/properties/reported")).isNull();
        // Spring Security's own observations (each filter, authentication and authorization) are off.
        assertThat(meters.getMeters()).extracting(meter -> meter.getId().getName())
                .noneMatch(name -> name.startsWith("spring.security."));
    }

    @Test
    void twinsAreLoadedThroughTheRepositoryThatChecksTheCacheAgainstTheStore() {
        assertThat(axon.repository(Twin.class)).isInstanceOf(TwinRepository.class);
    }

    @Test
    void aLostRaceOnTheEventStoreIsRetriedAndARefusalIsNot() {
        // as the PostgreSQL driver reports a duplicate (aggregate id, sequence number) in a batch of INSERTs
        SQLException duplicate = new BatchUpdateException("duplicate key value", "23505", 0, new int[0],
                new SQLException("duplicate key value violates unique constraint", "23505"));
        assertThat(persistenceExceptions.isDuplicateKeyViolation(new RuntimeException(duplicate))).isTrue();
        assertThat(persistenceExceptions.isDuplicateKeyViolation(
                new RuntimeException(new SQLException("null value in column", "23502")))).isFalse();

        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            // the gateway's scheduler, which Axon asks about the failure and each of its causes
            RetryScheduler retries = IntervalRetryScheduler.builder().retryExecutor(executor).retryInterval(20)
                    .maxRetryCount(5).nonTransientFailurePredicate(AxonStorageConfiguration::finalFailure).build();
            CommandMessage<String> command = GenericCommandMessage.asCommandMessage("a command");
            assertThat(retries.scheduleRetry(command, new ConcurrencyException("lost race", duplicate), List.of(),
                    () -> { })).as("a lost race on a later event").isTrue();
            assertThat(retries.scheduleRetry(command, new AggregateStreamCreationException("lost race", duplicate),
                    List.of(), () -> { })).as("a lost race on the first event").isTrue();
            assertThat(retries.scheduleRetry(command, new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED,
                    "etagMismatch", "stale")), List.of(), () -> { })).as("a refusal").isFalse();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void eventsAreReadThroughTheEngineThatReadsEachStoredTimeOnce() throws Exception {
        assertThat(storageEngine).isInstanceOf(TwinEventStorageEngine.class);
        String id = createDevice("{}");
        List<? extends DomainEventMessage<?>> events = storageEngine.readEvents(id).asStream().toList();
        assertThat(events).isNotEmpty();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement read = connection.prepareStatement(
                     "SELECT time_stamp FROM domain_event_entry WHERE aggregate_identifier = ? ORDER BY sequence_number")) {
            read.setString(1, id);
            try (ResultSet stored = read.executeQuery()) {
                for (DomainEventMessage<?> event : events) {
                    assertThat(stored.next()).isTrue();
                    assertThat(event.getTimestamp()).isEqualTo(DateTimeUtils.parseInstant(stored.getString(1)));
                }
            }
        }
        try (Stream<? extends TrackedEventMessage<?>> stream = storageEngine.readEvents(null, false)) {
            TrackedEventMessage<?> tracked = stream.filter(event -> event instanceof DomainEventMessage<?> domain
                    && id.equals(domain.getAggregateIdentifier())).findFirst().orElseThrow();
            assertThat(tracked.getTimestamp()).as("as a processor reads it").isEqualTo(events.get(0).getTimestamp());
        }
    }

    private Timer timer(String method, String uri) {
        return meters.find("http.server.requests").tag("method", method).tag("uri", uri).timer();
    }
}
