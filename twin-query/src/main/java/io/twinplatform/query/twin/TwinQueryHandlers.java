package io.twinplatform.query.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.AwaitTwinVersion;
import io.twinplatform.api.twin.FindTwin;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.stereotype.Component;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Answers twin queries from the projection. */
@Component
class TwinQueryHandlers {

    private final TwinDocumentStore store;
    private final VersionWaiters waiters;

    TwinQueryHandlers(TwinDocumentStore store, VersionWaiters waiters) {
        this.store = store;
        this.waiters = waiters;
    }

    /** The twin document, or {@code null} when the twin does not exist (or was deleted). */
    @QueryHandler
    ObjectNode handle(FindTwin query) {
        return store.find(query.twinId()).filter(row -> !row.deleted()).map(TwinDocumentStore.Row::document)
                .orElse(null);
    }

    /** Waits, registering first and reading second, so a commit between the two cannot be missed. */
    @QueryHandler
    Boolean handle(AwaitTwinVersion query) throws InterruptedException {
        CompletableFuture<Boolean> reached = waiters.register(query.twinId(), query.version());
        try {
            if (store.version(query.twinId()) >= query.version()) {
                return true;
            }
            return reached.get(query.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } finally {
            waiters.forget(query.twinId(), reached);
        }
    }
}
