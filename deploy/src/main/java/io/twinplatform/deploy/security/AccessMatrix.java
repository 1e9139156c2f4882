package io.twinplatform.deploy.security;

import io.twinplatform.api.twin.TwinId;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which roles may call which operation: one rule per operation of the served OpenAPI document (method and path
 * template as the document writes them), and the same table in docs/security.md. A request that matches no rule is
 * for {@code admin} alone, so an operation added without a rule is closed, not open; a test walks the OpenAPI
 * document and fails on any operation missing here. The actuator is not in the document: its paths have no rule but
 * the Prometheus scrape, which a {@code monitor} may call too. A device with its own credentials holds no role: what
 * it may do is {@link #deviceMay}.
 */
public final class AccessMatrix {

    /** What an operation needs. */
    public enum Access {
        /** Reading twins, the fleet, configurations, jobs, rollouts, telemetry: viewer, operator, admin. */
        READ(EnumSet.of(Role.viewer, Role.operator, Role.admin)),
        /** Changing twins, configurations, rollouts, jobs: operator, admin. */
        WRITE(EnumSet.of(Role.operator, Role.admin)),
        /** The past: history, diff, replay, the audit trail and its verification: auditor, admin. */
        AUDIT(EnumSet.of(Role.auditor, Role.admin)),
        /** Running the platform: projections, the Kafka stream, keys, the actuator: admin. */
        ADMIN(EnumSet.of(Role.admin)),
        /** The metrics a Prometheus server scrapes: monitor, admin. */
        METRICS(EnumSet.of(Role.monitor, Role.admin)),
        /** Any authenticated caller, whatever its roles (the API description, who the caller is). */
        ANY(EnumSet.allOf(Role.class));

        private final Set<Role> roles;

        Access(Set<Role> roles) {
            this.roles = roles;
        }

        /** The roles that may. */
        public Set<Role> roles() {
            return roles;
        }

        /** Whether a caller holding {@code held} (as {@link Role#effective} gives them) may. */
        public boolean allows(Set<Role> held) {
            for (Role role : roles) {
                if (held.contains(role)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One operation: an HTTP method and a path template with {@code {variables}}. */
    public record Rule(String method, String path, Access access) {
    }

    private record Compiled(Rule rule, PathPattern pattern) {
    }

    private static final String TWIN = "/twins/{deviceId}";
    private static final String MODULE = "/twins/{deviceId}/modules/{moduleId}";

    private static final List<Rule> RULES;

    static {
        List<Rule> rules = new ArrayList<>();
        for (String twin : List.of(TWIN, MODULE)) {
            rules.add(new Rule("GET", twin, Access.READ));
            rules.add(new Rule("GET", twin + "/shadow", Access.READ));
            rules.add(new Rule("GET", twin + "/telemetry", Access.READ));
            rules.add(new Rule("GET", twin + "/telemetry/samples", Access.READ));
            rules.add(new Rule("PUT", twin, Access.WRITE));
            rules.add(new Rule("PATCH", twin, Access.WRITE));
            rules.add(new Rule("DELETE", twin, Access.WRITE));
            rules.add(new Rule("PATCH", twin + "/properties/reported", Access.WRITE));
            rules.add(new Rule("PUT", twin + "/status", Access.WRITE));
            rules.add(new Rule("POST", twin + "/shadow", Access.WRITE));
            rules.add(new Rule("GET", twin + "/history", Access.AUDIT));
            rules.add(new Rule("GET", twin + "/replay", Access.AUDIT));
            rules.add(new Rule("GET", twin + "/diff", Access.AUDIT));
            rules.add(new Rule("POST", twin + "/key", Access.WRITE));
            rules.add(new Rule("DELETE", twin + "/key", Access.WRITE));
            rules.add(new Rule("POST", twin + "/methods/{methodName}", Access.WRITE));
            rules.add(new Rule("POST", twin + "/certificate", Access.WRITE));
        }
        rules.add(new Rule("POST", "/twins/batch", Access.WRITE));
        rules.add(new Rule("POST", "/query", Access.READ));
        rules.add(new Rule("GET", "/fleet/views", Access.READ));
        rules.add(new Rule("GET", "/fleet/views/{name}", Access.READ));
        rules.add(new Rule("GET", "/fleet/activity", Access.READ));
        rules.add(new Rule("GET", "/configurations", Access.READ));
        rules.add(new Rule("GET", "/configurations/{id}", Access.READ));
        rules.add(new Rule("GET", "/configurations/{id}/metrics/{name}", Access.READ));
        rules.add(new Rule("PUT", "/configurations/{id}", Access.WRITE));
        rules.add(new Rule("DELETE", "/configurations/{id}", Access.WRITE));
        rules.add(new Rule("POST", "/rollouts", Access.WRITE));
        rules.add(new Rule("GET", "/rollouts/{id}", Access.READ));
        rules.add(new Rule("POST", "/rollouts/{id}/{action}", Access.WRITE));
        rules.add(new Rule("GET", "/jobs", Access.READ));
        rules.add(new Rule("GET", "/jobs/{jobId}", Access.READ));
        rules.add(new Rule("PUT", "/jobs/{jobId}", Access.WRITE));
        rules.add(new Rule("POST", "/jobs/{jobId}/cancel", Access.WRITE));
        rules.add(new Rule("GET", "/enrollments", Access.READ));
        rules.add(new Rule("GET", "/enrollments/{enrollmentId}", Access.READ));
        rules.add(new Rule("PUT", "/enrollments/{enrollmentId}", Access.WRITE));
        rules.add(new Rule("DELETE", "/enrollments/{enrollmentId}", Access.WRITE));
        rules.add(new Rule("GET", "/computed", Access.READ));
        rules.add(new Rule("GET", "/computed/{name}", Access.READ));
        rules.add(new Rule("PUT", "/computed/{name}", Access.WRITE));
        rules.add(new Rule("DELETE", "/computed/{name}", Access.WRITE));
        rules.add(new Rule("POST", "/computed/{name}/rebuild", Access.WRITE));
        rules.add(new Rule("GET", "/alerts", Access.READ));
        rules.add(new Rule("GET", TWIN + "/computed", Access.READ));
        rules.add(new Rule("GET", MODULE + "/computed", Access.READ));
        rules.add(new Rule("GET", "/audit", Access.AUDIT));
        rules.add(new Rule("GET", "/audit/export", Access.AUDIT));
        rules.add(new Rule("GET", "/audit/head", Access.AUDIT));
        rules.add(new Rule("POST", "/audit/verify", Access.AUDIT));
        rules.add(new Rule("POST", "/audit/verifications", Access.AUDIT));
        rules.add(new Rule("GET", "/audit/verifications/{id}", Access.AUDIT));
        rules.add(new Rule("GET", "/events", Access.READ));
        rules.add(new Rule("GET", "/admin/projections", Access.ADMIN));
        rules.add(new Rule("POST", "/admin/projections/{name}/replay", Access.ADMIN));
        rules.add(new Rule("POST", "/admin/projections/{name}/faults/{twinId}/retry", Access.ADMIN));
        rules.add(new Rule("GET", "/admin/kafka", Access.ADMIN));
        rules.add(new Rule("POST", "/admin/kafka/replay", Access.ADMIN));
        rules.add(new Rule("GET", "/admin/keys", Access.ADMIN));
        rules.add(new Rule("POST", "/admin/keys", Access.ADMIN));
        rules.add(new Rule("DELETE", "/admin/keys/{id}", Access.ADMIN));
        rules.add(new Rule("GET", "/actuator/prometheus", Access.METRICS));
        rules.add(new Rule("GET", "/v3/api-docs", Access.ANY));
        rules.add(new Rule("GET", "/me", Access.ANY));
        RULES = List.copyOf(rules);
    }

    private static final List<Compiled> COMPILED;

    static {
        PathPatternParser parser = new PathPatternParser();
        List<Compiled> compiled = new ArrayList<>();
        for (Rule rule : RULES) {
            compiled.add(new Compiled(rule, parser.parse(rule.path())));
        }
        // A literal segment wins over a variable: /twins/batch before /twins/{deviceId}.
        compiled.sort(Comparator.comparing(Compiled::pattern, PathPattern.SPECIFICITY_COMPARATOR));
        COMPILED = List.copyOf(compiled);
    }

    /**
     * What a device may call with its own credentials (docs/security.md, <i>Devices over HTTP</i>), each on its own
     * twin alone: read the twin, and merge-patch its reported properties. Nothing else, whatever the path.
     */
    private static final List<PathPattern> DEVICE_GET;
    private static final List<PathPattern> DEVICE_PATCH;

    static {
        PathPatternParser parser = new PathPatternParser();
        DEVICE_GET = List.of(parser.parse(TWIN), parser.parse(MODULE));
        DEVICE_PATCH = List.of(parser.parse(TWIN + "/properties/reported"),
                parser.parse(MODULE + "/properties/reported"));
    }

    private AccessMatrix() {
    }

    /**
     * Whether the device (or module) {@code own} may make this request with its own credentials: {@code GET}
     * ({@code HEAD}) of its twin or {@code PATCH} of its reported properties, the path's ids (decoded, as the
     * controllers read them) naming exactly its twin. Another twin, the device's module or a module's device, and
     * every other operation: no.
     *
     * @param path the request's path within the application, still percent-encoded
     */
    public static boolean deviceMay(String method, String path, TwinId own) {
        Map<String, String> ids = deviceIds(method, path);
        return ids != null && own.deviceId().equals(ids.get("deviceId"))
                && Objects.equals(own.moduleId(), ids.get("moduleId"));
    }

    /** Whether this is an operation a device may call on its own twin (whichever twin the path names). */
    public static boolean deviceOperation(String method, String path) {
        return deviceIds(method, path) != null;
    }

    /** The ids in the path of an operation a device may call ({@code moduleId} absent for a device), else null. */
    private static Map<String, String> deviceIds(String method, String path) {
        List<PathPattern> patterns = switch (method) {
            case "GET", "HEAD" -> DEVICE_GET;
            case "PATCH" -> DEVICE_PATCH;
            default -> List.of();
        };
        if (patterns.isEmpty()) {
            return null;
        }
        PathContainer container = PathContainer.parsePath(path);
        for (PathPattern pattern : patterns) {
            PathPattern.PathMatchInfo match = pattern.matchAndExtract(container);
            if (match != null) {
                return match.getUriVariables();
            }
        }
        return null;
    }

    /** Every rule, in the order docs/security.md lists them. */
    public static List<Rule> rules() {
        return RULES;
    }

    /**
     * What a request needs: the rule of its operation ({@code HEAD} as {@code GET}), else {@link Access#ADMIN}.
     *
     * @param path the request's path within the application, still percent-encoded
     */
    public static Access required(String method, String path) {
        String asked = method.equals("HEAD") ? "GET" : method;
        PathContainer container = PathContainer.parsePath(path);
        for (Compiled compiled : COMPILED) {
            if (compiled.rule().method().equals(asked) && compiled.pattern().matches(container)) {
                return compiled.rule().access();
            }
        }
        return Access.ADMIN;
    }
}
