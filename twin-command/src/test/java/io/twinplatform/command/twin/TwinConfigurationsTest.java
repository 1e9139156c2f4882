package io.twinplatform.command.twin;

import io.twinplatform.api.device.DeviceStateMachines;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.configuration.ConfigurationCandidate;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinLimits;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.rollout.PhaseMembership;
import io.twinplatform.api.twin.ApplyConfigurations;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.command.configuration.TargetConditions;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.twinplatform.command.twin.Satisfies.satisfies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A twin offered configurations decides on its own state: the condition is evaluated on its tags as they are now,
 * a staged configuration only where its rollout admitted the twin, and the change is recorded under the
 * configuration that made it.
 */
class TwinConfigurationsTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final String DEVICE = "thermostat-0042";

    private AggregateTestFixture<Twin> fixture;

    @BeforeEach
    void fixture() {
        fixture = new AggregateTestFixture<>(Twin.class);
        fixture.registerInjectableResource(new TwinValidator(TwinLimits.AZURE));
        fixture.registerInjectableResource(DeviceStateMachines.defaults());
        fixture.registerInjectableResource(new InMemoryTwinRegistry());
        fixture.registerInjectableResource(new TargetConditions());
    }

    private static TwinCreated created(String tags, String desired) {
        return new TwinCreated(DEVICE, DEVICE, null, json(tags), json(desired), 1, 1, 1);
    }

    private static ConfigurationCandidate candidate(String id, String condition, String content, Admission admission) {
        return new ConfigurationCandidate(id, 1, 1, condition, json(content), admission);
    }

    @Test
    void aConfigurationWhoseConditionHoldsSetsItsContentAndIsRecordedUnderItsName() {
        fixture.given(created("{'environment':'prod'}", "{'interval':60}"))
                .when(GenericCommandMessage.asCommandMessage(new ApplyConfigurations(DEVICE, List.of(
                                candidate("telemetry", "tags.environment = 'prod'",
                                        "{'properties.desired.interval':300}", null),
                                candidate("lab", "tags.environment = 'lab'", "{'properties.desired.lab':true}", null)),
                        null)).andMetaData(MetaData.with(AuditMetadata.PRINCIPAL, "configuration:*")))
                .expectEventsMatching(onlyEvent("sets interval, under configuration:telemetry", event -> {
                    TwinConfigurationsApplied applied = (TwinConfigurationsApplied) event.getPayload();
                    assertThat(applied.desired()).isEqualTo(json("{'interval':300}"));
                    assertThat(applied.configurations()).containsOnlyKeys("telemetry");
                    assertThat(applied.configurations().get("telemetry").status()).isEqualTo("Applied");
                    assertThat(applied.configured().get(0).previous()).isEqualTo(MAPPER.getNodeFactory().numberNode(60));
                    assertThat(applied.desiredVersion()).isEqualTo(2);
                    assertThat(applied.version()).isEqualTo(2);
                    assertThat(event.getMetaData().get(AuditMetadata.PRINCIPAL)).isEqualTo("configuration:telemetry");
                }));
    }

    @Test
    void aConfigurationWhoseConditionDoesNotHoldRecordsNothing() {
        fixture.given(created("{'environment':'test'}", "{}"))
                .when(new ApplyConfigurations(DEVICE, List.of(candidate("telemetry", "tags.environment = 'prod'",
                        "{'properties.desired.interval':300}", null)), null))
                .expectNoEvents();
    }

    @Test
    void aStagedConfigurationReachesOnlyTheTwinsItsRolloutAdmitted() {
        List<Double> percents = List.of(50.0, 100.0);
        int phase = new PhaseMembership("r1", percents).phaseOf(DEVICE);
        Admission notYet = new Admission("r1", percents, phase - 1);
        Admission admitted = new Admission("r1", percents, phase);

        fixture.given(created("{}", "{}"))
                .when(new ApplyConfigurations(DEVICE, List.of(candidate("fw", "*", "{'properties.desired.fw':'2'}",
                        notYet)), null))
                .expectNoEvents();
        fixture.given(created("{}", "{}"))
                .when(new ApplyConfigurations(DEVICE, List.of(candidate("fw", "*", "{'properties.desired.fw':'2'}",
                        admitted)), null))
                .expectEventsMatching(onlyEvent("admitted in its phase", event -> {
                    TwinConfigurationsApplied applied = (TwinConfigurationsApplied) event.getPayload();
                    assertThat(applied.configurations().get("fw").rolloutId()).isEqualTo("r1");
                    assertThat(applied.configurations().get("fw").phase()).isEqualTo(phase);
                    assertThat(applied.configured().get(0).rolloutId()).isEqualTo("r1");
                }));
    }

    @Test
    void aDeletedTwinRefusesConfigurations() {
        fixture.given(created("{}", "{}"), new TwinDeleted(DEVICE, 2))
                .when(new ApplyConfigurations(DEVICE, List.of(candidate("a", "*", "{'properties.desired.x':1}", null)),
                        null))
                .expectException(TwinException.class)
                .expectNoEvents();
    }

    @Test
    void theConfigurationsShowInTheTwinDocument() {
        fixture.given(created("{}", "{}"))
                .when(new ApplyConfigurations(DEVICE, List.of(candidate("a", "*", "{'properties.desired.x':1}", null)),
                        null))
                .expectResultMessagePayloadMatching(satisfies(io.twinplatform.api.twin.TwinWriteResult.class,
                        "shows configurations.a.status", result ->
                                assertThat(result.twin().at("/configurations/a/status").asText())
                                        .isEqualTo("Applied")));
    }

    private static org.hamcrest.Matcher<List<? super EventMessage<?>>> onlyEvent(String description,
                                                                               java.util.function.Consumer<EventMessage<?>> check) {
        return new org.hamcrest.TypeSafeMatcher<>() {
            @Override
            protected boolean matchesSafely(List<? super EventMessage<?>> events) {
                if (events.size() != 1) {
                    return false;
                }
                check.accept((EventMessage<?>) events.get(0));
                return true;
            }

            @Override
            public void describeTo(org.hamcrest.Description text) {
                text.appendText("one event that " + description);
            }
        };
    }

    private static ObjectNode json(String singleQuoted) {
        try {
            return (ObjectNode) MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }
}
