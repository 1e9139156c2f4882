package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.device.DeviceMessageHandler;
import io.twinplatform.api.device.DesiredPush;
import io.twinplatform.api.device.DeviceMethodChannel;
import io.twinplatform.api.device.ShadowPush;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.deploy.DataSettings;
import io.twinplatform.deploy.provisioning.Enrollment;
import io.twinplatform.deploy.provisioning.EnrollmentProvisioner;
import io.twinplatform.deploy.provisioning.EnrollmentStore;
import io.twinplatform.deploy.security.SecuritySettings;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.scheduling.TaskScheduler;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * The device channel's connections: the embedded broker unless {@code twin.mqtt.host} names one, and the platform's
 * MQTT 5 clients (over TLS to the embedded broker), each connected before its module subscribes (the one
 * {@link DeviceReader} of device topics, for the command side's {@code reported}, {@code get} and {@code connection} and
 * the history side's {@code telemetry}, each through a shared subscription). Clients reconnect by themselves and subscribe again when the broker lost their session.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.mqtt.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(MqttSettings.class)
class MqttConfiguration {

    private static final Logger log = LoggerFactory.getLogger(MqttConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    EmbeddedBroker embeddedBroker(MqttSettings settings,
                                  DataSettings data,
                                  ObjectProvider<BrokerAdmission> admission, DeviceGate gate) {
        return EmbeddedBroker.start(settings, data.path(), admission.getIfAvailable(), gate);
    }

    /**
     * A device's credentials as the embedded broker checks them, for its own HTTP access too (there are device keys
     * only with the embedded broker); a decision that admits a device is kept for {@code twin.security.key-cache-ttl}.
     */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    DeviceCredentials deviceCredentials(EmbeddedBroker broker, DeviceGate gate, SecuritySettings security) {
        return new DeviceCredentials(broker.deviceKeys(), gate, security.keyCacheTtl());
    }

    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    DeviceDisconnects deviceDisconnects(EmbeddedBroker broker, DeviceCredentials credentials) {
        return new DeviceDisconnects(broker, credentials);
    }

    /**
     * A device presents the generation of its key the key store names (revoked: none), and may connect unless its
     * twin is disabled, as the read side shows it (so a twin disabled a moment ago may still let a connect through;
     * the disconnect on its event follows). A twin not created yet lets its device into the broker, as before (HTTP
     * refuses it, {@link DeviceCredentials}); without a read side in this process, every device with a right key is
     * let in. A device that has no twin and that an enrollment group takes gets its twin from the group once its key
     * checks out, or is refused if the group is disabled (zero-touch provisioning).
     */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    DeviceGate deviceGate(ObjectProvider<QueryGateway> queries, ObjectProvider<DeviceKeyStore> deviceKeys,
                          ObjectProvider<EnrollmentStore> enrollments,
                          ObjectProvider<EnrollmentProvisioner> provisioner) {
        // Both lookups block on PostgreSQL (the query bus answers on the caller's thread): off HiveMQ's threads, and
        // off the common pool, which has one thread on two cores.
        ThreadFactory threads = DaemonThreads.named("mqtt-device-gate-");
        Executor lookups = Executors.newFixedThreadPool(4, threads);
        return twinId -> CompletableFuture.supplyAsync(() -> {
            DeviceKeyStore store = deviceKeys.getIfAvailable();
            DeviceKeyStore.State key = store == null ? DeviceKeyStore.State.DERIVED : store.state(twinId.value());
            ObjectNode twin = twin(queries, twinId);
            String refusal = twin != null && "disabled".equals(twin.path("status").asText())
                    ? "the twin " + twinId.value() + " is disabled" : null;
            DeviceGate.Provisioning provisioning = twin != null || twinId.isModule() || !DeviceKeyStore.State.DERIVED.equals(key)
                    ? null : provisioning(twinId, enrollments, provisioner, lookups);
            return new DeviceGate.Decision(key.generation(), key.revoked(), refusal, twin != null, provisioning);
        }, lookups);
    }

    /** What the enrollment group that takes a device with no twin says, or null when none does. */
    private static DeviceGate.Provisioning provisioning(TwinId twinId, ObjectProvider<EnrollmentStore> enrollments,
                                                        ObjectProvider<EnrollmentProvisioner> provisioner,
                                                        Executor lookups) {
        EnrollmentStore store = enrollments.getIfAvailable();
        EnrollmentProvisioner creator = provisioner.getIfAvailable();
        Enrollment enrollment = store == null || creator == null ? null : store.match(twinId.deviceId()).orElse(null);
        if (enrollment == null) {
            return null;
        }
        return new DeviceGate.Provisioning() {
            @Override
            public String enrollmentId() {
                return enrollment.id();
            }

            @Override
            public boolean enabled() {
                return enrollment.enabled();
            }

            @Override
            public CompletableFuture<?> provision() {
                return CompletableFuture.runAsync(() -> creator.provision(twinId, enrollment), lookups);
            }
        };
    }

    /**
     * The twin as the read side shows it, or null when there is no such twin; an empty document when no read side
     * answers in this process (nothing known against it).
     */
    private static ObjectNode twin(ObjectProvider<QueryGateway> queries, TwinId twinId) {
        QueryGateway gateway = queries.getIfAvailable();
        if (gateway == null) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            return gateway.query(new FindTwin(twinId.value()), ObjectNode.class).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoHandlerForQueryException) {
                return JsonNodeFactory.instance.objectNode();
            }
            throw e;
        }
    }

    /**
     * The embedded broker's edge, where the platform takes device messages and the device gets its PUBACK once the
     * platform answered (the write side is on; {@link DeviceReader} opens it). Its figures: the gauges
     * {@code twin.devices.admission.backlog} (messages in the platform's hands; at most
     * {@code twin.devices.admission.limit}) and {@code twin.devices.admission.suspended} (publishes waiting at the edge
     * now), and the counters {@code twin.devices.admission.suspensions} (publishes that had to wait), {@code …refused}
     * (refused after waiting {@code twin.mqtt.admission-timeout}, or at once when {@code twin.mqtt.max-waiting} wait
     * already) and {@code …unanswered} (taken but not answered: the
     * device was told to send again).
     */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    @ConditionalOnProperty(name = "twin.command.enabled", havingValue = "true", matchIfMissing = true)
    BrokerAdmission brokerAdmission(MqttSettings settings, MeterRegistry meters) {
        BrokerAdmission admission = new BrokerAdmission(settings.maxBacklog(), settings.admissionTimeout(),
                settings.maxWaiting());
        Gauge.builder("twin.devices.admission.backlog", admission, BrokerAdmission::backlog)
                .description("device messages handed to the platform at the broker's edge and not answered yet")
                .register(meters);
        Gauge.builder("twin.devices.admission.limit", admission, BrokerAdmission::limit)
                .description("the most device messages in the platform's hands at once (twin.mqtt.max-backlog)")
                .register(meters);
        Gauge.builder("twin.devices.admission.suspended", admission, BrokerAdmission::suspended)
                .description("device publishes held unacknowledged at the broker's edge, waiting for a place")
                .register(meters);
        FunctionCounter.builder("twin.devices.admission.suspensions", admission, BrokerAdmission::suspensions)
                .description("device publishes that had to wait for a place").register(meters);
        FunctionCounter.builder("twin.devices.admission.refused", admission, BrokerAdmission::refused)
                .description("device publishes refused (PUBACK QUOTA_EXCEEDED) after twin.mqtt.admission-timeout, or at"
                        + " once with twin.mqtt.max-waiting waiting already")
                .register(meters);
        FunctionCounter.builder("twin.devices.admission.unanswered", admission, BrokerAdmission::unanswered)
                .description("device messages taken at the edge that the platform could not answer (PUBACK"
                        + " UNSPECIFIED_ERROR: send again)")
                .register(meters);
        return admission;
    }

    /** Direct methods reach devices through the embedded broker (which knows who is connected). */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    DeviceMethodChannel deviceMethodChannel(EmbeddedBroker broker) {
        return broker.methods();
    }

    /** Desired changes reach devices of Azure's protocol as patches, through the embedded broker. */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    DesiredPush azureDesiredPush(EmbeddedBroker broker) {
        return broker.azure();
    }

    /**
     * Changes of desired and reported properties reach devices of AWS's shadow protocol (update/documents and
     * update/delta), through the embedded broker.
     */
    @Bean
    @ConditionalOnExpression("'${twin.mqtt.host:}'.isEmpty()")
    ShadowPush awsShadowPush(EmbeddedBroker broker) {
        return broker.aws();
    }

    /**
     * {@value DeviceDisconnects#GROUP} subscribes: a device is disconnected once its twin is disabled or deleted,
     * right after that commit.
     */
    @Autowired
    void configureProcessors(EventProcessingConfigurer processing) {
        processing.registerSubscribingEventProcessor(DeviceDisconnects.GROUP);
    }

    /**
     * The one reader of device topics, for whichever modules handle them in this process (twin-command's
     * {@code reported}, {@code get} and {@code connection}; twin-history's {@code telemetry}).
     */
    @Bean(destroyMethod = "close")
    DeviceReader deviceReader(ObjectProvider<DeviceMessageHandler> handlers, MqttSettings settings,
                              MqttConnector connector, ObjectProvider<BrokerAdmission> admission,
                              CommandGateway commands, MeterRegistry meters, TaskScheduler scheduler) {
        return new DeviceReader(handlers.orderedStream().toList(), settings.sharedGroup(), connector::connect,
                edge(admission), commands, meters,
                scheduler);
    }

    /** The embedded broker's edge, or none: an external broker, or no write side in this process. */
    private static DeviceAdmission edge(ObjectProvider<BrokerAdmission> admission) {
        BrokerAdmission edge = admission.getIfAvailable();
        return edge == null ? DeviceAdmission.NONE : edge;
    }

    @Bean(destroyMethod = "close")
    MqttConnector mqttConnector(MqttSettings settings, ObjectProvider<EmbeddedBroker> embedded) {
        EmbeddedBroker broker = settings.embedded() ? embedded.getObject() : null;
        String clientId = settings.clientId().isBlank() ? "twin-platform-" + UUID.randomUUID() : settings.clientId();
        return broker != null
                ? new MqttConnector("127.0.0.1", broker.tlsPort(), DeviceAuthorisation.PLATFORM_USER,
                broker.platformPassword(), clientId, broker.tls().clientConfig())
                : new MqttConnector(settings.host(), settings.port(), settings.username(), settings.password(),
                clientId, null);
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
