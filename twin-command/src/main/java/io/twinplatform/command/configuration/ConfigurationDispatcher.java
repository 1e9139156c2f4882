package io.twinplatform.command.configuration;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.twin.ApplyConfigurations;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinWriteResult;
import jakarta.annotation.PreDestroy;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends {@link ApplyConfigurations} to many twins at once, {@code twin.configurations.concurrency} at a time, each
 * in its own unit of work and transaction, and waits for all. A twin that refuses (deleted meanwhile, or its desired
 * properties would grow past their limit) is counted and logged, not retried: the next change that concerns it tries
 * again. Any other failure (the database is gone) is thrown, so the applier's batch fails and is processed again;
 * applying is idempotent, so twins done before the failure are unchanged the second time.
 */
@Component
class ConfigurationDispatcher {

    private static final Logger log = LoggerFactory.getLogger(ConfigurationDispatcher.class);

    private final CommandGateway commands;
    private final LiveConfigurations live;
    private final ExecutorService pool;
    private final int concurrency;

    ConfigurationDispatcher(CommandGateway commands, LiveConfigurations live, ConfigurationSettings settings) {
        this.commands = commands;
        this.live = live;
        this.concurrency = settings.concurrency();
        ThreadFactory threads = DaemonThreads.named("twin-configurations-dispatch-");
        this.pool = Executors.newFixedThreadPool(concurrency, threads);
    }

    /** What an offer to many twins came to: how many refused, and how many show the watched configuration after. */
    record Outcome(int refused, int showing) {
    }

    /**
     * Starts offering the live configurations to twins as they are found, so writing begins with the first page of
     * a selection rather than after the last. {@code watched}, when set, is a configuration whose twins are
     * counted: those whose document shows it after the offer.
     */
    Session start(AuditMetadata audit, String revertRolloutId, String watched) {
        return new Session(audit, revertRolloutId, watched);
    }

    /** Offers to many twins at once; each twin at most once; {@link #finish} waits for them all. */
    final class Session {

        private final AuditMetadata audit;
        private final String revertRolloutId;
        private final String watched;
        private final Semaphore slots = new Semaphore(concurrency);
        private final AtomicInteger refused = new AtomicInteger();
        private final AtomicInteger showing = new AtomicInteger();
        private final Set<String> offered = new HashSet<>();
        private final List<Future<?>> sent = new ArrayList<>();

        private Session(AuditMetadata audit, String revertRolloutId, String watched) {
            this.audit = audit;
            this.revertRolloutId = revertRolloutId;
            this.watched = watched;
        }

        int size() {
            return offered.size();
        }

        void offer(String twinId) {
            if (!offered.add(twinId)) {
                return;
            }
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while applying configurations", e);
            }
            ApplyConfigurations command = new ApplyConfigurations(twinId,
                    live.candidates(TwinId.parse(twinId).isModule()), revertRolloutId);
            sent.add(pool.submit(() -> {
                try {
                    TwinWriteResult result = commands.sendAndWait(GenericCommandMessage.asCommandMessage(command)
                            .andMetaData(audit.toMap()));
                    if (watched != null && result != null && result.twin() != null
                            && result.twin().path("configurations").has(watched)) {
                        showing.incrementAndGet();
                    }
                } catch (TwinException e) {
                    refused.incrementAndGet();
                    if (e.error().kind() != ErrorKind.NOT_FOUND) {
                        log.warn("twin {} refused its configurations: {}", twinId, e.error().detail());
                    }
                } finally {
                    slots.release();
                }
            }));
        }

        Outcome finish() {
            try {
                for (Future<?> future : sent) {
                    future.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while applying configurations", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException(e.getCause());
            }
            return new Outcome(refused.get(), showing.get());
        }
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }
}
