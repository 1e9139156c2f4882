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

    private static final long RECHECK_MILLIS = 200;

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

    /**
     * Waits, registering first and reading second, so a commit between the two cannot be missed. A commit by this
     * process's projection wakes the wait at once; one by another process (the twin's segment is processed
     * elsewhere) is seen by re-reading the table every {@value #RECHECK_MILLIS} ms.
     */
    @QueryHandler
    Boolean handle(AwaitTwinVersion query) throws InterruptedException {
        CompletableFuture<Boolean> reached = waiters.register(query.twinId(), query.version());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(query.timeoutMillis());
        try {
            while (true) {
                if (store.version(query.twinId()) >= query.version()) {
                    return true;
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    return reached.get(Math.min(left, RECHECK_MILLIS), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // not woken yet: read the table again
                }
            }
        } catch (ExecutionException e) {
            return false;
        } finally {
            waiters.forget(query.twinId(), reached);
        }
    }
}
