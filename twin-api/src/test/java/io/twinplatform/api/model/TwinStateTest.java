package io.twinplatform.api.model;

import static io.twinplatform.api.model.TestJson.MAPPER;
import static io.twinplatform.api.model.TestJson.json;
import static io.twinplatform.api.model.TestJson.normalized;
import static io.twinplatform.api.model.TestJson.object;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class TwinStateTest {


    private static final String DEVICE = "dev-1";
    private static final Instant T1 = Instant.parse("2024-05-01T10:00:00Z");
    private static final Instant T2 = Instant.parse("2024-05-01T11:00:00.250Z");
    private static final Instant T3 = Instant.parse("2024-05-01T12:00:00Z");

    private static final String INITIAL_DESIRED = "{\"t\":20,\"mode\":\"eco\",\"light\":{\"on\":true}}";

    @Nested
    class Creation {

        @Test
        void rendersIdentityStatusAndConnectionOfANewDeviceTwin() {
            TwinState twin = created("{\"site\":\"north\"}", INITIAL_DESIRED);

            ObjectNode doc = twin.render();

            assertThat(doc.get("deviceId").textValue()).isEqualTo(DEVICE);
            assertThat(doc.has("moduleId")).isTrue();
            assertThat(doc.get("moduleId").isNull()).isTrue();
            assertThat(doc.get("etag").textValue()).isEqualTo("\"1\"");
            assertThat(doc.get("version").longValue()).isEqualTo(1);
            assertThat(doc.get("status").textValue()).isEqualTo("enabled");
            assertThat(doc.has("statusReason")).isFalse();
            assertThat(doc.get("statusUpdatedTime").textValue()).isEqualTo("2024-05-01T10:00:00Z");
            assertThat(doc.get("connectionState").textValue()).isEqualTo("Disconnected");
            assertThat(doc.get("lastActivityTime").isNull()).isTrue();
            assertThat(doc.get("tags")).isEqualTo(json("{\"site\":\"north\"}"));
        }

        @Test
        void exposesVersionStatusAndIdsThroughAccessors() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            assertThat(twin.deviceId()).isEqualTo(DEVICE);
            assertThat(twin.moduleId()).isNull();
            assertThat(twin.version()).isEqualTo(1);
            assertThat(twin.etag()).isEqualTo("\"1\"");
            assertThat(twin.status()).isEqualTo(TwinStatus.ENABLED);
            assertThat(twin.deleted()).isFalse();
            assertThat(twin.desired().version()).isEqualTo(1);
            assertThat(twin.reported().version()).isEqualTo(1);
        }

        @Test
        void rendersDesiredValuesWithVersionAndLastUpdatedOnEveryObjectAndLeaf() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            JsonNode desired = twin.render().path("properties").path("desired");

            assertThat(normalized(desired)).isEqualTo(json("""
                    {
                      "t": 20, "mode": "eco", "light": {"on": true},
                      "$metadata": {
                        "$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1,
                        "t":    {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                        "mode": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                        "light": {
                          "$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1,
                          "on": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1}
                        }
                      },
                      "$version": 1
                    }"""));
        }

        @Test
        void rendersEmptyReportedAtVersionOneWithoutLastUpdatedVersion() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            JsonNode reported = twin.render().path("properties").path("reported");

            assertThat(normalized(reported)).isEqualTo(json("""
                    {"$metadata": {"$lastUpdated": "2024-05-01T10:00:00Z"}, "$version": 1}"""));
        }

        @Test
        void rendersEmptySectionsWhenCreatedWithoutTagsOrDesired() {
            TwinState twin = TwinState.created(
                    new TwinCreated(DEVICE, DEVICE, null, null, null, 1, 1, 1), T1);

            ObjectNode doc = twin.render();

            assertThat(doc.get("tags")).isEqualTo(json("{}"));
            assertThat(normalized(doc.path("properties").path("desired"))).isEqualTo(json("""
                    {"$metadata": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                     "$version": 1}"""));
            assertThat(doc.get("delta")).isEqualTo(json("{}"));
        }

        @Test
        void rendersTheModuleIdOfAModuleTwin() {
            TwinState twin = TwinState.created(
                    new TwinCreated(DEVICE + "/mod-1", DEVICE, "mod-1", null, null, 1, 1, 1), T1);

            ObjectNode doc = twin.render();

            assertThat(doc.get("deviceId").textValue()).isEqualTo(DEVICE);
            assertThat(doc.get("moduleId").textValue()).isEqualTo("mod-1");
            assertThat(twin.moduleId()).isEqualTo("mod-1");
        }

        @Test
        void formatsTimestampsToTheMillisecondAsTheEventStoreKeepsThem() {
            TwinState twin = TwinState.created(new TwinCreated(DEVICE, DEVICE, null, null, object("{\"t\":1}"), 1, 1, 1),
                    Instant.parse("2024-05-01T10:00:00.123456789Z"));

            ObjectNode doc = twin.render();

            assertThat(doc.get("statusUpdatedTime").textValue()).isEqualTo("2024-05-01T10:00:00.123Z");
            assertThat(doc.at("/properties/desired/$metadata/t/$lastUpdated").textValue())
                    .isEqualTo("2024-05-01T10:00:00.123Z");
        }

        @Test
        void doesNotShareTreesWithTheEvent() {
            ObjectNode tags = object("{\"site\":\"north\"}");
            ObjectNode desired = object(INITIAL_DESIRED);
            TwinState twin = TwinState.created(new TwinCreated(DEVICE, DEVICE, null, tags, desired, 1, 1, 1), T1);

            tags.put("site", "south");
            ((ObjectNode) desired.get("light")).put("on", false);

            assertThat(twin.tags()).isEqualTo(json("{\"site\":\"north\"}"));
            assertThat(twin.desired().values()).isEqualTo(json(INITIAL_DESIRED));
        }
    }

    @Nested
    class DesiredPatches {

        @Test
        void movesDesiredVersionToTheEventsDesiredVersion() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            twin.apply(new TwinPatched(DEVICE, null, object("{\"t\":30}"), 2, 2), T2);

            ObjectNode doc = twin.render();
            assertThat(doc.at("/properties/desired/$version").longValue()).isEqualTo(2);
            assertThat(doc.at("/properties/desired/t").intValue()).isEqualTo(30);
            assertThat(doc.get("version").longValue()).isEqualTo(2);
            assertThat(doc.get("etag").textValue()).isEqualTo("\"2\"");
        }

        @Test
        void stampsOnlyTheChangedLeavesAndTheRoot() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            patchDesired(twin, "{\"t\":30,\"mode\":\"eco\"}", 2, 2, T2);

            assertThat(normalized(twin.render().at("/properties/desired/$metadata"))).isEqualTo(json("""
                    {
                      "$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2,
                      "t":    {"$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2},
                      "mode": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                      "light": {
                        "$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1,
                        "on": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1}
                      }
                    }"""));
        }

        @Test
        void stampsTheObjectsOnTheWayToAChangedNestedLeaf() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            patchDesired(twin, "{\"light\":{\"level\":5}}", 2, 2, T2);

            assertThat(twin.desired().values()).isEqualTo(json(
                    "{\"t\":20,\"mode\":\"eco\",\"light\":{\"on\":true,\"level\":5}}"));
            assertThat(normalized(twin.desired().metadata().get("light"))).isEqualTo(json("""
                    {
                      "$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2,
                      "on":    {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                      "level": {"$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2}
                    }"""));
            assertThat(twin.desired().metadata().at("/t/$lastUpdated").textValue()).isEqualTo("2024-05-01T10:00:00Z");
        }

        @Test
        void removesAKeyAndItsMetadataWhenPatchedWithNull() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            patchDesired(twin, "{\"mode\":null}", 2, 2, T2);

            ObjectNode desired = (ObjectNode) twin.render().at("/properties/desired");
            assertThat(desired.has("mode")).isFalse();
            assertThat(desired.get("$metadata").has("mode")).isFalse();
            assertThat(desired.get("$metadata").has("t")).isTrue();
        }

        @Test
        void removesANestedKeyAndKeepsItsSiblingsMetadata() {
            TwinState twin = created("{}", "{\"light\":{\"on\":true,\"level\":3}}");

            patchDesired(twin, "{\"light\":{\"level\":null}}", 2, 2, T2);

            assertThat(twin.desired().values()).isEqualTo(json("{\"light\":{\"on\":true}}"));
            assertThat(normalized(twin.desired().metadata().get("light"))).isEqualTo(json("""
                    {
                      "$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2,
                      "on": {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1}
                    }"""));
        }

        @Test
        void replacesNestedMetadataWhenAnObjectBecomesAScalar() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            patchDesired(twin, "{\"light\":\"off\"}", 2, 2, T2);

            assertThat(normalized(twin.desired().metadata().get("light"))).isEqualTo(json(
                    "{\"$lastUpdated\":\"2024-05-01T11:00:00.250Z\",\"$lastUpdatedVersion\":2}"));
        }

        @Test
        void mirrorsTheNewObjectWhenAScalarBecomesAnObject() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            patchDesired(twin, "{\"mode\":{\"name\":\"eco\"}}", 2, 2, T2);

            assertThat(normalized(twin.desired().metadata().get("mode"))).isEqualTo(json("""
                    {
                      "$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2,
                      "name": {"$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2}
                    }"""));
        }

        @Test
        void findsNoEffectivePatchForUnchangedValues() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            ObjectNode effective = twin.desired().effectivePatch(object("{\"t\":20.0,\"light\":{\"on\":true},\"gone\":null}"));

            assertThat(effective.isEmpty()).isTrue();
        }

        @Test
        void previewsAPatchWithoutApplyingIt() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            ObjectNode preview = twin.desired().preview(object("{\"t\":30,\"mode\":null}"));

            assertThat(preview).isEqualTo(json("{\"t\":30,\"light\":{\"on\":true}}"));
            assertThat(twin.desired().values()).isEqualTo(json(INITIAL_DESIRED));
        }

        @Test
        void mergesATagsPatchAndLeavesDesiredAlone() {
            TwinState twin = created("{\"site\":\"north\",\"floor\":2}", INITIAL_DESIRED);
            JsonNode desiredBefore = twin.render().at("/properties/desired");

            twin.apply(new TwinPatched(DEVICE, object("{\"floor\":null,\"room\":\"a\"}"), null, 1, 2), T2);

            ObjectNode doc = twin.render();
            assertThat(doc.get("tags")).isEqualTo(json("{\"site\":\"north\",\"room\":\"a\"}"));
            assertThat(doc.at("/properties/desired")).isEqualTo(desiredBefore);
            assertThat(doc.get("version").longValue()).isEqualTo(2);
        }

        @Test
        void findsTheEffectiveTagsPatch() {
            TwinState twin = created("{\"site\":\"north\",\"floor\":2}", "{}");

            ObjectNode effective = twin.effectiveTagsPatch(object("{\"site\":\"north\",\"floor\":null,\"x\":1}"));

            assertThat(effective).isEqualTo(json("{\"floor\":null,\"x\":1}"));
        }
    }

    @Nested
    class ReportedPatches {

        @Test
        void updatesReportedValuesVersionMetadataAndLastActivity() {
            TwinState twin = created("{}", "{\"t\":30}");

            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":60,\"fw\":{\"v\":\"1.2\"}}"), 2, 2, null), T2);

            ObjectNode doc = twin.render();
            assertThat(normalized(doc.at("/properties/reported"))).isEqualTo(json("""
                    {
                      "t": 60, "fw": {"v": "1.2"},
                      "$metadata": {
                        "$lastUpdated": "2024-05-01T11:00:00.250Z",
                        "t":  {"$lastUpdated": "2024-05-01T11:00:00.250Z"},
                        "fw": {"$lastUpdated": "2024-05-01T11:00:00.250Z",
                               "v": {"$lastUpdated": "2024-05-01T11:00:00.250Z"}}
                      },
                      "$version": 2
                    }"""));
            assertThat(doc.get("lastActivityTime").textValue()).isEqualTo("2024-05-01T11:00:00.250Z");
            assertThat(doc.get("version").longValue()).isEqualTo(2);
        }

        @Test
        void leavesDesiredAloneWhenReportedChanges() {
            TwinState twin = created("{}", "{\"t\":30}");
            JsonNode desiredBefore = twin.render().at("/properties/desired");

            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":60}"), 2, 2, "key-1"), T2);

            assertThat(twin.render().at("/properties/desired")).isEqualTo(desiredBefore);
        }

        @Test
        void rendersTheDeltaOfDesiredOverReported() {
            TwinState twin = created("{}", "{\"t\":30}");

            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":60}"), 2, 2, null), T2);

            assertThat(twin.render().get("delta")).isEqualTo(json("{\"t\":30}"));
        }

        @Test
        void rendersAnEmptyDeltaOnceReportedCatchesUp() {
            TwinState twin = created("{}", "{\"t\":30}");

            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":30.0,\"battery\":80}"), 2, 2, null), T2);

            assertThat(twin.render().get("delta")).isEqualTo(json("{}"));
        }
    }

    @Nested
    class Replacements {

        @Test
        void replacesTagsWhole() {
            TwinState twin = created("{\"a\":1,\"b\":{\"c\":2}}", "{}");

            twin.apply(new TwinReplaced(DEVICE, object("{\"d\":3}"), null, 1, 2), T2);

            assertThat(twin.render().get("tags")).isEqualTo(json("{\"d\":3}"));
            assertThat(twin.version()).isEqualTo(2);
        }

        @Test
        void replacesDesiredWholeAndKeepsTheMetadataOfUnchangedKeys() {
            TwinState twin = created("{\"site\":\"north\"}", INITIAL_DESIRED);

            twin.apply(new TwinReplaced(DEVICE, null, object("{\"t\":20,\"fan\":true}"), 2, 2), T2);

            JsonNode desired = normalized(twin.render().at("/properties/desired"));
            assertThat(desired).isEqualTo(json("""
                    {
                      "t": 20, "fan": true,
                      "$metadata": {
                        "$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2,
                        "t":   {"$lastUpdated": "2024-05-01T10:00:00Z", "$lastUpdatedVersion": 1},
                        "fan": {"$lastUpdated": "2024-05-01T11:00:00.250Z", "$lastUpdatedVersion": 2}
                      },
                      "$version": 2
                    }"""));
            assertThat(twin.render().get("tags")).isEqualTo(json("{\"site\":\"north\"}"));
        }
    }

    @Nested
    class StatusAndDeletion {

        @Test
        void disablingSetsStatusReasonAndTime() {
            TwinState twin = created("{}", "{}");

            twin.apply(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2), T2);

            ObjectNode doc = twin.render();
            assertThat(twin.status()).isEqualTo(TwinStatus.DISABLED);
            assertThat(doc.get("status").textValue()).isEqualTo("disabled");
            assertThat(doc.get("statusReason").textValue()).isEqualTo("maintenance");
            assertThat(doc.get("statusUpdatedTime").textValue()).isEqualTo("2024-05-01T11:00:00.250Z");
            assertThat(doc.get("version").longValue()).isEqualTo(2);
        }

        @Test
        void enablingWithoutAReasonDropsTheOldReason() {
            TwinState twin = created("{}", "{}");
            twin.apply(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2), T2);

            twin.apply(new TwinStatusChanged(DEVICE, TwinStatus.ENABLED, null, 3), T3);

            ObjectNode doc = twin.render();
            assertThat(doc.get("status").textValue()).isEqualTo("enabled");
            assertThat(doc.has("statusReason")).isFalse();
            assertThat(doc.get("statusUpdatedTime").textValue()).isEqualTo("2024-05-01T12:00:00Z");
        }

        @Test
        void deletingMarksTheTwinDeletedAtTheEventsVersion() {
            TwinState twin = created("{}", INITIAL_DESIRED);

            twin.apply(new TwinDeleted(DEVICE, 2), T2);

            assertThat(twin.deleted()).isTrue();
            assertThat(twin.version()).isEqualTo(2);
        }

        @Test
        void creatingAgainAfterDeletionStartsFreshSectionsAndKeepsCountingVersions() {
            TwinState twin = created("{\"old\":true}", INITIAL_DESIRED);
            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":60}"), 2, 2, null), T1);
            twin.apply(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "gone", 3), T1);
            twin.apply(new TwinDeleted(DEVICE, 4), T2);

            twin.apply(new TwinCreated(DEVICE, DEVICE, null, object("{\"new\":true}"), object("{\"x\":1}"), 1, 1, 5), T3);

            ObjectNode doc = twin.render();
            assertThat(twin.deleted()).isFalse();
            assertThat(doc.get("version").longValue()).isEqualTo(5);
            assertThat(doc.get("status").textValue()).isEqualTo("enabled");
            assertThat(doc.has("statusReason")).isFalse();
            assertThat(doc.get("lastActivityTime").isNull()).isTrue();
            assertThat(doc.get("tags")).isEqualTo(json("{\"new\":true}"));
            assertThat(twin.desired().values()).isEqualTo(json("{\"x\":1}"));
            assertThat(twin.desired().version()).isEqualTo(1);
            assertThat(normalized(doc.at("/properties/reported"))).isEqualTo(json(
                    "{\"$metadata\":{\"$lastUpdated\":\"2024-05-01T12:00:00Z\"},\"$version\":1}"));
        }

        @Test
        void ignoresEventsItDoesNotKnow() {
            TwinState twin = created("{\"a\":1}", INITIAL_DESIRED);
            ObjectNode before = twin.render();

            twin.apply("an event type from the future", T2);

            assertThat(twin.render()).isEqualTo(before);
        }
    }

    @Nested
    class Documents {

        @Test
        void readsBackTheDocumentItRenders() {
            TwinState twin = richModuleTwin();
            ObjectNode doc = twin.render();

            ObjectNode again = TwinState.fromDocument(doc).render();

            assertThat(again).isEqualTo(doc);
        }

        @Test
        void readsBackADeviceTwinDocumentWithANullModuleId() {
            TwinState twin = created("{\"a\":1}", INITIAL_DESIRED);
            ObjectNode doc = twin.render();

            TwinState read = TwinState.fromDocument(doc);

            assertThat(read.moduleId()).isNull();
            assertThat(read.render()).isEqualTo(doc);
        }

        @Test
        void readsBackADocumentThatWentThroughJsonText() throws JsonProcessingException {
            String text = richModuleTwin().render().toString();

            ObjectNode again = TwinState.fromDocument((ObjectNode) MAPPER.readTree(text)).render();

            assertThat(MAPPER.readTree(again.toString())).isEqualTo(MAPPER.readTree(text));
        }

        @Test
        void foldsLaterEventsOntoAReadBackStateLikeOntoTheOriginal() throws JsonProcessingException {
            TwinState original = richModuleTwin();
            TwinState readBack = TwinState.fromDocument((ObjectNode) MAPPER.readTree(original.render().toString()));
            Object patch = new TwinPatched(DEVICE, null,
                    original.desired().effectivePatch(object("{\"light\":{\"level\":7},\"mode\":null}")), 4, 6);
            Object report = new ReportedPropertiesPatched(DEVICE, object("{\"t\":21}"), 3, 7, null);

            for (TwinState twin : new TwinState[] {original, readBack}) {
                twin.apply(patch, T3);
                twin.apply(report, T3);
            }

            assertThat(normalized(readBack.render())).isEqualTo(normalized(original.render()));
        }

        @Test
        void rendersTreesThatDoNotShareNodesWithTheState() {
            TwinState twin = created("{\"a\":{\"b\":1}}", INITIAL_DESIRED);
            ObjectNode before = twin.render();

            ObjectNode doc = twin.render();
            ((ObjectNode) doc.get("tags").get("a")).put("b", 2);
            ((ObjectNode) doc.at("/properties/desired/light")).put("on", false);
            ((ObjectNode) doc.at("/properties/desired/$metadata")).removeAll();

            assertThat(twin.render()).isEqualTo(before);
        }

        private TwinState richModuleTwin() {
            TwinState twin = TwinState.created(new TwinCreated(DEVICE + "/mod-1", DEVICE, "mod-1",
                    object("{\"site\":\"north\",\"tags\":[\"a\",\"b\"]}"), object(INITIAL_DESIRED), 1, 1, 1), T1);
            patchDesired(twin, "{\"t\":22,\"light\":{\"level\":3}}", 2, 2, T2);
            twin.apply(new ReportedPropertiesPatched(DEVICE, object("{\"t\":21.5,\"fw\":{\"v\":\"1.0\"}}"), 2, 3, null), T2);
            twin.apply(new TwinPatched(DEVICE, null, twin.desired().effectivePatch(object("{\"mode\":\"boost\"}")), 3, 4), T3);
            twin.apply(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 5), T3);
            return twin;
        }
    }

    // ---- helpers

    private static TwinState created(String tags, String desired) {
        return TwinState.created(new TwinCreated(DEVICE, DEVICE, null, object(tags), object(desired), 1, 1, 1), T1);
    }

    /** Folds a desired patch the way the aggregate records it: as the effective patch. */
    private static void patchDesired(TwinState twin, String patch, long desiredVersion, long version, Instant at) {
        ObjectNode effective = twin.desired().effectivePatch(object(patch));
        twin.apply(new TwinPatched(DEVICE, null, effective, desiredVersion, version), at);
    }
}
