package io.twinplatform.query.views;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.query.ReadSide;
import io.twinplatform.query.TwinQuerySettings;
import io.twinplatform.query.fleet.FleetQueryService;
import io.twinplatform.testsupport.database.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Fleet views count live twins per value of a field as the projection folds creates, changes and deletes, agree with
 * the same count made by a fleet query scan, are recounted at start-up when their definition changed, and come out
 * the same after a replay; a view that cannot work stops the start.
 */
class FleetViewsTest {

    private final ReadSide readSide = ReadSide.start();
    private final FleetViews views = readSide.bean(FleetViews.class);

    @AfterEach
    void close() {
        readSide.close();
    }

    @Test
    void countsFollowCreatesChangesAndDeletes() {
        readSide.create("first", "{'tags':{'deviceType':'a'}}");
        readSide.create("second", "{'tags':{'deviceType':'a'}}");
        readSide.create("third", "{'tags':{'deviceType':'a'}}");
        // A module twin is not a device: the default views count devices only.
        readSide.create("first/m", "{'tags':{'deviceType':'a'}}");
        assertThat(groups("deviceType")).isEqualTo(Map.of("\"a\"", 3L));
        assertThat(groups("status")).isEqualTo(Map.of("\"enabled\"", 3L));

        readSide.patchTags("second", "{'deviceType':'b'}");
        assertThat(groups("deviceType")).isEqualTo(Map.of("\"a\"", 2L, "\"b\"", 1L));

        readSide.setStatus("third", TwinStatus.DISABLED);
        assertThat(groups("status")).isEqualTo(Map.of("\"enabled\"", 2L, "\"disabled\"", 1L));

        readSide.delete("third");
        assertThat(groups("deviceType")).isEqualTo(Map.of("\"a\"", 1L, "\"b\"", 1L));
        assertThat(groups("status")).isEqualTo(Map.of("\"enabled\"", 2L));
        assertThat(views.counts("status").orElseThrow().total()).isEqualTo(2);

        readSide.create("third", "{'tags':{'deviceType':'c'}}");
        assertThat(groups("deviceType")).isEqualTo(Map.of("\"a\"", 1L, "\"b\"", 1L, "\"c\"", 1L));
    }

    @Test
    void reportedFirmwareAndSyncStateMove() {
        readSide.create("device", "{'properties':{'desired':{'fan':2}}}");
        assertThat(groups("inSync")).isEqualTo(Map.of("false", 1L));
        assertThat(groups("firmware")).isEqualTo(Map.of("undefined", 1L));

        readSide.report("device", "{'fan':2,'firmware':{'version':'1.2.3'}}");
        assertThat(groups("inSync")).isEqualTo(Map.of("true", 1L));
        assertThat(groups("firmware")).isEqualTo(Map.of("\"1.2.3\"", 1L));
    }

    @Test
    void severalChangesOfOneTwinInOneBatchCountOnce() {
        readSide.create("device", "{'tags':{'deviceType':'a'}}");
        readSide.project(
                new TwinPatched("device", tags("{'deviceType':'b'}"), null, 1, 2),
                new TwinPatched("device", tags("{'deviceType':'c'}"), null, 1, 3),
                new TwinCreated("other", "other", null, tags("{'deviceType':'c'}"),
                        tags("{}"), 1, 1, 1));
        assertThat(groups("deviceType")).isEqualTo(Map.of("\"c\"", 2L));
    }

    @Test
    void viewsAgreeWithAScanOfTheFleet() {
        readSide.create("plain", "{'tags':{'deviceType':'sensor'}}");
        readSide.create("same", "{'tags':{'deviceType':'sensor'}}");
        readSide.create("nested", "{'tags':{'deviceType':{'nested':true}}}");
        readSide.create("number", "{'tags':{'deviceType':5}}");
        readSide.create("none", "{'tags':{}}");
        readSide.create("synced", "{'properties':{'desired':{'fan':1}}}");
        readSide.report("synced", "{'fan':1,'firmware':{'version':'2.0'}}");
        readSide.setStatus("none", TwinStatus.DISABLED);
        FleetQueryService fleet = readSide.bean(FleetQueryService.class);
        for (String[] view : new String[][]{{"deviceType", "tags.deviceType"}, {"status", "status"},
                {"inSync", "inSync"}, {"firmware", "properties.reported.firmware.version"}}) {
            Map<String, Long> scanned = new HashMap<>();
            fleet.run("SELECT " + view[1] + " AS v, COUNT() AS n FROM devices GROUP BY " + view[1], 1000, null, null)
                    .items().forEach(group -> scanned.put(group.has("v") ? group.get("v").toString() : "undefined",
                            group.get("n").asLong()));
            assertThat(groups(view[0])).as("view %s", view[0]).isEqualTo(scanned);
            assertThat(views.counts(view[0]).orElseThrow().total()).isEqualTo(6);
        }
    }

    @Test
    void aViewOfAComputedAttributesAlertCountsTheTwinsWithItRaised() {
        try (ReadSide side = ReadSide.start(TestDatabase.fresh(TestDatabase.QUERY),
                settings(new TwinQuerySettings.View("hot", "alerts.hot.side", null)))) {
            side.create("a", "{}");
            side.create("b", "{}");
            assertThat(groups(side, "hot")).isEqualTo(Map.of("undefined", 2L));
            side.project(new AlertRaised("a", "hot", 55.0, 50.0, "above", "2026-12-07T10:00:00Z", 2));
            assertThat(groups(side, "hot")).isEqualTo(Map.of("\"above\"", 1L, "undefined", 1L));
            side.project(new AlertCleared("a", "hot", 35.0, 40.0, "2026-12-07T10:05:00Z", 3));
            assertThat(groups(side, "hot")).isEqualTo(Map.of("undefined", 2L));
        }
    }

    @Test
    void aChangedDefinitionIsRecountedAtStartUpAndAnUnlistedOneDropped() {
        TestDatabase database = TestDatabase.fresh(TestDatabase.QUERY);
        ReadSide first = ReadSide.start(database, settings(new TwinQuerySettings.View("sites", "tags.site", null),
                new TwinQuerySettings.View("zones", "tags.zone", null)));
        first.create("a", "{'tags':{'site':'north','zone':'1'}}");
        first.create("b", "{'tags':{'site':'north','zone':'2'}}");
        first.create("c", "{'tags':{'site':'south','zone':'2'}}");
        assertThat(groups(first, "sites")).isEqualTo(Map.of("\"north\"", 2L, "\"south\"", 1L));
        first.stop();

        try (ReadSide second = ReadSide.start(database,
                settings(new TwinQuerySettings.View("sites", "tags.zone", null)))) {
            assertThat(groups(second, "sites")).isEqualTo(Map.of("\"1\"", 1L, "\"2\"", 2L));
            assertThat(database.jdbc().queryForObject(
                    "SELECT count(*) FROM fleet_view_count WHERE view_name = 'zones'", Long.class)).isZero();
            second.delete("b");
            assertThat(groups(second, "sites")).isEqualTo(Map.of("\"1\"", 1L, "\"2\"", 1L));
        }
    }

    @Test
    void aReplayRebuildsTheSameDocumentsAndCounts() {
        readSide.create("a", "{'tags':{'deviceType':'x'},'properties':{'desired':{'fan':1}}}");
        readSide.create("b", "{'tags':{'deviceType':'y'}}");
        readSide.create("a/m", "{'tags':{'deviceType':'x'}}");
        readSide.report("a", "{'fan':1,'firmware':{'version':'1.0'}}");
        readSide.patchTags("b", "{'deviceType':'x'}");
        readSide.create("c", "{}");
        readSide.delete("c");
        readSide.setStatus("b", TwinStatus.DISABLED);
        List<Map<String, Object>> documents = rows();
        Map<String, Map<String, Long>> counts = new HashMap<>();
        views.definitions().forEach(d -> counts.put(d.name(), groups(d.name())));

        readSide.replay(3);

        assertThat(rows()).isEqualTo(documents);
        views.definitions().forEach(d -> assertThat(groups(d.name())).as(d.name()).isEqualTo(counts.get(d.name())));
    }

    @Test
    void aViewThatCannotWorkStopsTheStart() {
        TestDatabase database = readSide.database();
        assertThat(startFailure(database, new TwinQuerySettings.View("v", "nope.x", null)))
                .contains("view v groups by 'nope.x'");
        assertThat(startFailure(database, new TwinQuerySettings.View("v", "status", "cars")))
                .contains("devices or devices.modules");
        assertThat(startFailure(database, new TwinQuerySettings.View("v", "status", null),
                new TwinQuerySettings.View("v", "inSync", null))).contains("two views are named v");
        assertThat(startFailure(database, new TwinQuerySettings.View("a b", "status", null)))
                .contains("a view's name is");
        assertThat(startFailure(database, new TwinQuerySettings.View("v", "computed.score", null)))
                .contains("groups by a computed attribute");
    }

    private static String startFailure(TestDatabase database, TwinQuerySettings.View... views) {
        Throwable failure = catchThrowable(() -> ReadSide.start(database, settings(views)).stop());
        assertThat(failure).as("start with %s", List.of(views)).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private List<Map<String, Object>> rows() {
        return readSide.database().jdbc().queryForList(
                "SELECT twin_id, version, deleted, document::text AS document FROM twin_document ORDER BY twin_id");
    }

    private static TwinQuerySettings settings(TwinQuerySettings.View... views) {
        return ReadSide.settings(Duration.ofSeconds(5), List.of(views), null);
    }

    private static ObjectNode tags(String json) {
        return (ObjectNode) ReadSide.json(json);
    }

    private Map<String, Long> groups(String view) {
        return groups(readSide, view);
    }

    /** A view's counts by the group's JSON, or {@code undefined}. */
    private static Map<String, Long> groups(ReadSide side, String view) {
        Map<String, Long> groups = new HashMap<>();
        side.bean(FleetViews.class).counts(view).orElseThrow().groups().forEach(group -> groups.put(
                group.key().defined() ? group.key().value().toString() : "undefined", group.count()));
        return groups;
    }
}
