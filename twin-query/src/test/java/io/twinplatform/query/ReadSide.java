package io.twinplatform.query;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import io.twinplatform.query.twin.TwinProjection;
import io.twinplatform.testsupport.database.TestDatabase;
import io.twinplatform.testsupport.projection.ProcessorBatch;
import org.axonframework.eventhandling.AnnotationEventHandlerAdapter;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.queryhandling.DefaultQueryGateway;
import org.axonframework.queryhandling.QueryGateway;
import org.axonframework.queryhandling.SimpleQueryBus;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.ClassPathBeanDefinitionScanner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.http.converter.json.Jackson2ObjectMapperBuilder;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.PlatformTransactionManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The read side as the platform wires it, minus the web layer and Axon's processors: every component of
 * {@code io.twinplatform.query} over a {@link TestDatabase} with the read side's migrations, and events handed to the
 * {@code twin-current} projection the way a tracking processor does (one unit of work and one transaction per batch,
 * through Axon's annotated-handler adapter). Fleet view recounts and expression indexes happen at {@link #start}, as
 * at the platform's start-up.
 * <p>
 * The write helpers ({@link #create}, {@link #patchTags}, …) make the events the write side would, with the versions
 * it would give them, from this harness's own fold of each twin; an event the write side would refuse (a patch of a
 * twin that does not exist) is the caller's mistake.
 */
public final class ReadSide implements AutoCloseable {

    /** Reads the single-quoted JSON the tests write, so that literals stay legible in Java strings. */
    private static final ObjectMapper LENIENT = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_SINGLE_QUOTES);

    private final AnnotationConfigApplicationContext context;
    private final TestDatabase database;
    private final AnnotationEventHandlerAdapter projection;
    private final Map<String, TwinState> twins = new HashMap<>();
    /** Every event projected so far, in order: what a replay reads again. */
    private final List<EventMessage<?>> projected = new ArrayList<>();
    private Instant clock = Instant.parse("2026-11-23T10:00:00Z");

    private ReadSide(AnnotationConfigApplicationContext context, TestDatabase database) {
        this.context = context;
        this.database = database;
        this.projection = new AnnotationEventHandlerAdapter(context.getBean(TwinProjection.class));
    }

    /** Settings as the defaults have them, with a given statement timeout and views ({@code null}: the defaults). */
    public static TwinQuerySettings settings(Duration statementTimeout, List<TwinQuerySettings.View> views,
                                             List<String> indexedFields) {
        return new TwinQuerySettings(true, Duration.ofMinutes(1), 20_000, statementTimeout, Duration.ofSeconds(60),
                views, indexedFields, new TwinQuerySettings.Projection(2, 2, 100));
    }

    /** A fresh database and the read side with its default settings on it. */
    public static ReadSide start() {
        return start(TestDatabase.fresh(TestDatabase.QUERY), settings(Duration.ofSeconds(5), null, null));
    }

    /**
     * The read side on {@code database} (which must hold the read side's tables) with {@code settings}. Closing it
     * closes the database too; to start another read side on the same database, {@link #stop} this one.
     */
    public static ReadSide start(TestDatabase database, TwinQuerySettings settings) {
        AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
        context.registerBean(JdbcTemplate.class, database::jdbc);
        context.registerBean(PlatformTransactionManager.class, database::transactions);
        context.registerBean(ObjectMapper.class, () -> Jackson2ObjectMapperBuilder.json().build());
        context.registerBean(TwinQuerySettings.class, () -> settings);
        context.registerBean(MeterRegistry.class, SimpleMeterRegistry::new);
        // No handler of the history side's queries: a fleet query with asOf is refused, as when history is off.
        context.registerBean(QueryGateway.class,
                () -> DefaultQueryGateway.builder().queryBus(SimpleQueryBus.builder().build()).build());
        ClassPathBeanDefinitionScanner scanner = new ClassPathBeanDefinitionScanner(context);
        scanner.addExcludeFilter(new AnnotationTypeFilter(Controller.class));
        scanner.addExcludeFilter(new AnnotationTypeFilter(Configuration.class));
        // Reads the processors' positions from Axon's configuration, which this harness does not run.
        scanner.addExcludeFilter((reader, factory) ->
                reader.getClassMetadata().getClassName().equals("io.twinplatform.query.twin.FleetPosition"));
        scanner.scan("io.twinplatform.query");
        context.refresh();
        return new ReadSide(context, database);
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public TestDatabase database() {
        return database;
    }

    /** Creates a device twin ({@code device}) or a module twin ({@code device/module}) from a PUT-like body. */
    public void create(String twinId, String body) {
        JsonNode json = json(body);
        TwinId id = TwinId.parse(twinId);
        TwinState before = twins.get(twinId);
        long version = (before == null ? stored(twinId) : before.version()) + 1;
        ObjectNode tags = json.has("tags") ? (ObjectNode) json.get("tags") : LENIENT.createObjectNode();
        ObjectNode desired = json.path("properties").has("desired")
                ? (ObjectNode) json.path("properties").get("desired") : LENIENT.createObjectNode();
        project(new TwinCreated(twinId, id.deviceId(), id.moduleId(), tags, desired, 1, 1, version));
    }

    public void patchTags(String twinId, String patch) {
        TwinState state = state(twinId);
        project(new TwinPatched(twinId, (ObjectNode) json(patch), null, state.desired().version(),
                state.version() + 1));
    }

    public void patchDesired(String twinId, String patch) {
        TwinState state = state(twinId);
        project(new TwinPatched(twinId, null, (ObjectNode) json(patch), state.desired().version() + 1,
                state.version() + 1));
    }

    public void report(String twinId, String patch) {
        TwinState state = state(twinId);
        project(new ReportedPropertiesPatched(twinId, (ObjectNode) json(patch), state.reported().version() + 1,
                state.version() + 1, null));
    }

    public void setStatus(String twinId, TwinStatus status) {
        project(new TwinStatusChanged(twinId, status, null, state(twinId).version() + 1));
    }

    public void delete(String twinId) {
        project(new TwinDeleted(twinId, state(twinId).version() + 1));
    }

    /** The twin as this harness folded it, or as stored when an earlier read side on the database wrote it. */
    private TwinState state(String twinId) {
        return twins.computeIfAbsent(twinId, id -> TwinState.fromDocument((ObjectNode) document(id)));
    }

    /** Projects {@code events} as one batch, each a millisecond after the previous. */
    public void project(TwinEvent... events) {
        List<EventMessage<?>> messages = new ArrayList<>();
        for (TwinEvent event : events) {
            clock = clock.plusMillis(1);
            if (event instanceof TwinCreated created) {
                twins.put(event.twinId(), TwinState.created(created, clock));
            } else {
                state(event.twinId()).apply(event, clock);
            }
            messages.add(new GenericDomainEventMessage<>("Twin", event.twinId(), event.version() - 1, event,
                    MetaData.emptyInstance(), UUID.randomUUID().toString(), clock));
        }
        handle(messages);
        projected.addAll(messages);
    }

    /** Resets the projection and projects every event again in batches of {@code batchSize}, as a replay does. */
    public void replay(int batchSize) {
        database.transaction().executeWithoutResult(status -> projection.prepareReset());
        for (int from = 0; from < projected.size(); from += batchSize) {
            handle(projected.subList(from, Math.min(projected.size(), from + batchSize)));
        }
    }

    private void handle(List<EventMessage<?>> messages) {
        ProcessorBatch.project(database.transaction(), projection, messages);
    }

    /** The version of the twin's row, a tombstone's too; 0 without a row. */
    private long stored(String twinId) {
        List<Long> versions = database.jdbc().queryForList("SELECT version FROM twin_document WHERE twin_id = ?",
                Long.class, twinId);
        return versions.isEmpty() ? 0 : versions.get(0);
    }

    /** The stored document of a twin, {@code null} if there is no live one. */
    public JsonNode document(String twinId) {
        List<String> documents = database.jdbc().queryForList(
                "SELECT document::text FROM twin_document WHERE twin_id = ? AND NOT deleted", String.class, twinId);
        return documents.isEmpty() ? null : json(documents.get(0));
    }

    /** Stops the read side and leaves the database open. */
    public void stop() {
        context.close();
    }

    @Override
    public void close() {
        context.close();
        database.close();
    }

    public static JsonNode json(String text) {
        try {
            return LENIENT.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
