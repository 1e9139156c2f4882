package io.twinplatform.command.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.queryhandling.QueryGateway;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Holds the write side's endpoints to the caller's scope (docs/security.md, "Scopes"): a write to a twin must find
 * it inside the scope and leave it there ({@link ScopedWrites}), and a configuration, job or rollout may only target
 * twins inside it ({@link Scope#covers}). A caller without a scope passes untouched, at no cost.
 */
@Component
public class ScopeGuard {

    /**
     * The command metadata key of a scoped caller's scope (its text), for a handler that must judge what an existing
     * aggregate reaches (a configuration's current target): that is known consistently only there.
     */
    public static final String SCOPE = "callerScope";

    /** {@code 403 outsideScope} unless {@code scope} (a command's {@link #SCOPE}, may be null) covers the target. */
    public static void requireCovers(String scope, String targetCondition, String path) {
        if (scope != null) {
            Scope.parse(scope).requireCovers(targetCondition, path);
        }
    }

    private final CallerScope scopes;
    private final QueryGateway queries;

    ScopeGuard(ObjectProvider<CallerScope> scopes, QueryGateway queries) {
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
        this.queries = queries;
    }

    /** The caller's scope, or {@code null} when it sees the whole fleet. */
    public Scope current() {
        return scopes.current();
    }

    /** {@code 403 outsideScope} unless the caller's scope covers the target condition (found at {@code path}). */
    public void requireCovers(String targetCondition, String path) {
        Scope scope = scopes.current();
        if (scope != null) {
            scope.requireCovers(targetCondition, path);
        }
    }

    /** {@code 403 outsideScope} unless the caller may make this write to the twin ({@link ScopedWrites}). */
    public void requireWrite(TwinId id, ScopedWrites.Kind kind, JsonNode body) {
        TwinError refusal = refusal(scopes.current(), id, kind, body);
        if (refusal != null) {
            throw new TwinException(refusal);
        }
    }

    /** Why the caller (of scope {@code scope}) may not make this write, or {@code null}. */
    public TwinError refusal(Scope scope, TwinId id, ScopedWrites.Kind kind, JsonNode body) {
        if (scope == null) {
            return null;
        }
        ObjectNode current = queries.query(new FindTwin(id.value()), ObjectNode.class).join();
        return ScopedWrites.refusal(scope, id, current, kind, body);
    }
}
