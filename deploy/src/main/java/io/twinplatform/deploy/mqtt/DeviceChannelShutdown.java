package io.twinplatform.deploy.mqtt;

import org.axonframework.spring.config.SpringAxonConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the device channel at its place in the platform's stop: after the web server has drained and the event
 * processors have stopped (Axon's lifecycle phase is higher, so it stops first), and before the database (closed
 * after every lifecycle phase, when its bean is destroyed). The platform's MQTT clients disconnect, then the embedded
 * broker (if this platform runs one) stops, so devices see their connection closed and reconnect to the next start.
 * Without this, the broker was closed at bean destruction in whatever order Spring found. Each step is bounded
 * (5 s per client disconnect, 10 s for the broker).
 */
final class DeviceChannelShutdown implements SmartLifecycle {

    /** Below Axon's phase, which holds the event processors: stops after them. */
    static final int PHASE = SpringAxonConfiguration.LIFECYCLE_PHASE - 1024;

    private static final Logger log = LoggerFactory.getLogger(DeviceChannelShutdown.class);

    private final MqttConnector connector;
    private final EmbeddedBroker broker;
    private volatile boolean running;

    /** {@code broker}: null when the platform uses an external broker. */
    DeviceChannelShutdown(MqttConnector connector, EmbeddedBroker broker) {
        this.connector = connector;
        this.broker = broker;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        connector.close();
        if (broker != null) {
            try {
                broker.close();
            } catch (Exception e) {
                log.warn("the embedded MQTT broker did not stop cleanly", e);
            }
        }
        log.info("device channel closed{}", broker != null ? " and embedded MQTT broker stopped" : "");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
