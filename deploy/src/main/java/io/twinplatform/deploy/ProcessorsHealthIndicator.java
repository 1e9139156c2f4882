package io.twinplatform.deploy;

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
            if (!"running".equals(state)) {
                health.down();
            }
            health.withDetail(entry.getKey(), state);
        }
        return health.build();
    }
}
