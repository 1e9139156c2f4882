package io.twinplatform.command.dispatch;

import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.AwaitTwinVersion;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.command.TwinCommandSettings;
import io.twinplatform.command.twin.Twin;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends a twin command with its audit metadata and, when it changed the twin, waits (up to
 * {@code twin.command.read-your-writes-timeout}) until the read side shows the result. That wait is what makes a
 * {@code GET} after any answered write show that write. With no read side in this process (it runs apart), the
 * wait is skipped.
 */
@Component
public class CommandDispatcher {

    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

    private final CommandGateway commands;
    private final QueryGateway queries;
    private final long waitMillis;

    private final CallerScope scopes;

    CommandDispatcher(CommandGateway commands, QueryGateway queries, TwinCommandSettings settings,
                      ObjectProvider<CallerScope> scopes) {
        this.commands = commands;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
        this.queries = queries;
        this.waitMillis = settings.readYourWritesTimeout().toMillis();
    }

    public TwinWriteResult send(TwinCommands command, AuditMetadata audit) {
        return send(command, audit.toMap());
    }

    /**
     * As {@link #send(TwinCommands, AuditMetadata)}, for a caller that wants the version and not the document
     * ({@code Prefer: return=minimal}): the answer's twin is {@code null} unless the command may change desired
     * properties. The wait for the read side is the same.
     */
    public TwinWriteResult sendWithoutDocument(TwinCommands command, AuditMetadata audit) {
        Map<String, Object> metaData = new HashMap<>(audit.toMap());
        metaData.put(Twin.MINIMAL_ANSWER, Boolean.TRUE);
        return send(command, metaData);
    }

    /**
     * Sends a twin command through the gateway's asynchronous API, for a caller that wants the version and not the
     * document, and does <em>not</em> wait for the read side: the future completes once the command's events are
     * committed (or it was refused), and a {@code GET} right after may not show it yet. The batch API answers so.
     */
    public CompletableFuture<TwinWriteResult> sendCommitted(TwinCommands command, AuditMetadata audit) {
        Map<String, Object> metaData = new HashMap<>(audit.toMap());
        metaData.put(Twin.MINIMAL_ANSWER, Boolean.TRUE);
        return commands.send(GenericCommandMessage.asCommandMessage(command).andMetaData(metaData));
    }

    private TwinWriteResult send(TwinCommands command, Map<String, ?> metaData) {
        TwinWriteResult result = commands.sendAndWait(
                GenericCommandMessage.asCommandMessage(command).andMetaData(metaData));
        if (result.changed()) {
            awaitReadSide(command.twinId(), result.version(), command instanceof DeleteTwin);
        }
        return result;
    }

    /**
     * Sends a command that is not a twin's (configurations, rollouts) with its audit metadata, and answers its
     * result. Their read models are written with their events, so there is nothing to wait for. A scoped caller's
     * scope goes along as {@link ScopeGuard#SCOPE}, for the handler that knows what the command reaches (it never
     * reaches an event: only the audit keys are copied there).
     */
    @SuppressWarnings("unchecked")
    public <R> R sendOther(Object command, AuditMetadata audit) {
        Map<String, Object> metaData = new HashMap<>(audit.toMap());
        Scope scope = scopes.current();
        if (scope != null) {
            metaData.put(ScopeGuard.SCOPE, scope.text());
        }
        return (R) commands.sendAndWait(GenericCommandMessage.asCommandMessage(command).andMetaData(metaData));
    }

    private void awaitReadSide(String twinId, long version, boolean deleted) {
        try {
            Boolean reached = queries.query(new AwaitTwinVersion(twinId, version, deleted, waitMillis), Boolean.class)
                    .get(waitMillis + 1000, TimeUnit.MILLISECONDS);
            if (!Boolean.TRUE.equals(reached)) {
                log.warn("read side did not reach {} version {} within {} ms", twinId, version, waitMillis);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof NoHandlerForQueryException)) {
                log.warn("waiting for the read side failed for {}", twinId, e.getCause());
            }
        } catch (TimeoutException e) {
            log.warn("read side did not answer for {} within {} ms", twinId, waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
