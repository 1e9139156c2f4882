package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The device channel's connection: the embedded broker unless {@code twin.mqtt.host} names one, and the platform's
 * one MQTT 5 client, connected before any module subscribes (the command side reads {@code reported}, {@code get}
 * and {@code connection}, the history side {@code telemetry}, each through a shared subscription). The client
 * reconnects by itself and subscribes again when the broker lost its session.
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

    @Bean(destroyMethod = "")
    Mqtt5AsyncClient mqttClient(MqttSettings settings, ObjectProvider<EmbeddedBroker> embedded) throws Exception {
        EmbeddedBroker broker = settings.embedded() ? embedded.getObject() : null;
        String host = broker != null ? "127.0.0.1" : settings.host();
        int port = broker != null ? broker.port() : settings.port();
        String user = broker != null ? DeviceAuthorisation.PLATFORM_USER : settings.username();
        String password = broker != null ? broker.platformPassword() : settings.password();
        String clientId = settings.clientId().isBlank() ? "twin-platform-" + UUID.randomUUID() : settings.clientId();
        var builder = Mqtt5Client.builder().identifier(clientId).serverHost(host).serverPort(port)
                .automaticReconnectWithDefaultConfig();
        if (!user.isBlank()) {
            builder = builder.simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth();
        }
        Mqtt5AsyncClient client = builder.buildAsync();
        client.connectWith().cleanStart(true).send().get(30, TimeUnit.SECONDS);
        log.info("device channel connected to MQTT broker {}:{} as {}", host, port, clientId);
        return client;
    }

    /** Disconnects the client before the broker (which depends on it) stops. */
    @Bean
    AutoCloseable mqttClientCloser(Mqtt5AsyncClient client) {
        return () -> {
            try {
                client.disconnect().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("MQTT disconnect at shutdown failed", e);
            }
        };
    }
}
