package io.twinplatform.deploy.projection;

import io.twinplatform.history.kafka.KafkaPublisher;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * UP once every event processor runs and none is in error; with the database indicator this makes
 * {@code /actuator/health} UP only when the platform can take and show writes.
 */
@Component("eventProcessors")
class ProcessorsHealthIndicator implements HealthIndicator {

    private final EventProcessingConfiguration processing;

    ProcessorsHealthIndicator(EventProcessingConfiguration processing) {
        this.processing = processing;
    }

    @Override
    public Health health() {
        Map<String, EventProcessor> processors = processing.eventProcessors();
        Health.Builder health = Health.up();
        for (Map.Entry<String, EventProcessor> entry : processors.entrySet()) {
            EventProcessor processor = entry.getValue();
            boolean error = processor instanceof StreamingEventProcessor streaming && streaming.isError();
            String state = !processor.isRunning() ? "stopped" : error ? "error" : "running";
            // A Kafka outage stalls only the stream (kafkaPublisher says so); the platform still takes and shows writes.
            if (!"running".equals(state) && !KafkaPublisher.PROCESSOR.equals(entry.getKey())) {
                health.down();
            }
            health.withDetail(entry.getKey(), state);
        }
        return health.build();
    }
}
