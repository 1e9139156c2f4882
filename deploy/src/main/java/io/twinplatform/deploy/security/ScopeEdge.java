package io.twinplatform.deploy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.TwinId;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpMethod;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a scoped caller (a key or token with a scope, docs/security.md) is held to its scope at the HTTP edge:
 * <ul>
 *   <li>{@link #filter()}: operations over the whole fleet that a scope cannot narrow (administration, the
 *   actuator, the audit chain's head and its verification, fleet activity, a configuration's metrics, enrollment
 *   groups, computed attribute definitions and the list of alerts) are
 *   {@code 403 outsideScope};</li>
 *   <li>{@link #twins(QueryGateway)}: a read of one twin ({@code GET /twins/{deviceId}…}) finds nothing
 *   ({@code 404 twinNotFound}, as for a twin that does not exist) when the twin lies outside the scope. Writes are
 *   judged where they are handled ({@link ScopedWrites}, through {@code ScopeGuard} and {@code DeviceKeyController}),
 *   with the twin read once and the body in hand.</li>
 * </ul>
 * Fleet queries, fleet views, the audit trail and configuration, job and rollout targets narrow or refuse in their
 * own modules, through {@link CallerScope}.
 */
public final class ScopeEdge {

    /** Paths a scoped caller may not use at all: they answer for the whole fleet. */
    private static final List<Pattern> FLEET_WIDE = List.of(Pattern.compile("/admin(/.*)?"),
            Pattern.compile("/actuator(/.*)?"), Pattern.compile("/audit/head"), Pattern.compile("/audit/verify"),
            Pattern.compile("/audit/verifications(/.*)?"),
            Pattern.compile("/fleet/activity"), Pattern.compile("/configurations/[^/]+/metrics/[^/]+"),
            Pattern.compile("/enrollments(/.*)?"), Pattern.compile("/computed(/.*)?"), Pattern.compile("/alerts"));

    private static final Logger log = LoggerFactory.getLogger(ScopeEdge.class);

    private ScopeEdge() {
    }

    /** The scope of the caller authenticated on this thread, or {@code null}. */
    static Scope current() {
        return SecurityContextHolder.getContext().getAuthentication() instanceof TwinIdentity identity
                ? identity.scope() : null;
    }

    /** The {@link CallerScope} the modules read. */
    static CallerScope callerScope() {
        return ScopeEdge::current;
    }

    /** Refusals for reaching outside the caller's scope, counted as {@code twin.security.denied}. */
    public static Counter denials(MeterRegistry meters) {
        return Counter.builder("twin.security.denied").tag("reason", Scope.OUTSIDE_SCOPE)
                .description("requests refused for missing or bad credentials, roles that do not allow them, or"
                        + " reaching outside the caller's scope").register(meters);
    }

    static OncePerRequestFilter filter(Counter denied) {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                            FilterChain chain) throws ServletException, IOException {
                Scope scope = current();
                if (scope != null) {
                    String path = request.getServletPath() + (request.getPathInfo() == null ? ""
                            : request.getPathInfo());
                    if (FLEET_WIDE.stream().anyMatch(pattern -> pattern.matcher(path).matches())) {
                        denied.increment();
                        log.info("denied {} {} to {}: outside its scope", request.getMethod(),
                                request.getRequestURI(), SecurityContextHolder.getContext().getAuthentication()
                                        .getName());
                        SecurityConfiguration.write(response, TwinError.of(ErrorKind.FORBIDDEN, Scope.OUTSIDE_SCOPE,
                                "this operation answers for the whole fleet, and your scope is " + scope.text()
                                        + " (docs/security.md)"), null);
                        return;
                    }
                }
                chain.doFilter(request, response);
            }
        };
    }

    /** Holds requests on one twin to the caller's scope; see the class comment. */
    static HandlerInterceptor twins(QueryGateway queries) {
        return new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
                Scope scope = current();
                boolean read = HttpMethod.GET.matches(request.getMethod())
                        || HttpMethod.HEAD.matches(request.getMethod());
                if (scope == null || !read
                        || !(request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE)
                        instanceof Map<?, ?> variables)
                        || !(variables.get("deviceId") instanceof String deviceId)
                        || !String.valueOf(request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE))
                        .startsWith("/twins/{deviceId}")) {
                    return true;
                }
                TwinId id;
                try {
                    id = new TwinId(deviceId, variables.get("moduleId") instanceof String module ? module : null);
                } catch (TwinException e) {
                    return true; // the endpoint refuses the id itself
                }
                ObjectNode twin = queries.query(new FindTwin(id.value()), ObjectNode.class).join();
                if (!scope.admits(twin)) {
                    // Outside the scope reads as absent: the caller learns nothing of twins it may not see.
                    throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                            "twin " + id + " does not exist"));
                }
                return true;
            }
        };
    }
}
