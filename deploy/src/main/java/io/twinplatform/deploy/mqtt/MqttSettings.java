package io.twinplatform.deploy.mqtt;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The device channel's broker ({@code twin.mqtt.*}). With no {@code host} the platform starts an embedded broker on
 * {@code port} ({@code TWIN_MQTT_PORT}, default 1883; a free port when that one is taken, with a log line) and
 * connects to it; with a {@code host} it connects to that broker as {@code username}/{@code password}.
 *
 * @param enabled          false runs the platform without a device channel
 * @param host             an external broker's host; empty starts the embedded broker
 * @param port             the broker's port (0: any free port, for tests)
 * @param username         the platform's user name at an external broker
 * @param password         the platform's password at an external broker
 * @param clientId         the platform's MQTT client id; empty gives a random one per start (several instances)
 * @param deviceSecret     the fleet secret device passwords derive from (embedded broker); empty keeps one in
 *                         {@code <TWIN_DATA_DIR>/mqtt/device-secret}, made on first start
 * @param maxBacklog       (embedded broker, write side on) device messages on {@code reported}, {@code get} and
 *                         {@code connection} in the platform's hands at once (taken at the broker's edge, not yet
 *                         answered); over it, device publishes wait unacknowledged ({@link BrokerAdmission}). Default
 *                         512: enough to fill every group-commit batch, and each one in hand is held at the broker as
 *                         a waiting one is (see {@code maxWaiting}); at 2048 the commits fell under a long overload
 *                         (docs/performance.md). An external broker has no such limit
 * @param admissionTimeout (embedded broker) how long a device publish may wait for a place before the broker refuses
 *                         it with PUBACK {@code QUOTA_EXCEEDED} (nothing taken; the device may send it again).
 *                         Default 10 s
 * @param maxWaiting       (embedded broker) device publishes that may wait for a place at once; over it, a publish is
 *                         refused at once with PUBACK {@code QUOTA_EXCEEDED}. Each waiting publish costs HiveMQ's
 *                         extension threads a visit whenever they look for work, so waiting publishes must stay few:
 *                         5,000 of them took half the CPU and the commits fell tenfold (docs/performance.md).
 *                         Default 256
 */
@ConfigurationProperties("twin.mqtt")
public record MqttSettings(@DefaultValue("true") boolean enabled,
                           @DefaultValue("") String host,
                           @DefaultValue("1883") int port,
                           @DefaultValue("") String username,
                           @DefaultValue("") String password,
                           @DefaultValue("") String clientId,
                           @DefaultValue("") String deviceSecret,
                           @DefaultValue("512") int maxBacklog,
                           @DefaultValue("10s") Duration admissionTimeout,
                           @DefaultValue("256") int maxWaiting) {

    boolean embedded() {
        return host == null || host.isBlank();
    }
}
