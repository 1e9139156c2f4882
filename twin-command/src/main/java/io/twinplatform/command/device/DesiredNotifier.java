package io.twinplatform.command.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.twinplatform.api.device.DesiredPush;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.ApplyConfigurations;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Tells a device its desired properties whenever a command that may change them (an operator's put or patch, a
 * configuration, a rollout, a job, a shadow update) changed its twin: once the change is committed, the whole
 * desired section with its {@code $version} goes to {@code twins/{id}[/modules/{m}]/desired}, and the desired keys
 * that differ from reported to {@code …/delta}. A whole section (not a patch) means a lost or repeated notification
 * can never leave a device wrong; a device ignores one whose {@code $version} it already holds. A notification lost
 * to a crash right after the commit is made good by the device's {@code get} on reconnect. The change's merge patch
 * also goes to every {@link DesiredPush} (a device of Azure's protocol is sent patches).
 */
@Component
class DesiredNotifier implements MessageHandlerInterceptor<CommandMessage<?>> {

    private static final Logger log = LoggerFactory.getLogger(DesiredNotifier.class);

    private final Mqtt5AsyncClient client;
    private final ObjectProvider<DesiredPush> pushProvider;
    /** Looked up at the first change, not while the application is wired (a push may need the broker started). */
    private volatile List<DesiredPush> pushes;

    /** Axon registers this bean with the command bus as a handler interceptor. */
    DesiredNotifier(ObjectProvider<Mqtt5AsyncClient> clients, ObjectProvider<DesiredPush> pushes) {
        this.client = clients.getIfAvailable();
        this.pushProvider = pushes;
    }

    @Override
    public Object handle(UnitOfWork<? extends CommandMessage<?>> unitOfWork, InterceptorChain chain)
            throws Exception {
        Object result = chain.proceed();
        if (client != null && result instanceof TwinWriteResult written && written.changed() && written.twin() != null
                && mayChangeDesired(unitOfWork.getMessage().getPayload())) {
            unitOfWork.afterCommit(u -> notify(written.twin()));
            if (written.desiredPatch() != null) {
                unitOfWork.afterCommit(u -> push(written));
            }
        }
        return result;
    }

    private static boolean mayChangeDesired(Object command) {
        return command instanceof PutTwin || command instanceof ApplyConfigurations
                || command instanceof PatchTwin patch && patch.desired() != null
                || command instanceof UpdateShadow shadow && shadow.desired() != null;
    }

    private void notify(ObjectNode twin) {
        TwinId id = new TwinId(twin.path("deviceId").asText(), twin.hasNonNull("moduleId")
                ? twin.get("moduleId").asText() : null);
        ObjectNode desired = ((ObjectNode) twin.path("properties").path("desired")).deepCopy();
        desired.remove("$metadata");
        publish(new TwinTopic(id, "desired"), desired);
        JsonNode delta = twin.path("delta");
        if (delta.isObject() && !delta.isEmpty()) {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.set("$version", desired.get("$version"));
            body.set("state", delta);
            publish(new TwinTopic(id, "delta"), body);
        }
    }

    private void push(TwinWriteResult written) {
        ObjectNode twin = written.twin();
        TwinId id = new TwinId(twin.path("deviceId").asText(), twin.hasNonNull("moduleId")
                ? twin.get("moduleId").asText() : null);
        long version = twin.path("properties").path("desired").path("$version").asLong();
        List<DesiredPush> targets = pushes;
        if (targets == null) {
            targets = pushProvider.orderedStream().toList();
            pushes = targets;
        }
        for (DesiredPush push : targets) {
            try {
                push.desiredChanged(id, written.desiredPatch(), version);
            } catch (RuntimeException e) {
                log.warn("desired change of {} not pushed", id, e);
            }
        }
    }

    private void publish(TwinTopic topic, ObjectNode body) {
        client.publishWith().topic(topic.text()).qos(MqttQos.AT_LEAST_ONCE).contentType("application/json")
                .payload(body.toString().getBytes(StandardCharsets.UTF_8)).send()
                .whenComplete((result, failure) -> {
                    if (failure != null) {
                        log.debug("notification on {} not published", topic.text(), failure);
                    }
                });
    }
}
