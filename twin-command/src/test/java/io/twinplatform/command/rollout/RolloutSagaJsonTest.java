package io.twinplatform.command.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutSpec;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.deadline.DeadlineManager;
import org.axonframework.messaging.ScopeDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The saga store keeps sagas as JSON (the platform's Jackson serializer): a saga that does not round-trip would lose
 * its rollout's state silently at the next event. Its resources are not part of it.
 */
class RolloutSagaJsonTest {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();
    private static final JacksonSerializer SERIALIZER = JacksonSerializer.builder().objectMapper(MAPPER).build();

    @Test
    void aSagaInMidRolloutRoundTripsThroughJackson() throws Exception {
        RolloutSaga saga = new RolloutSaga();
        saga.setCommands(DefaultCommandGateway.builder().commandBus(SimpleCommandBus.builder().build()).build());
        saga.setDeadlines(new IgnoredDeadlines());
        Instant at = Instant.parse("2026-11-24T08:00:00Z");
        saga.on(RolloutSagaTest.started(RolloutSpec.OnFailure.PAUSE));
        saga.on(new RolloutDecided("firmware-2-5", RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0, "started",
                false, 2), at);
        saga.on(new RolloutObserved("firmware-2-5", 0, Map.of(0, new PhaseCounts(10, 10, 10, 0)), 3),
                at.plusSeconds(5));

        SerializedObject<String> stored = SERIALIZER.serialize(saga, String.class);
        RolloutSaga read = SERIALIZER.deserialize(new SimpleSerializedObject<>(stored.getData(), String.class,
                new SimpleSerializedType(RolloutSaga.class.getName(), null)));

        assertThat(read).usingRecursiveComparison().ignoringFields("commands", "deadlines").isEqualTo(saga);
        assertThat(MAPPER.readTree(stored.getData()).path("successSince").isMissingNode()).isFalse();
        assertThat(stored.getData()).doesNotContain("commands").doesNotContain("deadlines");
    }

    /** Deadlines outside a saga manager's scope: what the saga schedules is not under test here. */
    private static final class IgnoredDeadlines implements DeadlineManager {

        @Override
        public String schedule(Instant at, String name, Object payload, ScopeDescriptor scope) {
            return name;
        }

        @Override
        public String schedule(Instant at, String name, Object payload) {
            return name;
        }

        @Override
        public void cancelSchedule(String name, String id) {
        }

        @Override
        public void cancelAll(String name) {
        }

        @Override
        public void cancelAllWithinScope(String name) {
        }

        @Override
        public void cancelAllWithinScope(String name, ScopeDescriptor scope) {
        }

        @Override
        public void shutdown() {
        }

        @Override
        public org.axonframework.common.Registration registerDispatchInterceptor(
                org.axonframework.messaging.MessageDispatchInterceptor<? super org.axonframework.deadline.DeadlineMessage<?>> i) {
            return () -> true;
        }

        @Override
        public org.axonframework.common.Registration registerHandlerInterceptor(
                org.axonframework.messaging.MessageHandlerInterceptor<? super org.axonframework.deadline.DeadlineMessage<?>> i) {
            return () -> true;
        }
    }
}
