package io.twinplatform.deploy.security;

import io.micrometer.core.instrument.Counter;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.command.ratelimit.Throttle;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Each authenticated caller's rate limit ({@code twin.security.rate-limit}), by the principal it proved (a gateway's
 * own, not the user it names): past it, {@code 429 throttled} with {@code Retry-After}, before any work is done.
 * Requests without credentials (the probes) are not counted.
 * <p>
 * A refusal is answered when the request would have gone on had the caller's requests waited their turn: once its
 * bucket holds a request again, and one more interval of the limit for each of the caller's refusals already held
 * (at most {@link #MAX_HOLD} later), without a thread waiting for it. A client that sends again as soon as it is
 * refused then sends at about its limit however many connections it uses, rather than as fast as refusals come
 * back: refusals cost little each, but a flood of them took the CPU other callers needed (docs/performance.md). At
 * most {@link #MAX_HELD} refusals are held at once; past that they are answered at once.
 */
final class ThrottleFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(ThrottleFilter.class);
    static final Duration MAX_HOLD = Duration.ofSeconds(1);
    static final int MAX_HELD = 1024;

    private final Throttle throttle;
    private final Counter throttled;
    private final HeldRefusals refusals;

    ThrottleFilter(Throttle throttle, Counter throttled, HeldRefusals refusals) {
        this.throttle = throttle;
        this.throttled = throttled;
        this.refusals = refusals;
    }

    /** The refusals being held, and the one thread that answers them when due; stopped with the application. */
    static final class HeldRefusals implements DisposableBean {

        private final Semaphore held = new Semaphore(MAX_HELD);
        private final ConcurrentHashMap<String, Integer> heldFor = new ConcurrentHashMap<>();
        private final ScheduledExecutorService answers;

        HeldRefusals() {
            ThreadFactory threads = DaemonThreads.named("http-throttle-");
            answers = Executors.newSingleThreadScheduledExecutor(threads);
        }

        /** Counts a refusal held for {@code who}; answers how many were held for it before. */
        int take(String who) {
            return heldFor.merge(who, 1, Integer::sum) - 1;
        }

        void release(String who) {
            heldFor.computeIfPresent(who, (key, count) -> count <= 1 ? null : count - 1);
        }

        @Override
        public void destroy() {
            answers.shutdownNow();
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (SecurityContextHolder.getContext().getAuthentication() instanceof TwinIdentity identity) {
            Duration wait = throttle.tryTake(identity.getName());
            if (!wait.isZero()) {
                throttled.increment();
                log.debug("throttled {} {} of {}", request.getMethod(), request.getRequestURI(), identity.getName());
                response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(Throttle.retryAfterSeconds(wait)));
                TwinError refusal = throttle.refusal(identity.getName(), wait);
                if (request.isAsyncSupported() && refusals.held.tryAcquire()) {
                    hold(request, response, refusal, identity.getName(), wait);
                } else {
                    SecurityConfiguration.write(response, refusal, null);
                }
                return;
            }
        }
        chain.doFilter(request, response);
    }

    private void hold(HttpServletRequest request, HttpServletResponse response, TwinError refusal, String who,
                      Duration wait) {
        int ahead = refusals.take(who);
        long nanos = Math.min(wait.toNanos() + ahead * throttle.interval().toNanos(), MAX_HOLD.toNanos());
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(MAX_HOLD.toMillis() + 30_000);
        refusals.answers.schedule(() -> {
            try {
                SecurityConfiguration.write((HttpServletResponse) async.getResponse(), refusal, null);
            } catch (IOException | RuntimeException e) {
                log.debug("a held refusal could not be answered: {}", e.toString());
            } finally {
                refusals.release(who);
                refusals.held.release();
                async.complete();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }
}
