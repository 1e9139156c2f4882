package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The device channel's connections: the embedded broker unless {@code twin.mqtt.host} names one, and the platform's
 * MQTT 5 clients, each connected before its module subscribes (the command side reads {@code reported}, {@code get}
 * and {@code connection}, the history side {@code telemetry}, each through a shared subscription). Clients
 * reconnect by themselves and subscribe again when the broker lost their session.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.mqtt.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(MqttSettings.class)
class MqttConfiguration {

    private static final Logger log = LoggerFactory.getLogger(MqttConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    EmbeddedBroker embeddedBroker(MqttSettings settings, @Value("${twin.data-dir:${TWIN_DATA_DIR:./data}}") String dataDir) {
        return EmbeddedBroker.start(settings, Path.of(dataDir));
    }

    @Bean(destroyMethod = "close")
    MqttConnector mqttConnector(MqttSettings settings, ObjectProvider<EmbeddedBroker> embedded) {
        EmbeddedBroker broker = settings.embedded() ? embedded.getObject() : null;
        String clientId = settings.clientId().isBlank() ? "twin-platform-" + UUID.randomUUID() : settings.clientId();
        return broker != null
                ? new MqttConnector("127.0.0.1", broker.port(), DeviceAuthorisation.PLATFORM_USER,
                broker.platformPassword(), clientId)
                : new MqttConnector(settings.host(), settings.port(), settings.username(), settings.password(),
                clientId);
    }

    /** Disconnects the clients and stops the embedded broker after the event processors stopped. */
    @Bean
    DeviceChannelShutdown deviceChannelShutdown(MqttConnector connector, MqttSettings settings,
                                                ObjectProvider<EmbeddedBroker> embedded) {
        return new DeviceChannelShutdown(connector, settings.embedded() ? embedded.getObject() : null);
    }

    /**
     * A connected client for each user (device inbound, desired notifications, telemetry, each inbound connection):
     * a message is acknowledged only after it was handled, and a client acknowledges in order, so a slow reader
     * (telemetry waits for its batch to commit) must not hold back the acknowledgements of another.
     */
    @Bean
    @Scope("prototype")
    Mqtt5AsyncClient mqttClient(MqttConnector connector) {
        return connector.connect();
    }
}
