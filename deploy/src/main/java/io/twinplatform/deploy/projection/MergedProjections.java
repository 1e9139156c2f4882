package io.twinplatform.deploy.projection;

import io.twinplatform.history.HistoryProjection;
import io.twinplatform.query.TwinQuerySettings;
import io.twinplatform.query.twin.TwinProjection;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.WrappedToken;
import org.axonframework.messaging.StreamableMessageSource;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;
import java.util.OptionalLong;

/**
 * Current state and history as one merged pass over the event stream ({@code twin.projections.merged}, on by default
 * when both sides run): the processing groups {@code twin-current} and {@code twin-history} are assigned to one
 * tracking processor, {@value #PROCESSOR}. Each batch of events is then read from the store and deserialized once for
 * both projections, the two are invoked event by event in one unit of work, and both write their rows and the one
 * token in one transaction. Sequenced per twin, as each was; sized by {@code twin.query.projection.*}.
 * <p>
 * A store that ran the two as separate processors keeps its place: when {@value #PROCESSOR} has no token yet, it starts
 * at the lowest position either of them had reached (their lowest unfilled gap), so no event is skipped; events that
 * one of them had already projected are projected again, which both skip by version. Their own token rows are left as
 * they are: switching back to separate processors resumes each from where it stopped, by the same rule. When either
 * of them has no token (it never ran, or a migration deleted its tokens to have it rebuilt), the merged processor
 * starts at the beginning of the store; a migration that means to rebuild these projections deletes the tokens of all
 * three names.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "twin", name = {"query.enabled", "history.enabled", "projections.merged"},
        havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(ProjectionSettings.class)
class MergedProjections {

    /** The merged processor's name: what {@code /admin/projections}, health and the meters show. */
    static final String PROCESSOR = "twin-state";
    /** The history projection's processing group. */
    static final String HISTORY_GROUP = HistoryProjection.GROUP;
    private static final List<String> SEPARATE = List.of(TwinProjection.GROUP, HISTORY_GROUP);

    private static final Logger log = LoggerFactory.getLogger(MergedProjections.class);

    @Autowired
    void configureProcessors(EventProcessingConfigurer processing, TwinQuerySettings settings,
                             ObjectProvider<JdbcTemplate> jdbc, ObjectProvider<Serializer> serializer) {
        TwinQuerySettings.Projection sizing = settings.projection();
        processing.registerTrackingEventProcessor(PROCESSOR, configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forParallelProcessing(sizing.threads())
                        .andInitialSegmentsCount(sizing.segments())
                        .andBatchSize(sizing.batchSize())
                        .andInitialTrackingToken(source -> initialToken(source, jdbc.getObject(),
                                serializer.getObject())));
        // Each group keeps the per-twin sequencing its module registered for it: Axon asks by processing group.
        for (String group : SEPARATE) {
            processing.assignProcessingGroup(group, PROCESSOR);
        }
    }

    /**
     * Where the merged processor starts when it has no token: the lowest position of the separate processors' tokens,
     * or the start of the store when there are none (a new store, or a replay's reset, which does not ask).
     */
    static TrackingToken initialToken(StreamableMessageSource<?> source, JdbcTemplate jdbc, Serializer serializer) {
        record Stored(String processor, OptionalLong position) {
        }
        List<Stored> tokens = jdbc.query(
                "SELECT processor_name, token, token_type FROM token_entry WHERE processor_name IN (?, ?)",
                (row, i) -> new Stored(row.getString(1), lowest(row.getBytes(2), row.getString(3), serializer)),
                SEPARATE.get(0), SEPARATE.get(1));
        if (tokens.isEmpty()) {
            return source.createTailToken();
        }
        // Both must have a place: one without tokens (history switched on later, or its tokens deleted by a
        // migration to rebuild it), or a segment that never handled an event, has to see every event.
        List<String> unplaced = SEPARATE.stream()
                .filter(name -> tokens.stream().noneMatch(t -> t.processor().equals(name))
                        || tokens.stream().anyMatch(t -> t.processor().equals(name) && t.position().isEmpty()))
                .toList();
        if (!unplaced.isEmpty()) {
            log.info("{} starts at the beginning of the event store: {} had no place to take over", PROCESSOR,
                    unplaced);
            return source.createTailToken();
        }
        long from = tokens.stream().mapToLong(t -> t.position().getAsLong()).min().orElseThrow();
        log.info("{} starts after global index {}, where the separate twin-current and twin-history processors stood",
                PROCESSOR, from);
        return GapAwareTrackingToken.newInstance(from, List.of());
    }

    /**
     * The highest global index up to which a stored token has handled every event: below its first gap. Empty for a
     * token that has handled nothing (none stored, or a replay that has not begun).
     */
    static OptionalLong lowest(byte[] stored, String type, Serializer serializer) {
        if (stored == null || type == null) {
            return OptionalLong.empty();
        }
        TrackingToken token = serializer.deserialize(new SimpleSerializedObject<>(stored, byte[].class, type, null));
        TrackingToken handled = WrappedToken.unwrapLowerBound(token);
        if (handled instanceof GapAwareTrackingToken gapAware) {
            return OptionalLong.of(gapAware.getGaps().isEmpty() ? gapAware.getIndex() : gapAware.getGaps().first() - 1);
        }
        if (handled == null) {
            return OptionalLong.empty();
        }
        return handled.position();
    }
}
