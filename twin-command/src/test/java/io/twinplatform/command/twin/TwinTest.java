package io.twinplatform.command.twin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.twinplatform.api.device.DeviceStateMachine;
import io.twinplatform.api.device.DeviceStateMachines;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinLimits;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.ClearAlert;
import io.twinplatform.api.twin.RaiseAlert;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.ReportConnection;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.SetTwinStatus;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import io.twinplatform.command.AuditCorrelationAccess;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MessageDispatchInterceptor;
import org.axonframework.messaging.interceptors.CorrelationDataInterceptor;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static io.twinplatform.command.twin.Satisfies.satisfies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The aggregate's decisions, command by command: what it applies, what it answers, and what it refuses. The
 * registry is a test double; validation runs with Azure's limits.
 */
class TwinTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();

    private static final String DEVICE = "dev-1";
    private static final String MODULE = "mod-a";
    private static final String MODULE_TWIN = DEVICE + "/" + MODULE;

    private static final String TAGS = "$.tags";
    private static final String DESIRED = "$.properties.desired";
    private static final String REPORTED = "$.properties.reported";

    private AggregateTestFixture<Twin> fixture;
    private InMemoryTwinRegistry registry;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(Twin.class);
        registry = new InMemoryTwinRegistry();
        fixture.registerInjectableResource(new TwinValidator(TwinLimits.AZURE));
        fixture.registerInjectableResource(DeviceStateMachines.defaults());
        fixture.registerInjectableResource(registry);
    }

    @Nested
    class PutTwinCommand {

        @Test
        void createsTwinWhenMissing() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, json("{\"site\":\"north\"}"), json("{\"t\":20}"), null, false))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null, json("{\"site\":\"north\"}"),
                            json("{\"t\":20}"), 1, 1, 1))
                    .expectResultMessagePayloadMatching(result("is created at version 1", r -> {
                        assertThat(r.created()).isTrue();
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(1);
                        assertThat(r.twin().get("deviceId").textValue()).isEqualTo(DEVICE);
                        assertThat(r.twin().get("etag").textValue()).isEqualTo("\"1\"");
                        assertThat(r.twin().get("tags")).isEqualTo(json("{\"site\":\"north\"}"));
                        assertThat(r.twin().at("/properties/desired/t").intValue()).isEqualTo(20);
                        assertThat(r.twin().at("/properties/desired/$version").longValue()).isEqualTo(1);
                        assertThat(r.twin().at("/properties/reported/$version").longValue()).isEqualTo(1);
                    }));
        }

        @Test
        void stripsNullsFromTheSectionsOfANewTwin() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE,
                            json("{\"site\":\"north\",\"old\":null,\"loc\":{\"floor\":3,\"room\":null}}"),
                            json("{\"t\":20,\"x\":null,\"light\":{\"on\":true,\"dim\":null}}"), null, false))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null,
                            json("{\"site\":\"north\",\"loc\":{\"floor\":3}}"),
                            json("{\"t\":20,\"light\":{\"on\":true}}"), 1, 1, 1));
        }

        @Test
        void createsTwinWithEmptySectionsWhenTheCommandHasNone() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, null, null, false))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null, empty(), empty(), 1, 1, 1));
        }

        @Test
        void createsModuleTwinWhenTheRegistryHasItsDevice() {
            registry.withDevice(DEVICE);

            fixture.givenNoPriorActivity()
                    .when(new PutTwin(MODULE_TWIN, json("{\"role\":\"edge\"}"), null, null, false))
                    .expectEvents(new TwinCreated(MODULE_TWIN, DEVICE, MODULE, json("{\"role\":\"edge\"}"), empty(),
                            1, 1, 1))
                    .expectResultMessagePayloadMatching(result("is a created module twin", r -> {
                        assertThat(r.created()).isTrue();
                        assertThat(r.twin().get("moduleId").textValue()).isEqualTo(MODULE);
                    }));
            assertThat(registry.deviceQueries()).containsExactly(DEVICE);
        }

        @Test
        void refusesModuleTwinWhoseDeviceIsMissing() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(MODULE_TWIN, null, null, null, false))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "deviceNotFound"))
                    .expectNoEvents();
        }

        @Test
        void createsDeviceTwinWithoutAskingTheRegistry() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, null, null, false))
                    .expectSuccessfulHandlerExecution();
            assertThat(registry.deviceQueries()).isEmpty();
        }

        @Test
        void replacesChangedTagsAndDesiredOfAnExistingTwin() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20,\"mode\":\"eco\"}"))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"south\"}"), json("{\"t\":21}"), null, false))
                    .expectEvents(new TwinReplaced(DEVICE, json("{\"site\":\"south\"}"), json("{\"t\":21}"), 2, 2))
                    .expectResultMessagePayloadMatching(result("is a replaced twin at version 2", r -> {
                        assertThat(r.created()).isFalse();
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().at("/properties/desired/mode").isMissingNode()).isTrue();
                        assertThat(r.twin().at("/properties/desired/$version").longValue()).isEqualTo(2);
                    }));
        }

        @Test
        void replacesOnlyTagsAndKeepsDesiredVersionWhenDesiredIsUnchanged() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"south\"}"), json("{\"t\":20}"), null, false))
                    .expectEvents(new TwinReplaced(DEVICE, json("{\"site\":\"south\"}"), null, 1, 2));
        }

        @Test
        void replacesOnlyDesiredWhenTagsAreUnchanged() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"north\"}"), json("{\"t\":22}"), null, false))
                    .expectEvents(new TwinReplaced(DEVICE, null, json("{\"t\":22}"), 2, 2));
        }

        @Test
        void replacesDesiredWithNothingWhenTheCommandHasNoDesired() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, null, null, null, false))
                    .expectEvents(new TwinReplaced(DEVICE, null, empty(), 2, 2));
        }

        @Test
        void replaceThatChangesNothingEmitsNoEvent() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"north\",\"old\":null}"), json("{\"t\":20.0}"), null,
                            false))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged at version 1", r -> {
                        assertThat(r.created()).isFalse();
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(1);
                        assertThat(r.twin()).isNotNull();
                    }));
        }

        @Test
        void replacesWhenIfMatchNamesTheCurrentVersion() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, null, json("{\"t\":21}"), 1L, false))
                    .expectEvents(new TwinReplaced(DEVICE, null, json("{\"t\":21}"), 2, 2));
        }

        @Test
        void rejectsReplaceWithStaleEtag() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new PutTwin(DEVICE, null, json("{\"t\":30}"), 1L, false))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void rejectsCreateOnlyWhenTheTwinExists() {
            fixture.given(created("{}", "{}"))
                    .when(new PutTwin(DEVICE, json("{\"a\":1}"), null, null, true))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void rejectsIfMatchOnAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, null, 1L, false))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void recreatesADeletedTwinAtTheNextVersion() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"east\"}"), null, null, false))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null, json("{\"site\":\"east\"}"), empty(), 1, 1, 3))
                    .expectResultMessagePayloadMatching(result("is created again at version 3", r -> {
                        assertThat(r.created()).isTrue();
                        assertThat(r.version()).isEqualTo(3);
                        assertThat(r.twin().get("etag").textValue()).isEqualTo("\"3\"");
                    }));
        }

        @Test
        void recreatesADeletedTwinWithFreshSectionVersions() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2),
                            reportedPatched("{\"t\":21}", 2, 3, "k1"), new TwinDeleted(DEVICE, 4))
                    .when(new PutTwin(DEVICE, null, json("{\"t\":18}"), null, true))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null, empty(), json("{\"t\":18}"), 1, 1, 5))
                    .expectResultMessagePayloadMatching(result("starts over with empty reported", r -> {
                        assertThat(r.twin().at("/properties/desired/$version").longValue()).isEqualTo(1);
                        assertThat(r.twin().at("/properties/reported/$version").longValue()).isEqualTo(1);
                        assertThat(r.twin().at("/properties/reported/t").isMissingNode()).isTrue();
                    }));
        }

        @Test
        void rejectsIfMatchOnADeletedTwin() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new PutTwin(DEVICE, null, null, 2L, false))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void refusesAKeyWithADot() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, json("{\"a.b\":1}"), null, false))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidKey", DESIRED + "['a.b']"))
                    .expectNoEvents();
        }

        @Test
        void refusesDesiredNestedElevenLevels() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, nestedObjects(11), null, false))
                    .expectException(refusal(ErrorKind.MALFORMED, "tooDeep",
                            DESIRED + ".l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11"))
                    .expectNoEvents();
        }

        @Test
        void acceptsDesiredNestedTenLevels() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, null, nestedObjects(10), null, false))
                    .expectEvents(new TwinCreated(DEVICE, DEVICE, null, empty(), nestedObjects(10), 1, 1, 1));
        }

        @Test
        void refusesTagsOverEightKilobytes() {
            ObjectNode tags = MAPPER.createObjectNode();
            tags.put("a", "x".repeat(3000));
            tags.put("b", "x".repeat(3000));
            tags.put("c", "x".repeat(3000));

            fixture.givenNoPriorActivity()
                    .when(new PutTwin(DEVICE, tags, null, null, false))
                    .expectException(refusal(ErrorKind.TOO_LARGE, "sectionTooLarge", TAGS))
                    .expectNoEvents();
        }

        @Test
        void refusesAnInvalidTwinId() {
            fixture.givenNoPriorActivity()
                    .when(new PutTwin("dev 1", null, null, null, false))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidId", "$.deviceId"))
                    .expectNoEvents();
        }

        @Test
        void refusesInvalidReplacementOfAnExistingTwinWithoutChangingIt() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, json("{\"$bad\":1}"), json("{\"t\":21}"), null, false))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidKey", TAGS + "['$bad']"))
                    .expectNoEvents();
        }
    }

    @Nested
    class PatchTwinCommand {

        @Test
        void emitsOnlyTheEffectivePatch() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20,\"mode\":\"eco\"}"))
                    .when(new PatchTwin(DEVICE, null,
                            json("{\"t\":20,\"mode\":\"comfort\",\"missing\":null,\"fan\":2}"), null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"mode\":\"comfort\",\"fan\":2}"), 2, 2))
                    .expectResultMessagePayloadMatching(result("is patched at version 2", r -> {
                        assertThat(r.created()).isFalse();
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().at("/properties/desired/mode").textValue()).isEqualTo("comfort");
                        assertThat(r.twin().at("/properties/desired/$version").longValue()).isEqualTo(2);
                    }));
        }

        @Test
        void emitsOnlyTheChangedLeavesOfANestedPatch() {
            fixture.given(created("{}", "{\"light\":{\"on\":true,\"level\":3}}"))
                    .when(new PatchTwin(DEVICE, null, json("{\"light\":{\"on\":true,\"level\":4}}"), null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"light\":{\"level\":4}}"), 2, 2));
        }

        @Test
        void emitsRemovalsAsNulls() {
            fixture.given(created("{\"site\":\"north\",\"zone\":\"a\"}", "{\"t\":20}"))
                    .when(new PatchTwin(DEVICE, json("{\"zone\":null}"), json("{\"t\":null}"), null))
                    .expectEvents(new TwinPatched(DEVICE, json("{\"zone\":null}"), json("{\"t\":null}"), 2, 2));
        }

        @Test
        void noOpPatchEmitsNothing() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"))
                    .when(new PatchTwin(DEVICE, json("{\"site\":\"north\",\"gone\":null}"), json("{\"t\":20.0}"), 1L))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(1);
                    }));
        }

        @Test
        void tagsOnlyPatchKeepsDesiredVersion() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new PatchTwin(DEVICE, json("{\"site\":\"south\"}"), null, null))
                    .expectEvents(new TwinPatched(DEVICE, json("{\"site\":\"south\"}"), null, 2, 3));
        }

        @Test
        void patchesWhenIfMatchNamesTheCurrentVersion() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":22}"), 2L))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":22}"), 3, 3));
        }

        @Test
        void rejectsDesiredPatchWithStaleEtag() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":22}"), 1L))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void refusesPatchOfAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":22}"), null))
                    .expectException(satisfies(TwinException.class, "names the missing twin", e -> {
                        assertThat(e.error().kind()).isEqualTo(ErrorKind.NOT_FOUND);
                        assertThat(e.error().code()).isEqualTo("twinNotFound");
                        assertThat(e.error().detail()).isEqualTo("twin dev-1 does not exist");
                    }))
                    .expectNoEvents();
        }

        @Test
        void refusesPatchOfADeletedTwin() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":22}"), null))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void refusesDesiredOver32KilobytesAfterTheMerge() {
            ObjectNode nearlyFull = bigSection(8, 4000);
            ObjectNode patch = MAPPER.createObjectNode().put("k8", "x".repeat(4000));

            fixture.given(new TwinCreated(DEVICE, DEVICE, null, empty(), nearlyFull, 1, 1, 1))
                    .when(new PatchTwin(DEVICE, null, patch, null))
                    .expectException(refusal(ErrorKind.TOO_LARGE, "sectionTooLarge", DESIRED))
                    .expectNoEvents();
        }

        @Test
        void refusesTagsOverEightKilobytesAfterTheMerge() {
            ObjectNode nearlyFull = bigSection(2, 4000);
            ObjectNode patch = MAPPER.createObjectNode().put("k2", "x".repeat(500));

            fixture.given(new TwinCreated(DEVICE, DEVICE, null, nearlyFull, empty(), 1, 1, 1))
                    .when(new PatchTwin(DEVICE, patch, null, null))
                    .expectException(refusal(ErrorKind.TOO_LARGE, "sectionTooLarge", TAGS))
                    .expectNoEvents();
        }

        @Test
        void refusesAPatchWithAnInvalidKey() {
            fixture.given(created("{}", "{}"))
                    .when(new PatchTwin(DEVICE, null, json("{\"ok\":{\"bad key\":1}}"), null))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidKey", DESIRED + ".ok['bad key']"))
                    .expectNoEvents();
        }
    }

    @Nested
    class PatchReportedPropertiesCommand {

        @Test
        void emitsReportedPatchWithNextReportedVersionAndTheIdempotencyKey() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":21,\"fw\":\"1.2\"}"), "msg-1"))
                    .expectEvents(reportedPatched("{\"t\":21,\"fw\":\"1.2\"}", 2, 3, "msg-1"))
                    .expectResultMessagePayloadMatching(result("is changed at version 3", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(3);
                        assertThat(r.twin().at("/properties/reported/fw").textValue()).isEqualTo("1.2");
                        assertThat(r.twin().at("/properties/reported/$version").longValue()).isEqualTo(2);
                        assertThat(r.twin().at("/properties/desired/$version").longValue()).isEqualTo(2);
                    }));
        }

        @Test
        void emitsOnlyTheEffectiveReportedPatch() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"fw\":\"1.2\",\"rssi\":-70}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE,
                            json("{\"fw\":\"1.2\",\"rssi\":-71,\"never\":null}"), null))
                    .expectEvents(reportedPatched("{\"rssi\":-71}", 3, 3, null));
        }

        @Test
        void ignoresARedeliveryWithAnIdempotencyKeyAlreadySeen() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, "msg-1"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":99}"), "msg-1"))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged at version 2", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().at("/properties/reported/t").intValue()).isEqualTo(21);
                    }));
        }

        @Test
        void appliesAPatchWithADifferentIdempotencyKey() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, "msg-1"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":22}"), "msg-2"))
                    .expectEvents(reportedPatched("{\"t\":22}", 3, 3, "msg-2"));
        }

        @Test
        void appliesAPatchBasedOnTheCurrentReportedVersionAndRefusesAStaleOne() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":22}"), null, 2L))
                    .expectEvents(reportedPatched("{\"t\":22}", 3, 3, null));
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":22}"), null, 1L))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "reportedVersionMismatch"))
                    .expectNoEvents();
        }

        @Test
        void appliesEveryPatchWithoutAnIdempotencyKey() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":22}"), null))
                    .expectEvents(reportedPatched("{\"t\":22}", 3, 3, null));
        }

        @Test
        void noOpReportedPatchEmitsNothing() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":21}"), "msg-9"))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> assertThat(r.changed()).isFalse()));
        }

        @Test
        void refusesANullPatch() {
            fixture.given(created("{}", "{}"))
                    .when(new PatchReportedProperties(DEVICE, null, "msg-1"))
                    .expectException(refusal(ErrorKind.MALFORMED, "notAnObject", REPORTED))
                    .expectNoEvents();
        }

        @Test
        void refusesReportedOver32KilobytesAfterTheMerge() {
            ObjectNode nearlyFull = bigSection(8, 4000);
            fixture.given(created("{}", "{}"), new ReportedPropertiesPatched(DEVICE, nearlyFull, 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE,
                            MAPPER.createObjectNode().put("k8", "x".repeat(4000)), "msg-1"))
                    .expectException(refusal(ErrorKind.TOO_LARGE, "sectionTooLarge", REPORTED))
                    .expectNoEvents();
        }

        @Test
        void refusesReportedPatchOfAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":1}"), "msg-1"))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void refusesReportedPatchOfADeletedTwin() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":1}"), "msg-1"))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void forgetsTheOldestIdempotencyKeyAfter256NewerOnes() {
            fixture.given(createdWithReportedKeys(Twin.IDEMPOTENCY_KEYS_KEPT + 1))
                    .when(new PatchReportedProperties(DEVICE, json("{\"n\":-1}"), "key-0"))
                    .expectEvents(reportedPatched("{\"n\":-1}", Twin.IDEMPOTENCY_KEYS_KEPT + 3,
                            Twin.IDEMPOTENCY_KEYS_KEPT + 3, "key-0"));
        }

        @Test
        void remembersTheLatest256IdempotencyKeys() {
            fixture.given(createdWithReportedKeys(Twin.IDEMPOTENCY_KEYS_KEPT + 1))
                    .when(new PatchReportedProperties(DEVICE, json("{\"n\":-1}"), "key-1"))
                    .expectNoEvents()
                    .expectState(twin -> assertThat(twin).extracting("idempotencyKeys")
                            .asInstanceOf(InstanceOfAssertFactories.collection(String.class))
                            .hasSize(Twin.IDEMPOTENCY_KEYS_KEPT)
                            .startsWith("key-1")
                            .endsWith("key-" + Twin.IDEMPOTENCY_KEYS_KEPT)
                            .doesNotContain("key-0"));
        }

        @Test
        void remembersAll256KeysWhenNoneIsOlder() {
            fixture.given(createdWithReportedKeys(Twin.IDEMPOTENCY_KEYS_KEPT))
                    .when(new PatchReportedProperties(DEVICE, json("{\"n\":-1}"), "key-0"))
                    .expectNoEvents();
        }

        @Test
        void forgetsTheIdempotencyKeysOfADeletedTwin() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":21}", 2, 2, "msg-1"),
                            new TwinDeleted(DEVICE, 3), new TwinCreated(DEVICE, DEVICE, null, empty(), empty(), 1, 1, 4))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":21}"), "msg-1"))
                    .expectEvents(reportedPatched("{\"t\":21}", 2, 5, "msg-1"));
        }
    }

    /**
     * {@link Twin#PREVIOUS_SHADOW}: a device protocol that shows changes as before and after (AWS's update/documents)
     * gets the shadow before the command with the answer, and only when it asked.
     */
    @Nested
    class PreviousShadow {

        private final Map<String, Object> wanted = Map.of(Twin.PREVIOUS_SHADOW, true);

        @Test
        void aReportAnswersTheShadowBeforeItWhenAskedEvenForAMinimalAnswer() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":21}"), null),
                            Map.of(Twin.PREVIOUS_SHADOW, true, Twin.MINIMAL_ANSWER, true))
                    .expectEvents(reportedPatched("{\"t\":21}", 2, 2, null))
                    .expectResultMessagePayloadMatching(result("carries the shadow before and the twin after", r -> {
                        assertThat(r.previousShadow().get("version").asLong()).isEqualTo(1);
                        assertThat(r.previousShadow().at("/state/desired")).isEqualTo(json("{\"t\":20}"));
                        assertThat(r.previousShadow().at("/state").has("reported")).isFalse();
                        assertThat(r.twin().at("/properties/reported/t").intValue()).isEqualTo(21);
                    }));
        }

        @Test
        void aDesiredPatchAnswersTheShadowBeforeIt() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":22}"), null), wanted)
                    .expectResultMessagePayloadMatching(result("carries desired as it was", r ->
                            assertThat(r.previousShadow().at("/state/desired/t").intValue()).isEqualTo(20)));
        }

        @Test
        void noShadowBeforeUnlessAsked() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"), null, null, null))
                    .expectResultMessagePayloadMatching(result("carries no shadow before", r ->
                            assertThat(r.previousShadow()).isNull()));
        }
    }

    /** {@code Prefer: return=minimal}: the answer carries the version, and the document only if a device needs it. */
    @Nested
    class MinimalAnswer {

        private final Map<String, Object> minimal = Map.of(Twin.MINIMAL_ANSWER, true);

        @Test
        void reportedPatchAnswersItsVersionWithoutTheDocument() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":20}"), null), minimal)
                    .expectEvents(reportedPatched("{\"t\":20}", 2, 2, null))
                    .expectResultMessagePayloadMatching(result("is changed at version 2, no document", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin()).isNull();
                    }));
        }

        @Test
        void redeliveredReportedPatchAnswersTheCurrentVersionWithoutTheDocument() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"t\":20}", 2, 2, "msg-1"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":21}"), "msg-1"), minimal)
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged at version 2, no document", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin()).isNull();
                    }));
        }

        @Test
        void tagsPatchAnswersItsVersionWithoutTheDocument() {
            fixture.given(created("{\"site\":\"north\"}", "{}"))
                    .when(new PatchTwin(DEVICE, json("{\"site\":\"south\"}"), null, null), minimal)
                    .expectEvents(new TwinPatched(DEVICE, json("{\"site\":\"south\"}"), null, 1, 2))
                    .expectResultMessagePayloadMatching(result("is changed at version 2, no document", r -> {
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin()).isNull();
                    }));
        }

        @Test
        void desiredPatchKeepsTheDocumentTheDeviceIsToldFrom() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":21}"), null), minimal)
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":21}"), 2, 2))
                    .expectResultMessagePayloadMatching(result("is changed at version 2 with its document", r ->
                            assertThat(r.twin().at("/properties/desired/t").intValue()).isEqualTo(21)));
        }

        @Test
        void putKeepsTheDocumentTheDeviceIsToldFrom() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new PutTwin(DEVICE, json("{\"site\":\"north\"}"), json("{\"t\":20}"), null, false), minimal)
                    .expectResultMessagePayloadMatching(result("is replaced with its document", r ->
                            assertThat(r.twin().get("tags")).isEqualTo(json("{\"site\":\"north\"}"))));
        }
    }

    @Nested
    class SetTwinStatusCommand {

        @Test
        void disablesTheTwin() {
            fixture.given(created("{}", "{}"))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.DISABLED, "maintenance", null))
                    .expectEvents(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2))
                    .expectResultMessagePayloadMatching(result("is disabled at version 2", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().get("status").textValue()).isEqualTo("disabled");
                        assertThat(r.twin().get("statusReason").textValue()).isEqualTo("maintenance");
                    }));
        }

        @Test
        void enablesADisabledTwin() {
            fixture.given(created("{}", "{}"), new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.ENABLED, null, 2L))
                    .expectEvents(new TwinStatusChanged(DEVICE, TwinStatus.ENABLED, null, 3));
        }

        @Test
        void settingTheCurrentStatusAndReasonEmitsNothing() {
            fixture.given(created("{}", "{}"), new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.DISABLED, "maintenance", null))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(2);
                    }));
        }

        @Test
        void changesOnlyTheReasonOfTheCurrentStatus() {
            fixture.given(created("{}", "{}"), new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "maintenance", 2))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.DISABLED, "recalled", null))
                    .expectEvents(new TwinStatusChanged(DEVICE, TwinStatus.DISABLED, "recalled", 3));
        }

        @Test
        void enablingAnEnabledTwinWithoutReasonEmitsNothing() {
            fixture.given(created("{}", "{}"))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.ENABLED, null, null))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(1);
                    }));
        }

        @Test
        void refusesANullStatus() {
            fixture.given(created("{}", "{}"))
                    .when(new SetTwinStatus(DEVICE, null, null, null))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidStatus", "$.status"))
                    .expectNoEvents();
        }

        @Test
        void rejectsStatusChangeWithStaleEtag() {
            fixture.given(created("{}", "{}"), patchedDesired("{\"t\":1}", 2, 2))
                    .when(new SetTwinStatus(DEVICE, TwinStatus.DISABLED, null, 1L))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void refusesStatusChangeOfAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new SetTwinStatus(DEVICE, TwinStatus.DISABLED, null, null))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }
    }

    @Nested
    class DeleteTwinCommand {

        @Test
        void deletesTheTwinAtTheNextVersion() {
            fixture.given(created("{}", "{}"), patchedDesired("{\"t\":1}", 2, 2))
                    .when(new DeleteTwin(DEVICE, null))
                    .expectEvents(new TwinDeleted(DEVICE, 3))
                    .expectResultMessagePayload(new TwinWriteResult(null, 3, false, true));
            assertThat(registry.moduleQueries()).containsExactly(DEVICE);
        }

        @Test
        void deletesWhenIfMatchNamesTheCurrentVersion() {
            fixture.given(created("{}", "{}"))
                    .when(new DeleteTwin(DEVICE, 1L))
                    .expectEvents(new TwinDeleted(DEVICE, 2));
        }

        @Test
        void refusesToDeleteADeviceThatHasLiveModules() {
            registry.withDeviceHavingModules(DEVICE);

            fixture.given(created("{}", "{}"))
                    .when(new DeleteTwin(DEVICE, null))
                    .expectException(refusal(ErrorKind.CONFLICT, "deviceHasModules"))
                    .expectNoEvents();
        }

        @Test
        void deletesAModuleTwinWithoutAskingAboutModules() {
            registry.withDeviceHavingModules(DEVICE);

            fixture.given(new TwinCreated(MODULE_TWIN, DEVICE, MODULE, empty(), empty(), 1, 1, 1))
                    .when(new DeleteTwin(MODULE_TWIN, null))
                    .expectEvents(new TwinDeleted(MODULE_TWIN, 2));
            assertThat(registry.moduleQueries()).isEmpty();
        }

        @Test
        void rejectsDeleteWithStaleEtag() {
            fixture.given(created("{}", "{}"), patchedDesired("{\"t\":1}", 2, 2))
                    .when(new DeleteTwin(DEVICE, 1L))
                    .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"))
                    .expectNoEvents();
        }

        @Test
        void refusesToDeleteTwice() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new DeleteTwin(DEVICE, null))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void refusesToDeleteAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new DeleteTwin(DEVICE, null))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }
    }

    @Nested
    class UpdateShadowCommand {

        @Test
        void patchesDesiredFromADesiredObject() {
            fixture.given(created("{\"site\":\"north\"}", "{\"t\":20}"))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22,\"fan\":1}"), null, null, "tok-1"))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":22,\"fan\":1}"), 2, 2))
                    .expectResultMessagePayloadMatching(result("is changed at version 2", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                    }));
        }

        @Test
        void patchesReportedFromAReportedObject() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new UpdateShadow(DEVICE, null, json("{\"t\":20}"), null, null))
                    .expectEvents(new ReportedPropertiesPatched(DEVICE, json("{\"t\":20}"), 2, 2, null));
        }

        @Test
        void patchesBothSectionsInOrderWithOneVersionEach() {
            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"), json("{\"t\":21}"), 1L, null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":22}"), 2, 2),
                            new ReportedPropertiesPatched(DEVICE, json("{\"t\":21}"), 2, 3, null))
                    .expectResultMessagePayloadMatching(result("is at version 3", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(3);
                        assertThat(r.twin().get("delta")).isEqualTo(json("{\"t\":22}"));
                    }));
        }

        @Test
        void clearsDesiredWhenDesiredIsJsonNull() {
            fixture.given(created("{}", "{\"t\":20,\"light\":{\"on\":true}}"))
                    .when(new UpdateShadow(DEVICE, NullNode.instance, null, null, null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":null,\"light\":null}"), 2, 2))
                    .expectResultMessagePayloadMatching(result("has empty desired", r ->
                            assertThat(r.twin().at("/properties/desired").fieldNames())
                                    .toIterable().containsExactlyInAnyOrder("$metadata", "$version")));
        }

        @Test
        void clearsBothSectionsWhenBothAreJsonNull() {
            fixture.given(created("{}", "{\"t\":20}"), reportedPatched("{\"t\":19,\"fw\":\"1.0\"}", 2, 2, null))
                    .when(new UpdateShadow(DEVICE, NullNode.instance, NullNode.instance, 2L, null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":null}"), 2, 3),
                            new ReportedPropertiesPatched(DEVICE, json("{\"t\":null,\"fw\":null}"), 3, 4, null));
        }

        @Test
        void clearingAnEmptySectionEmitsNothing() {
            fixture.given(created("{}", "{}"))
                    .when(new UpdateShadow(DEVICE, NullNode.instance, NullNode.instance, null, null))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> assertThat(r.changed()).isFalse()));
        }

        @Test
        void rejectsAStaleShadowVersionAsAConflict() {
            fixture.given(created("{}", "{\"t\":20}"), patchedDesired("{\"t\":21}", 2, 2))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"), null, 1L, null))
                    .expectException(satisfies(TwinException.class, "is a version conflict", e -> {
                        assertThat(e.error().kind()).isEqualTo(ErrorKind.CONFLICT);
                        assertThat(e.error().code()).isEqualTo("versionConflict");
                        assertThat(e.error().detail()).isEqualTo("Version conflict");
                    }))
                    .expectNoEvents();
        }

        @Test
        void refusesANonObjectDesired() {
            fixture.given(created("{}", "{}"))
                    .when(new UpdateShadow(DEVICE, IntNode.valueOf(5), null, null, null))
                    .expectException(refusal(ErrorKind.MALFORMED, "notAnObject", "$.state.desired"))
                    .expectNoEvents();
        }

        @Test
        void refusesANonObjectReportedWithoutApplyingDesired() {
            fixture.given(created("{}", "{}"))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":1}"), TextNode.valueOf("on"), null, null))
                    .expectException(refusal(ErrorKind.MALFORMED, "notAnObject", "$.state.reported"))
                    .expectNoEvents();
        }

        @Test
        void refusesTheWholeUpdateWhenReportedWouldBeTooLarge() {
            fixture.given(created("{}", "{}"), new ReportedPropertiesPatched(DEVICE, bigSection(8, 4000), 2, 2, null))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"),
                            MAPPER.createObjectNode().put("k8", "x".repeat(4000)), null, null))
                    .expectException(refusal(ErrorKind.TOO_LARGE, "sectionTooLarge", "$.state.reported"))
                    .expectNoEvents();
        }

        @Test
        void noOpShadowUpdateEmitsNothing() {
            fixture.given(created("{}", "{\"t\":20}"), reportedPatched("{\"t\":20}", 2, 2, null))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":20}"), json("{\"t\":20,\"x\":null}"), 2L, null))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged at version 2", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(2);
                    }));
        }

        @Test
        void refusesShadowUpdateOfAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new UpdateShadow(DEVICE, json("{\"t\":1}"), null, null, null))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }
    }

    @Nested
    class AlertCommands {

        private static final String AT = "2026-03-02T08:15:00Z";

        @Test
        void raisesAnAlertOnceAndShowsItInTheTwin() {
            fixture.given(created("{}", "{}"))
                    .when(new RaiseAlert(DEVICE, "hot", 55.0, 50.0, "above", AT))
                    .expectEvents(new AlertRaised(DEVICE, "hot", 55.0, 50.0, "above", AT, 2))
                    .expectResultMessagePayloadMatching(result("is changed at version 2", r ->
                            assertThat(r.changed()).isTrue()));
            fixture.given(created("{}", "{}"), new AlertRaised(DEVICE, "hot", 55.0, 50.0, "above", AT, 2))
                    .when(new RaiseAlert(DEVICE, "hot", 60.0, 50.0, "above", AT))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> assertThat(r.changed()).isFalse()));
        }

        @Test
        void clearsARaisedAlertAndNothingElse() {
            fixture.given(created("{}", "{}"), new AlertRaised(DEVICE, "hot", 55.0, 50.0, "above", AT, 2))
                    .when(new ClearAlert(DEVICE, "hot", 35.0, 40.0, AT))
                    .expectEvents(new AlertCleared(DEVICE, "hot", 35.0, 40.0, AT, 3));
            fixture.given(created("{}", "{}"), new AlertRaised(DEVICE, "hot", 55.0, 50.0, "above", AT, 2))
                    .when(new ClearAlert(DEVICE, "cold", 35.0, 40.0, AT))
                    .expectNoEvents();
        }

        @Test
        void aTwinThatDoesNotExistHasNoAlert() {
            fixture.givenNoPriorActivity()
                    .when(new RaiseAlert(DEVICE, "hot", 55.0, 50.0, "above", AT))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void theTwinDocumentListsRaisedAlertsUntilCleared() {
            TwinState state = TwinState.created(new TwinCreated(DEVICE, DEVICE, null, empty(), empty(), 1, 1, 1),
                    Instant.parse(AT));
            state.apply(new AlertRaised(DEVICE, "hot", 55.0, 50.0, "above", AT, 2), Instant.parse(AT));
            assertThat(state.render().get("alerts").get("hot").get("value").asDouble()).isEqualTo(55.0);
            assertThat(TwinState.fromDocument(state.render()).render()).isEqualTo(state.render());
            state.apply(new AlertCleared(DEVICE, "hot", 35.0, 40.0, AT, 3), Instant.parse(AT));
            assertThat(state.render().has("alerts")).isFalse();
        }
    }

    @Nested
    class ReportConnectionCommand {

        @Test
        void recordsThatTheDeviceConnectedAndStampsItsActivity() {
            Instant connectedAt = Instant.parse("2026-03-02T08:15:29.604Z");

            fixture.givenCurrentTime(Instant.parse("2026-03-02T08:15:04.217Z"))
                    .andGiven(created("{}", "{}"))
                    .andGivenCurrentTime(connectedAt)
                    .when(new ReportConnection(DEVICE, TwinConnectionChanged.CONNECTED))
                    .expectEvents(new TwinConnectionChanged(DEVICE, "Connected", 2))
                    .expectResultMessagePayloadMatching(result("is connected at version 2", r -> {
                        assertThat(r.changed()).isTrue();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().get("connectionState").textValue()).isEqualTo("Connected");
                        assertThat(r.twin().get("lastActivityTime").textValue())
                                .isEqualTo("2026-03-02T08:15:29.604Z");
                    }));
        }

        @Test
        void recordsThatAConnectedDeviceDisconnected() {
            fixture.given(created("{}", "{}"), new TwinConnectionChanged(DEVICE, "Connected", 2))
                    .when(new ReportConnection(DEVICE, TwinConnectionChanged.DISCONNECTED))
                    .expectEvents(new TwinConnectionChanged(DEVICE, "Disconnected", 3))
                    .expectResultMessagePayloadMatching(result("is disconnected at version 3", r ->
                            assertThat(r.twin().get("connectionState").textValue()).isEqualTo("Disconnected")));
        }

        @Test
        void aRepeatedConnectedReportChangesNothing() {
            fixture.given(created("{}", "{}"), new TwinConnectionChanged(DEVICE, "Connected", 2))
                    .when(new ReportConnection(DEVICE, "Connected"))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged at version 2", r -> {
                        assertThat(r.changed()).isFalse();
                        assertThat(r.version()).isEqualTo(2);
                        assertThat(r.twin().get("connectionState").textValue()).isEqualTo("Connected");
                    }));
        }

        @Test
        void aDisconnectedReportForANewTwinChangesNothing() {
            fixture.given(created("{}", "{}"))
                    .when(new ReportConnection(DEVICE, "Disconnected"))
                    .expectNoEvents()
                    .expectResultMessagePayloadMatching(result("is unchanged", r -> assertThat(r.changed()).isFalse()));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @NullSource
        @ValueSource(strings = {"connected", "CONNECTED", "Online", ""})
        void refusesAConnectionStateOtherThanConnectedOrDisconnected(String connectionState) {
            fixture.given(created("{}", "{}"))
                    .when(new ReportConnection(DEVICE, connectionState))
                    .expectException(refusal(ErrorKind.MALFORMED, "invalidConnectionState"))
                    .expectNoEvents();
        }

        @Test
        void refusesAConnectionReportForAMissingTwin() {
            fixture.givenNoPriorActivity()
                    .when(new ReportConnection(DEVICE, "Connected"))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }

        @Test
        void refusesAConnectionReportForADeletedTwin() {
            fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                    .when(new ReportConnection(DEVICE, "Connected"))
                    .expectException(refusal(ErrorKind.NOT_FOUND, "twinNotFound"))
                    .expectNoEvents();
        }
    }

    /** The default machine (DeviceStateMachine.DEFAULT) is the fixture's; a report is kept even when it is flagged. */
    @Nested
    class ReportedStateTransitions {

        @Test
        void allowsIdleToRunningWithoutAFlag() {
            fixture.given(created("{\"deviceType\":\"thermostat\"}", "{}"),
                            reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"running\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"running\"}", 3, 3, null))
                    .expectResultMessagePayloadMatching(result("is not flagged", r ->
                            assertThat(r.twin().has("invalidStateTransition")).isFalse()));
        }

        @Test
        void flagsIdleToPausedRightAfterKeepingTheReport() {
            Instant reportedAt = Instant.parse("2026-03-02T08:15:31.842Z");

            fixture.given(created("{\"deviceType\":\"thermostat\"}", "{}"),
                            reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .andGivenCurrentTime(reportedAt)
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"paused\",\"t\":21}"), "msg-1"))
                    .expectEvents(reportedPatched("{\"state\":\"paused\",\"t\":21}", 3, 3, "msg-1"),
                            new InvalidStateTransitionReported(DEVICE, "thermostat", "idle", "paused", 4))
                    .expectResultMessagePayloadMatching(result("shows the paused state, flagged, at version 4", r -> {
                        assertThat(r.version()).isEqualTo(4);
                        assertThat(r.twin().at("/properties/reported/state").textValue()).isEqualTo("paused");
                        assertThat(r.twin().get("invalidStateTransition")).isEqualTo(json(
                                "{\"from\":\"idle\",\"to\":\"paused\",\"deviceType\":\"thermostat\","
                                        + "\"at\":\"2026-03-02T08:15:31.842Z\"}"));
                    }));
        }

        @Test
        void namesTheDefaultTypeForATwinWithoutADeviceTypeTag() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"paused\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"paused\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "paused", 4));
        }

        @Test
        void namesTheDefaultTypeForADeviceTypeTagThatIsNotText() {
            fixture.given(created("{\"deviceType\":7}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"paused\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"paused\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "paused", 4));
        }

        @Test
        void flagsAFirstReportOfAStateOtherThanTheInitialOne() {
            fixture.given(created("{}", "{}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"running\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"running\"}", 2, 2, null),
                            new InvalidStateTransitionReported(DEVICE, "default", null, "running", 3))
                    .expectResultMessagePayloadMatching(result("is flagged from no state", r ->
                            assertThat(r.twin().at("/invalidStateTransition/from").isNull()).isTrue()));
        }

        @Test
        void allowsAFirstReportOfTheInitialState() {
            fixture.given(created("{}", "{}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"idle\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"idle\"}", 2, 2, null));
        }

        @Test
        void flagsAStateTheMachineDoesNotKnow() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"exploded\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"exploded\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "exploded", 4));
        }

        @Test
        void checksOnlyAReportThatChangesTheState() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"idle\",\"t\":21}"), null))
                    .expectEvents(reportedPatched("{\"t\":21}", 3, 3, null));
        }

        @Test
        void anAllowedNextStateClearsTheFlag() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null),
                            reportedPatched("{\"state\":\"paused\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "paused", 4))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"running\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"running\"}", 4, 5, null))
                    .expectResultMessagePayloadMatching(result("is no longer flagged", r ->
                            assertThat(r.twin().has("invalidStateTransition")).isFalse()));
        }

        @Test
        void aRedeliveredFlaggedReportIsNotFlaggedAgain() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null),
                            reportedPatched("{\"state\":\"paused\"}", 3, 3, "msg-1"),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "paused", 4))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"paused\"}"), "msg-1"))
                    .expectNoEvents();
        }

        @Test
        void flagsAForbiddenStateReportedThroughAShadowUpdate() {
            fixture.given(created("{}", "{\"t\":20}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"), json("{\"state\":\"error\"}"), null, null))
                    .expectEvents(new TwinPatched(DEVICE, null, json("{\"t\":22}"), 2, 3),
                            reportedPatched("{\"state\":\"error\"}", 3, 4, null),
                            new InvalidStateTransitionReported(DEVICE, "default", "idle", "error", 5))
                    .expectResultMessagePayloadMatching(result("is at version 5", r ->
                            assertThat(r.version()).isEqualTo(5)));
        }

        @Test
        void allowsAStateReportedThroughAShadowUpdate() {
            fixture.given(created("{}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new UpdateShadow(DEVICE, null, json("{\"state\":\"maintenance\"}"), null, null))
                    .expectEvents(reportedPatched("{\"state\":\"maintenance\"}", 3, 3, null));
        }
    }

    /** A machine configured for device type {@code pump} governs pumps only; every other twin keeps the default. */
    @Nested
    class ConfiguredStateMachines {

        private AggregateTestFixture<Twin> pumps;

        @BeforeEach
        void pumpMachine() {
            pumps = new AggregateTestFixture<>(Twin.class);
            pumps.registerInjectableResource(new TwinValidator(TwinLimits.AZURE));
            pumps.registerInjectableResource(new DeviceStateMachines(Map.of("pump",
                    DeviceStateMachine.of("off", Map.of("off", List.of("on"), "on", List.of("off"))))));
            pumps.registerInjectableResource(registry);
        }

        @Test
        void allowsAPumpToStartInOffAndMoveToOn() {
            pumps.given(created("{\"deviceType\":\"pump\"}", "{}"), reportedPatched("{\"state\":\"off\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"on\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"on\"}", 3, 3, null));
        }

        @Test
        void flagsAPumpReportingAStateOfTheDefaultMachine() {
            pumps.given(created("{\"deviceType\":\"pump\"}", "{}"), reportedPatched("{\"state\":\"off\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"running\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"running\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "pump", "off", "running", 4));
        }

        @Test
        void flagsAPumpWhoseFirstStateIsNotOff() {
            pumps.given(created("{\"deviceType\":\"pump\"}", "{}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"idle\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"idle\"}", 2, 2, null),
                            new InvalidStateTransitionReported(DEVICE, "pump", null, "idle", 3));
        }

        @Test
        void keepsTheDefaultMachineForAnotherDeviceType() {
            pumps.given(created("{\"deviceType\":\"fan\"}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"running\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"running\"}", 3, 3, null));
        }

        @Test
        void flagsAPumpStateReportedByATwinOfAnotherType() {
            pumps.given(created("{\"deviceType\":\"fan\"}", "{}"), reportedPatched("{\"state\":\"idle\"}", 2, 2, null))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"on\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"on\"}", 3, 3, null),
                            new InvalidStateTransitionReported(DEVICE, "fan", "idle", "on", 4));
        }

        @Test
        void keepsTheDefaultMachineForATwinWithoutAType() {
            pumps.given(created("{}", "{}"))
                    .when(new PatchReportedProperties(DEVICE, json("{\"state\":\"off\"}"), null))
                    .expectEvents(reportedPatched("{\"state\":\"off\"}", 2, 2, null),
                            new InvalidStateTransitionReported(DEVICE, "default", null, "off", 3));
        }
    }

    @Nested
    class Audit {

        @Test
        void eventsCarryTheAuditMetadataOfTheirCommand() {
            fixture.registerCommandHandlerInterceptor(new CorrelationDataInterceptor<>(AuditCorrelationAccess.provider()));
            AtomicReference<String> commandId = new AtomicReference<>();
            MessageDispatchInterceptor<CommandMessage<?>> captureId = messages -> (index, message) -> {
                commandId.set(message.getIdentifier());
                return message;
            };
            fixture.registerCommandDispatchInterceptor(captureId);

            fixture.given(created("{}", "{\"t\":20}"))
                    .when(new UpdateShadow(DEVICE, json("{\"t\":22}"), json("{\"t\":21}"), null, null),
                            Map.of(AuditMetadata.PRINCIPAL, "alice", AuditMetadata.CHANNEL, "api",
                                    AuditMetadata.CORRELATION_ID, "corr-7", "unrelated", "dropped"))
                    .expectEventsMatching(events("all carry the command's audit metadata", events -> {
                        assertThat(events).hasSize(2);
                        for (EventMessage<?> event : events) {
                            assertThat(event.getMetaData())
                                    .containsEntry(AuditMetadata.PRINCIPAL, "alice")
                                    .containsEntry(AuditMetadata.CHANNEL, "api")
                                    .containsEntry(AuditMetadata.CORRELATION_ID, "corr-7")
                                    .containsEntry(AuditMetadata.CAUSATION_ID, commandId.get())
                                    .doesNotContainKey("unrelated");
                        }
                    }));
        }
    }

    @Nested
    class EventTimes {

        @Test
        void stampsStateWithTheEventTimestamp() {
            Instant createdAt = Instant.parse("2024-05-01T10:00:00.123456789Z");
            Instant patchedAt = Instant.parse("2024-05-01T11:30:00.987654321Z");

            fixture.givenCurrentTime(createdAt)
                    .andGiven(created("{}", "{\"t\":20,\"mode\":\"eco\"}"))
                    .andGivenCurrentTime(patchedAt)
                    .when(new PatchTwin(DEVICE, null, json("{\"t\":21}"), null))
                    .expectResultMessagePayloadMatching(result("is stamped with the event times", r -> {
                        String now = Timestamps.format(fixture.currentTime());
                        assertThat(now).isEqualTo("2024-05-01T11:30:00.987Z");
                        assertThat(r.twin().at("/properties/desired/$metadata/$lastUpdated").textValue())
                                .isEqualTo(now);
                        assertThat(r.twin().at("/properties/desired/$metadata/t/$lastUpdated").textValue())
                                .isEqualTo(now);
                        assertThat(r.twin().at("/properties/desired/$metadata/mode/$lastUpdated").textValue())
                                .isEqualTo("2024-05-01T10:00:00.123Z");
                        assertThat(r.twin().at("/properties/reported/$metadata/$lastUpdated").textValue())
                                .isEqualTo("2024-05-01T10:00:00.123Z");
                        assertThat(r.twin().get("statusUpdatedTime").textValue())
                                .isEqualTo("2024-05-01T10:00:00.123Z");
                    }));
        }

        @Test
        void stampsLastActivityWithTheReportedEventTimestamp() {
            Instant reportedAt = Instant.parse("2024-06-02T08:15:30.000500Z");

            fixture.givenCurrentTime(Instant.parse("2024-06-01T00:00:00Z"))
                    .andGiven(created("{}", "{}"))
                    .andGivenCurrentTime(reportedAt)
                    .when(new PatchReportedProperties(DEVICE, json("{\"t\":1}"), null))
                    .expectResultMessagePayloadMatching(result("shows the report time", r -> {
                        assertThat(r.twin().get("lastActivityTime").textValue())
                                .isEqualTo(Timestamps.format(fixture.currentTime()))
                                .isEqualTo("2024-06-02T08:15:30Z");
                        assertThat(r.twin().at("/properties/reported/$metadata/t/$lastUpdated").textValue())
                                .isEqualTo("2024-06-02T08:15:30Z");
                    }));
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static ObjectNode empty() {
        return MAPPER.createObjectNode();
    }

    private static TwinCreated created(String tags, String desired) {
        return new TwinCreated(DEVICE, DEVICE, null, json(tags), json(desired), 1, 1, 1);
    }

    private static TwinPatched patchedDesired(String desired, long desiredVersion, long version) {
        return new TwinPatched(DEVICE, null, json(desired), desiredVersion, version);
    }

    private static ReportedPropertiesPatched reportedPatched(String patch, long reportedVersion, long version,
                                                             String key) {
        return new ReportedPropertiesPatched(DEVICE, json(patch), reportedVersion, version, key);
    }

    /** A created twin followed by {@code count} reported patches with keys key-0 .. key-(count-1). */
    private static List<Object> createdWithReportedKeys(int count) {
        List<Object> events = new ArrayList<>();
        events.add(created("{}", "{}"));
        for (int i = 0; i < count; i++) {
            events.add(new ReportedPropertiesPatched(DEVICE, MAPPER.createObjectNode().put("n", i), i + 2, i + 2,
                    "key-" + i));
        }
        return events;
    }

    /** {@code keys} string properties k0.. of {@code chars} characters each. */
    private static ObjectNode bigSection(int keys, int chars) {
        ObjectNode section = MAPPER.createObjectNode();
        for (int i = 0; i < keys; i++) {
            section.put("k" + i, "x".repeat(chars));
        }
        return section;
    }

    /** {"l1":{"l2":...{"l<levels>":{"leaf":1}}}}: objects nested {@code levels} deep below the section. */
    private static ObjectNode nestedObjects(int levels) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode current = root;
        for (int i = 1; i <= levels; i++) {
            current = current.putObject("l" + i);
        }
        current.put("leaf", 1);
        return root;
    }

    private static Matcher<TwinWriteResult> result(String description, Consumer<TwinWriteResult> assertions) {
        return satisfies(TwinWriteResult.class, description, assertions);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Matcher<List<EventMessage<?>>> events(String description,
                                                        Consumer<List<EventMessage<?>>> assertions) {
        return satisfies((Class<List<EventMessage<?>>>) (Class) List.class, description, assertions);
    }

    private static Matcher<TwinException> refusal(ErrorKind kind, String code) {
        return satisfies(TwinException.class, "is a " + kind + " refusal " + code, e -> {
            assertThat(e.error().kind()).as("kind").isEqualTo(kind);
            assertThat(e.error().code()).as("code").isEqualTo(code);
        });
    }

    private static Matcher<TwinException> refusal(ErrorKind kind, String code, String path) {
        return satisfies(TwinException.class, "is a " + kind + " refusal " + code + " at " + path, e -> {
            assertThat(e.error().kind()).as("kind").isEqualTo(kind);
            assertThat(e.error().code()).as("code").isEqualTo(code);
            assertThat(e.error().path()).as("path").isEqualTo(path);
        });
    }
}
