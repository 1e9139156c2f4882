package io.twinplatform.deploy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.command.twin.TwinCommandTargetResolver;
import org.axonframework.common.IdentifierFactory;
import org.axonframework.config.Configuration;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/** The cheap parts of the write path (#17) are what the running platform uses. */
class WritePathWiringTest extends PlatformTestSupport {

    @Autowired
    Configuration axon;

    @Autowired
    MeterRegistry meters;

    @Test
    void aggregatesFindTheirTargetThroughTheTwinResolver() {
        // Axon's aggregate configuration asks the configuration for this component, else uses the annotation one.
        assertThat(axon.getComponent(CommandTargetResolver.class)).isInstanceOf(TwinCommandTargetResolver.class);
    }

    @Test
    void axonTakesMessageIdentifiersFromRandomIds() {
        assertThat(IdentifierFactory.getInstance()).isInstanceOf(RandomIds.class);
    }

    @Test
    void timesTwinReadsButNotTheHotTwinWrites() throws InterruptedException {
        String id = createDevice("{}");
        assertThat(http.patch("/twins/" + id, q("{'tags':{'a':1}}")).status()).isEqualTo(200);
        assertThat(http.patch("/twins/" + id + "/properties/reported", q("{'t':1}")).status()).isEqualTo(200);
        assertThat(http.get("/twins/" + id).status()).isEqualTo(200);

        // The server records a request after its answer is sent: wait for the read's timer.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (timer("GET", "/twins/{deviceId}") == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(timer("GET", "/twins/{deviceId}")).as("GET /twins/{deviceId} is timed").isNotNull();
        assertThat(timer("PUT", "/twins/{deviceId}")).isNull();
        assertThat(timer("PATCH", "/twins/{deviceId}")).isNull();
        assertThat(timer("PATCH", "/twins/{deviceId}/properties/reported")).isNull();
    }

    private Timer timer(String method, String uri) {
        return meters.find("http.server.requests").tag("method", method).tag("uri", uri).timer();
    }
}
