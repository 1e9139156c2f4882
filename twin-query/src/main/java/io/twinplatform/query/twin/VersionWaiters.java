package io.twinplatform.query.twin;

import org.springframework.stereotype.Component;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Callers waiting for the projection to commit a twin at some version. Only twins someone waits for take memory;
 * the projection calls {@link #committed} after each commit.
 */
@Component
class VersionWaiters {

    private record Waiter(long version, CompletableFuture<Boolean> done) {
    }

    private final Map<String, List<Waiter>> waiting = new ConcurrentHashMap<>();

    CompletableFuture<Boolean> register(String twinId, long version) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        waiting.computeIfAbsent(twinId, id -> new CopyOnWriteArrayList<>()).add(new Waiter(version, done));
        return done;
    }

    void forget(String twinId, CompletableFuture<Boolean> done) {
        waiting.computeIfPresent(twinId, (id, list) -> {
            list.removeIf(w -> w.done() == done);
            return list.isEmpty() ? null : list;
        });
    }

    void committed(String twinId, long version) {
        List<Waiter> list = waiting.get(twinId);
        if (list == null) {
            return;
        }
        for (Iterator<Waiter> it = list.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (waiter.version() <= version) {
                waiter.done().complete(true);
            }
        }
    }
}
