package io.twinplatform.deploy.projection;

import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import io.twinplatform.deploy.TestDataDirs;
import io.twinplatform.deploy.TwinPlatformApplication;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the merged processor takes over from separate ones: below the first event a stored token has not handled, by
 * the lower of the two; at the start of the store when either has no place. Read from the platform's own token table.
 */
class MergedProjectionsTokenTest {

    private static Path dataDir;
    private static ConfigurableApplicationContext app;
    private final Serializer serializer = JacksonSerializer.defaultSerializer();

    @BeforeAll
    static void start() {
        dataDir = TestDataDirs.fresh();
        app = new SpringApplicationBuilder(TwinPlatformApplication.class)
                .run("--server.port=0", "--twin.data-dir=" + dataDir);
    }

    @AfterAll
    static void stop() {
        app.close();
        TestDataDirs.delete(dataDir);
    }

    @AfterEach
    void forget() {
        jdbc().update("DELETE FROM token_entry WHERE processor_name IN ('twin-current', 'twin-history')");
    }

    @Test
    void theMergedProcessorTakesOverAtTheLowerPlaceOfTheTwo() {
        EventStore events = app.getBean(EventStore.class);
        Serializer platform = app.getBean(Serializer.class);
        assertThat(MergedProjections.initialToken(events, jdbc(), platform)).as("a new store")
                .isEqualTo(events.createTailToken());

        store("twin-current", 0, GapAwareTrackingToken.newInstance(80, List.of()));
        store("twin-current", 1, GapAwareTrackingToken.newInstance(75, List.of()));
        store("twin-history", 0, GapAwareTrackingToken.newInstance(90, List.of(60L)));
        store("twin-history", 1, GapAwareTrackingToken.newInstance(70, List.of()));
        assertThat(MergedProjections.initialToken(events, jdbc(), platform))
                .isEqualTo(GapAwareTrackingToken.newInstance(59, List.of()));

        // history's tokens deleted (as a migration that rebuilds it does): it must see every event
        jdbc().update("DELETE FROM token_entry WHERE processor_name = 'twin-history'");
        assertThat(MergedProjections.initialToken(events, jdbc(), platform)).isEqualTo(events.createTailToken());

        // a segment that never handled an event
        store("twin-history", 0, null);
        assertThat(MergedProjections.initialToken(events, jdbc(), platform)).isEqualTo(events.createTailToken());
    }

    private void store(String processor, int segment, TrackingToken token) {
        SerializedObject<byte[]> stored = token == null ? null : app.getBean(Serializer.class).serialize(token,
                byte[].class);
        jdbc().update("INSERT INTO token_entry (processor_name, segment, token, token_type, timestamp, owner)"
                        + " VALUES (?, ?, ?, ?, '2026-12-07T00:00:00Z', null)", processor, segment,
                stored == null ? null : stored.getData(), stored == null ? null : stored.getType().getName());
    }

    private static JdbcTemplate jdbc() {
        return app.getBean(JdbcTemplate.class);
    }

    @Test
    void aStoredTokenHasHandledEverythingBelowItsFirstGap() {
        assertThat(lowest(GapAwareTrackingToken.newInstance(41, List.of()))).hasValue(41);
        assertThat(lowest(GapAwareTrackingToken.newInstance(41, List.of(17L, 30L)))).hasValue(16);
        // A replay under way has handled up to its current token, not up to where the reset was asked.
        TrackingToken replaying = ReplayToken.createReplayToken(GapAwareTrackingToken.newInstance(90, List.of()),
                GapAwareTrackingToken.newInstance(12, List.of()));
        assertThat(lowest(replaying)).hasValue(12);
        assertThat(lowest(new GlobalSequenceTrackingToken(7))).hasValue(7);
        assertThat(MergedProjections.lowest(null, null, serializer)).isEmpty();
    }

    private OptionalLong lowest(TrackingToken token) {
        SerializedObject<byte[]> stored = serializer.serialize(token, byte[].class);
        return MergedProjections.lowest(stored.getData(), stored.getType().getName(), serializer);
    }
}
