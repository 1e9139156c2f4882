package io.twinplatform.command.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.ShadowPush;
import io.twinplatform.api.model.JsonValues;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.ApplyConfigurations;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.api.twin.UpdateShadow;
import io.twinplatform.command.twin.Twin;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;

/**
 * Tells the {@link ShadowPush}es (AWS's {@code update/documents} and {@code update/delta}) of every committed change
 * to a twin's desired or reported properties, whoever made it: a device's report or shadow update, an operator's
 * put or patch, a configuration, a rollout, a job. Before a command that may change either section is decided, each
 * push is asked whether it {@linkplain ShadowPush#watches watches} the twin; only then does the twin render its shadow
 * before the command ({@link Twin#PREVIOUS_SHADOW}), so a fleet without such devices pays one look-up per write.
 * After the commit the pushes get the shadow before and the twin after, unless the command changed neither section
 * (a change of tags alone). No push: nothing at all.
 */
@Component
class ShadowNotifier implements MessageHandlerInterceptor<CommandMessage<?>> {

    private static final Logger log = LoggerFactory.getLogger(ShadowNotifier.class);

    private final ObjectProvider<ShadowPush> pushProvider;
    /** Looked up at the first command, not while the application is wired (a push may need the broker started). */
    private volatile List<ShadowPush> pushes;

    /** Axon registers this bean with the command bus as a handler interceptor. */
    ShadowNotifier(ObjectProvider<ShadowPush> pushes) {
        this.pushProvider = pushes;
    }

    @Override
    public Object handle(UnitOfWork<? extends CommandMessage<?>> unitOfWork, InterceptorChain chain)
            throws Exception {
        Object command = unitOfWork.getMessage().getPayload();
        if (!mayChangeShadow(command)) {
            return chain.proceed();
        }
        List<ShadowPush> targets = pushes;
        if (targets == null) {
            targets = pushProvider.orderedStream().toList();
            pushes = targets;
        }
        if (targets.isEmpty()) {
            return chain.proceed();
        }
        TwinId id;
        try {
            id = TwinId.parse(((TwinCommands) command).twinId());
        } catch (RuntimeException invalid) {
            // The handler refuses it.
            return chain.proceed();
        }
        List<ShadowPush> watching = targets.stream().filter(push -> push.watches(id)).toList();
        if (watching.isEmpty()) {
            return chain.proceed();
        }
        unitOfWork.transformMessage(message -> message.andMetaData(Map.of(Twin.PREVIOUS_SHADOW, Boolean.TRUE)));
        Object result = chain.proceed();
        if (result instanceof TwinWriteResult written && written.changed() && written.twin() != null
                && shadowChanged(written)) {
            String clientToken = command instanceof UpdateShadow update ? update.clientToken() : null;
            boolean desiredChanged = written.desiredPatch() != null;
            unitOfWork.afterCommit(u -> push(watching, id, written, desiredChanged, clientToken));
        }
        return result;
    }

    private static boolean mayChangeShadow(Object command) {
        return command instanceof PutTwin || command instanceof PatchTwin || command instanceof PatchReportedProperties
                || command instanceof UpdateShadow || command instanceof ApplyConfigurations;
    }

    /** Whether desired or reported changed: a command that changed tags or statuses alone did not. */
    private static boolean shadowChanged(TwinWriteResult written) {
        ObjectNode before = written.previousShadow();
        if (before == null) {
            return true;
        }
        ObjectNode after = ShadowDocument.snapshot(TwinState.fromDocument(written.twin()));
        return !JsonValues.same(before.path("state"), after.path("state"));
    }

    private static void push(List<ShadowPush> targets, TwinId id, TwinWriteResult written, boolean desiredChanged,
                             String clientToken) {
        for (ShadowPush push : targets) {
            try {
                push.shadowChanged(id, written.previousShadow(), written.twin(), desiredChanged, clientToken);
            } catch (RuntimeException e) {
                log.warn("shadow change of {} not pushed", id, e);
            }
        }
    }
}
