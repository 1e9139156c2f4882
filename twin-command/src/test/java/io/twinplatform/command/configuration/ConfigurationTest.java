package io.twinplatform.command.configuration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.configuration.ConfigurationCreated;
import io.twinplatform.api.configuration.ConfigurationDeleted;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.configuration.ConfigurationUpdated;
import io.twinplatform.api.configuration.DeleteConfiguration;
import io.twinplatform.api.configuration.PutConfiguration;
import io.twinplatform.api.configuration.ConfigurationWriteResult;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.twinplatform.command.twin.Satisfies.satisfies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configuration aggregate: what it records for each command, and what it refuses without recording anything. */
class ConfigurationTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final String ID = "telemetry-5m";

    private AggregateTestFixture<Configuration> fixture;

    @BeforeEach
    void fixture() {
        fixture = new AggregateTestFixture<>(Configuration.class);
    }

    @Test
    void aNewConfigurationIsCreatedAtVersion1() {
        ConfigurationSpec spec = spec("tags.environment='prod'", 10, "5m");

        fixture.givenNoPriorActivity()
                .when(new PutConfiguration(ID, spec, null, false))
                .expectSuccessfulHandlerExecution()
                .expectResultMessagePayload(new ConfigurationWriteResult(1, true))
                .expectEvents(created(spec, 1));
    }

    @Test
    void targetPriorityMetricsAndLabelsMayChangeAndEachChangeIsOneEvent() {
        ConfigurationSpec before = spec("tags.environment='prod'", 10, "5m");
        ConfigurationSpec after = spec("tags.environment='test'", 20, "5m");

        fixture.given(created(before, 1))
                .when(new PutConfiguration(ID, after, 1L, false))
                .expectResultMessagePayload(new ConfigurationWriteResult(2, false))
                .expectEvents(new ConfigurationUpdated(ID, "tags.environment='test'", 20, after.metrics(),
                        after.labels(), 2));
    }

    @Test
    void theSameConfigurationAgainRecordsNothing() {
        ConfigurationSpec spec = spec("tags.environment='prod'", 10, "5m");

        fixture.given(created(spec, 1))
                .when(new PutConfiguration(ID, spec, null, false))
                .expectResultMessagePayload(new ConfigurationWriteResult(1, false))
                .expectNoEvents();
    }

    @Test
    void contentCannotChange() {
        fixture.given(created(spec("*", 1, "5m"), 1))
                .when(new PutConfiguration(ID, spec("*", 1, "1m"), null, false))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.UNPROCESSABLE, "contentImmutable"));
    }

    @Test
    void aStaleEtagOrIfNoneMatchChangesNothing() {
        ConfigurationSpec spec = spec("*", 1, "5m");

        fixture.given(created(spec, 1))
                .when(new PutConfiguration(ID, spec("*", 2, "5m"), 7L, false))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "etagMismatch"));
        fixture.given(created(spec, 1))
                .when(new PutConfiguration(ID, spec, null, true))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.PRECONDITION_FAILED, "configurationExists"));
    }

    @Test
    void deleteWithdrawsAndAnotherPutCreatesItAgainAtTheNextVersion() {
        ConfigurationSpec spec = spec("*", 1, "5m");

        fixture.given(created(spec, 1))
                .when(new DeleteConfiguration(ID, 1L))
                .expectResultMessagePayload(2L)
                .expectEvents(new ConfigurationDeleted(ID, 2));
        fixture.given(created(spec, 1), new ConfigurationDeleted(ID, 2))
                .when(new PutConfiguration(ID, spec("*", 1, "1m"), null, false))
                .expectEvents(created(spec("*", 1, "1m"), 3));
    }

    @Test
    void deletingOrGuardingWhatDoesNotExistIsNotFound() {
        fixture.givenNoPriorActivity()
                .when(new DeleteConfiguration(ID, null))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.NOT_FOUND, "configurationNotFound"));
        fixture.given(created(spec("*", 1, "5m"), 1), new ConfigurationDeleted(ID, 2))
                .when(new DeleteConfiguration(ID, null))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.NOT_FOUND, "configurationNotFound"));
    }

    @Test
    void itsEventStoreIdentifierCanNeverBeATwinsId() {
        PutConfiguration put = new PutConfiguration("dev-1", spec("*", 1, "5m"), null, false);

        assertThat(put.aggregateId()).isEqualTo("configuration#dev-1");
        assertThat(new DeleteConfiguration("dev-1", null).aggregateId()).isEqualTo(put.aggregateId());
        assertThatThrownBy(() -> TwinId.parse(put.aggregateId())).isInstanceOf(TwinException.class);
    }

    private static Matcher<TwinException> refusal(ErrorKind kind, String code) {
        return satisfies(TwinException.class, "is a " + kind + " refusal " + code, e -> {
            assertThat(e.error().kind()).as("kind").isEqualTo(kind);
            assertThat(e.error().code()).as("code").isEqualTo(code);
        });
    }

    private static ConfigurationCreated created(ConfigurationSpec spec, long version) {
        return new ConfigurationCreated(ID, spec.targetCondition(), spec.priority(), spec.deviceContent(),
                spec.moduleContent(), spec.metrics(), spec.labels(), spec.staged(), version);
    }

    private static ConfigurationSpec spec(String target, int priority, String frequency) {
        return ConfigurationSpec.parse(ID, json("{`targetCondition`:`" + target + "`,`priority`:" + priority
                + ",`content`:{`deviceContent`:{`properties.desired.telemetryConfig`:{`sendFrequency`:`"
                + frequency + "`}}},`metrics`:{`queries`:{`compliant`:`SELECT deviceId FROM devices WHERE"
                + " properties.reported.telemetryConfig.status='Success'`}},`labels`:{`team`:`ops`}}"));
    }

    private static JsonNode json(String backQuoted) {
        try {
            return JSON.readTree(backQuoted.replace('`', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(backQuoted, e);
        }
    }
}
