package io.twinplatform.deploy.security;

import io.micrometer.core.instrument.Counter;
import io.twinplatform.command.config.Throttle;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.time.Duration;

/**
 * Each authenticated caller's rate limit ({@code twin.security.rate-limit}), by the principal it proved (a gateway's
 * own, not the user it names): past it, {@code 429 throttled} with {@code Retry-After}, before any work is done.
 * Requests without credentials (the probes) are not counted.
 */
final class ThrottleFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(ThrottleFilter.class);

    private final Throttle throttle;
    private final Counter throttled;

    ThrottleFilter(Throttle throttle, Counter throttled) {
        this.throttle = throttle;
        this.throttled = throttled;
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
                SecurityConfiguration.write(response, throttle.refusal(identity.getName(), wait), null);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
