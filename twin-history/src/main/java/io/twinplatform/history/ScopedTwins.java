package io.twinplatform.history;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.FindTargetedTwins;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.QueryGateway;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * Narrows a selection of {@code twin_history} rows to a scoped caller's twins: those whose current document lies
 * inside its scope, as the twin-current side answers ({@link FindTargetedTwins}). A deleted twin has no current
 * document, so a scoped caller does not see its changes.
 */
@Component
public class ScopedTwins {

    private final QueryGateway queries;
    private final CallerScope scopes;

    ScopedTwins(QueryGateway queries, ObjectProvider<CallerScope> scopes) {
        this.queries = queries;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
    }

    /** Appends {@code AND h.twin_id = ANY(…)} for a scoped caller; nothing for one that sees the whole fleet. */
    public void appendTo(StringBuilder sql, List<Object> args) {
        Scope scope = scopes.current();
        if (scope == null) {
            return;
        }
        List<String> ids = new ArrayList<>();
        for (boolean modules : new boolean[]{false, true}) {
            String token = null;
            do {
                TwinQueryPage page = queries.query(new FindTargetedTwins(scope.text(), modules,
                                FindTargetedTwins.MAX_PAGE_SIZE, token), ResponseTypes.instanceOf(TwinQueryPage.class))
                        .join();
                for (ObjectNode item : page.items()) {
                    ids.add(new TwinId(item.get("deviceId").asText(),
                            item.hasNonNull("moduleId") ? item.get("moduleId").asText() : null).value());
                }
                token = page.continuationToken();
            } while (token != null);
        }
        sql.append(" AND h.twin_id = ANY (?)");
        args.add(ids.toArray(String[]::new));
    }
}
