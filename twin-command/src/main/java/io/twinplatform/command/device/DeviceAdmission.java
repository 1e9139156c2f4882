package io.twinplatform.command.device;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import java.util.List;

/**
 * The reader's side of admission control at the broker's edge. A broker that has it (the embedded one) counts the
 * device messages on {@link #KINDS} topics it lets through to the platform and holds back device publishes, still
 * unacknowledged, while that count is at its limit; the platform's part is to say when it is done with a message, so
 * that the broker lets the next one in. An external broker has no admission control: {@link #NONE}.
 */
public interface DeviceAdmission {

    /**
     * The kinds of device topic ({@code twins/{id}/<kind>} and {@code twins/{id}/modules/{m}/<kind>}) that the
     * platform reads here, and so the ones a broker counts. Telemetry has its own reader and is not counted.
     */
    List<String> KINDS = List.of("reported", "get", "connection");

    /** No admission control: every call does nothing. */
    DeviceAdmission NONE = publish -> {
    };

    /**
     * The platform is done with this delivery (answered and acknowledged, or refused and acknowledged). Called once
     * per delivery, from any thread; a delivery the broker did not count, or a repeated delivery of one, changes
     * nothing.
     */
    void handled(Mqtt5Publish publish);
}
