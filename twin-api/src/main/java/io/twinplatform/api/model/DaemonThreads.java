package io.twinplatform.api.model;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The platform's one way of making its own threads: named for what they do ({@code <prefix>1}, {@code <prefix>2}, …,
 * as thread dumps and profiles show them) and daemons, so that no pool of the platform's keeps a JVM alive once its
 * work is done. Periodic work goes to Spring's task scheduler instead; this is for pools whose threads each own a
 * lane of ordered work, or block on I/O.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory of daemon threads named {@code prefix} and a counter from 1. */
    public static ThreadFactory named(String prefix) {
        AtomicInteger next = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + next.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
