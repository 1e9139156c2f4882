package io.twinplatform.history.audit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.swagger.v3.oas.annotations.media.Schema;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.model.RandomIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifications run in the background ({@code POST /audit/verifications}), so a client can show how far one got
 * ({@code GET /audit/verifications/{id}}): the same check as {@code POST /audit/verify}, one at a time per instance
 * (others wait, {@code queued}). A verification is kept for an hour after it was asked for, at most
 * {@value #KEPT} of them; then it is {@code 404 verificationNotFound}, as after a restart.
 */
@Component
class AuditVerifications implements DisposableBean {

    private static final int KEPT = 100;
    private static final Logger log = LoggerFactory.getLogger(AuditVerifications.class);

    /** One verification as a client sees it. {@code total} is the chain links in scope when it started. */
    @Schema(name = "AuditVerification")
    record View(String id, @Schema(allowableValues = {"queued", "running", "history", "done", "failed"}) String state,
                @Schema(description = "links of the chain read so far") long checked,
                @Schema(description = "links of the chain in scope") long total,
                Instant requestedAt, Instant finishedAt,
                @Schema(description = "as POST /audit/verify answers; null until done") AuditVerifier.Result result,
                @Schema(description = "why it failed, when it did") String error) {
    }

    /** What was asked: as {@code POST /audit/verify}'s body. */
    record Request(String twinId, Instant from, Instant to, boolean history) {
    }

    private static final class Running implements AuditVerifier.Progress {
        final String id;
        final Instant requestedAt = Instant.now();
        final AtomicLong checked = new AtomicLong();
        volatile long total;
        volatile String state = "queued";
        volatile Instant finishedAt;
        volatile AuditVerifier.Result result;
        volatile String error;

        Running(String id) {
            this.id = id;
        }

        @Override
        public void links(long read) {
            checked.set(read);
        }

        @Override
        public void history() {
            state = "history";
        }

        View view() {
            return new View(id, state, checked.get(), total, requestedAt, finishedAt, result, error);
        }
    }

    private final AuditVerifier verifier;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(DaemonThreads.named("audit-verification-"));
    private final Cache<String, Running> kept = Caffeine.newBuilder().maximumSize(KEPT)
            .expireAfterWrite(Duration.ofHours(1)).build();

    AuditVerifications(AuditVerifier verifier) {
        this.verifier = verifier;
    }

    /** Starts (or queues) a verification; its state as it is now. */
    View start(Request request) {
        Running running = new Running(RandomIds.uuid());
        kept.put(running.id, running);
        runner.execute(() -> run(running, request));
        return running.view();
    }

    /** A verification's state; {@code 404 verificationNotFound} for one not kept (or never made). */
    View get(String id) {
        Running running = kept.getIfPresent(id);
        if (running == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "verificationNotFound", "no verification "
                    + id + " is kept here: one is kept for an hour on the instance that ran it"));
        }
        return running.view();
    }

    private void run(Running running, Request request) {
        try {
            running.total = verifier.links(request.twinId(), request.from(), request.to());
            running.state = "running";
            running.result = verifier.verify(request.twinId(), request.from(), request.to(), request.history(),
                    running);
            running.state = "done";
        } catch (RuntimeException e) {
            log.warn("verification {} failed", running.id, e);
            running.error = "the verification could not finish: " + e.getClass().getSimpleName();
            running.state = "failed";
        } finally {
            running.finishedAt = Instant.now();
        }
    }

    @Override
    public void destroy() {
        runner.shutdownNow();
    }
}
