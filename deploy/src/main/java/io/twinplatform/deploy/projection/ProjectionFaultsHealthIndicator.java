package io.twinplatform.deploy.projection;

import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code DEGRADED} while a projection has quarantined a twin or a processor keeps retrying a batch, naming the
 * processor, the twin, the event and the error; UP otherwise. DEGRADED answers HTTP 200 and ranks between DOWN and
 * UP (application.yml), and this component is not part of the readiness group: the rest of the fleet is served
 * while an operator looks (GET /admin/projections) and acts (retry, replay).
 */
@Component("projectionFaults")
class ProjectionFaultsHealthIndicator implements HealthIndicator {

    static final Status DEGRADED = new Status("DEGRADED",
            "a projection skips some twins or retries a batch; the rest is served");
    /** Faults named per processor in the health answer; GET /admin/projections lists them all. */
    private static final int SHOWN = 10;

    private final ProjectionFaults faults;
    private final EventProcessingConfiguration processing;

    ProjectionFaultsHealthIndicator(ProjectionFaults faults, EventProcessingConfiguration processing) {
        this.faults = faults;
        this.processing = processing;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        faults.all().forEach((processor, open) -> {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("quarantinedTwins", open.size());
            detail.put("faults", open.stream().limit(SHOWN).map(ProjectionFaults.Fault::view).toList());
            details.put(processor, detail);
        });
        for (Map.Entry<String, EventProcessor> entry : processing.eventProcessors().entrySet()) {
            if (entry.getValue() instanceof StreamingEventProcessor streaming) {
                faults.stall(streaming).ifPresent(stall -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> detail = (Map<String, Object>) details.computeIfAbsent(entry.getKey(),
                            name -> new LinkedHashMap<String, Object>());
                    detail.put("stalled", stall.view());
                });
            }
        }
        return details.isEmpty() ? Health.up().build() : Health.status(DEGRADED).withDetails(details).build();
    }
}
