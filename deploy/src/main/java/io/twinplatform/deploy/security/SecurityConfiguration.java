package io.twinplatform.deploy.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TextRule;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.command.ratelimit.Throttle;
import io.twinplatform.deploy.console.ConsoleConfiguration;
import io.twinplatform.deploy.mqtt.DeviceCredentials;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Every request authenticates with {@code Authorization: Bearer}: an API key ({@link ApiKeys}) or, when an issuer or
 * JWK set is configured, an OAuth2/OIDC JWT; a device may use its own MQTT credentials on its own twin
 * ({@code Basic}, {@link DeviceBasicFilter}). What each role may call is {@link AccessMatrix}; only
 * {@code /actuator/health/liveness} and {@code /readiness} answer without credentials. A refusal is
 * {@code application/problem+json}: {@code 401} with {@code WWW-Authenticate} for no or bad credentials, {@code 403}
 * for roles that do not allow the operation; each is counted ({@code twin.security.denied}) and logged with the
 * principal and the operation, never with the credentials. No session, no cookie: so no CSRF token either.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@EnableConfigurationProperties(SecuritySettings.class)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a verified JWT is remembered at most (its own expiry is still checked on every use). */
    private static final Duration TOKEN_MEMORY = Duration.ofMinutes(5);

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, ApiKeys keys, SecuritySettings settings,
                                            MeterRegistry meters, ThrottleFilter.HeldRefusals refusals,
                                            ObjectProvider<DeviceCredentials> devices)
            throws Exception {
        Counter unauthenticated = Counter.builder("twin.security.denied").tag("reason", "unauthenticated")
                .description("requests refused for missing or bad credentials, or roles that do not allow them")
                .register(meters);
        Counter forbidden = Counter.builder("twin.security.denied").tag("reason", "forbidden")
                .description("requests refused for missing or bad credentials, or roles that do not allow them")
                .register(meters);
        AuthenticationManager manager = manager(keys, settings.jwt());
        AuthenticationEntryPoint entryPoint = entryPoint(unauthenticated);
        AccessDeniedHandler denied = (request, response, failure) -> {
            forbidden.increment();
            Authentication caller = org.springframework.security.core.context.SecurityContextHolder.getContext()
                    .getAuthentication();
            String principal = caller == null ? "anonymous" : caller.getName();
            boolean device = caller instanceof TwinIdentity identity && identity.device() != null;
            log.info("denied {} {} to {}: {}", request.getMethod(), request.getRequestURI(), principal,
                    device ? "a device may call its own twin alone" : "its roles do not allow it");
            AccessMatrix.Access needed = AccessMatrix.required(request.getMethod(), path(request));
            write(response, TwinError.of(ErrorKind.FORBIDDEN, "forbidden", principal + " may not "
                    + request.getMethod() + " this resource: " + (device ? "with its own credentials a device may GET"
                    + " its own twin and PATCH its own reported properties, nothing else"
                    : "it needs one of the roles " + needed.roles()) + " (docs/security.md)"), null);
        };
        http.csrf(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .authorizeHttpRequests(requests -> requests
                        .dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC).permitAll()
                        .requestMatchers("/actuator/health/liveness", "/actuator/health/readiness").permitAll()
                        .requestMatchers(HttpMethod.GET, ConsoleConfiguration.PUBLIC_PATHS).permitAll()
                        .anyRequest().access(matrix()))
                .oauth2ResourceServer(server -> server
                        .authenticationManagerResolver(request -> manager)
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(denied))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(denied))
                .addFilterAfter(new ThrottleFilter(new Throttle(settings.rateLimit().requestsPerSecond(),
                        settings.rateLimit().burst()), Counter.builder("twin.security.throttled")
                        .description("requests refused for going over the caller's rate limit").register(meters),
                        refusals), BearerTokenAuthenticationFilter.class)
                .addFilterAfter(new GatewayPrincipalFilter(), ThrottleFilter.class)
                .addFilterBefore(new DeviceBasicFilter(devices, entryPoint), BearerTokenAuthenticationFilter.class)
                .addFilterAfter(ScopeEdge.filter(ScopeEdge.denials(meters)), AuthorizationFilter.class);
        return http.build();
    }

    /**
     * No Micrometer observations of Spring Security's own work: with an observation registry present, Spring Security
     * wraps each of the chain's filters, every authentication and every authorization in an observation of its own,
     * which took a fifth of the request threads' time in a profile of single twin writes. Requests stay observed
     * as a whole ({@code http.server.requests}), and the platform's own meters are unchanged.
     */
    @Bean
    SecurityObservationSettings securityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /** The throttle's refusals being held until due ({@link ThrottleFilter}). */
    @Bean
    ThrottleFilter.HeldRefusals heldRefusals() {
        return new ThrottleFilter.HeldRefusals();
    }

    /** The authenticated caller's scope, for the modules' read and write sides. */
    @Bean
    CallerScope callerScope() {
        return ScopeEdge.callerScope();
    }

    /** Holds requests on one twin to the caller's scope ({@link ScopeEdge#twins}). */
    @Bean
    WebMvcConfigurer scopedTwinRequests(QueryGateway queries) {
        HandlerInterceptor twins = ScopeEdge.twins(queries);
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(twins);
            }
        };
    }

    /**
     * Spring Security's firewall, opened where the platform's own checks already answer with a problem: device and
     * operator ids may hold {@code %} and {@code ;} (Azure's rules), and header and parameter values are checked
     * by {@code TextRule} (400 with the header's name) rather than refused without a word.
     */
    @Bean
    StrictHttpFirewall httpFirewall() {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowUrlEncodedPercent(true);
        firewall.setAllowSemicolon(true);
        firewall.setAllowUrlEncodedPeriod(true);
        firewall.setAllowedHeaderNames(name -> true);
        firewall.setAllowedHeaderValues(value -> true);
        firewall.setAllowedParameterNames(name -> true);
        firewall.setAllowedParameterValues(value -> true);
        return firewall;
    }

    /** What the firewall still refuses (a path that normalises differently, a blocked method) is a 400 problem. */
    @Bean
    RequestRejectedHandler requestRejectedHandler() {
        return (request, response, rejected) -> write(response, TwinError.of(ErrorKind.MALFORMED, "rejectedRequest",
                "the request's path or method is not one the platform accepts"), null);
    }

    private static AuthorizationManager<RequestAuthorizationContext> matrix() {
        return new AuthorizationManager<>() {
            @Override
            public AuthorizationDecision check(Supplier<Authentication> authentication,
                                               RequestAuthorizationContext context) {
                if (!(authentication.get() instanceof TwinIdentity identity)) {
                    return new AuthorizationDecision(false);
                }
                HttpServletRequest request = context.getRequest();
                if (identity.device() != null) {
                    // Its twin as it is now: the twin as it was (asOf, atVersion) is history, an auditor's to read.
                    return new AuthorizationDecision(AccessMatrix.deviceMay(request.getMethod(), path(request),
                            identity.device()) && request.getParameter("asOf") == null
                            && request.getParameter("atVersion") == null);
                }
                AccessMatrix.Access needed = AccessMatrix.required(request.getMethod(), path(request));
                return new AuthorizationDecision(needed.allows(identity.effectiveRoles()));
            }
        };
    }

    private static String path(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        return context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
    }

    /** An API key ({@code twk_…}) to {@link ApiKeys}; anything else to the JWT decoder, if one is configured. */
    private static AuthenticationManager manager(ApiKeys keys, SecuritySettings.Jwt jwt) {
        JwtAuthenticationProvider tokens = null;
        if (jwt.enabled()) {
            tokens = new JwtAuthenticationProvider(decoder(jwt));
            tokens.setJwtAuthenticationConverter(token -> identity(token, jwt));
        }
        JwtAuthenticationProvider provider = tokens;
        return authentication -> {
            String token = ((BearerTokenAuthenticationToken) authentication).getToken();
            if (token.startsWith(ApiKeys.PREFIX)) {
                return keys.authenticate(token).orElseThrow(() ->
                        new InvalidBearerTokenException("unknown or revoked API key"));
            }
            if (provider == null) {
                throw new InvalidBearerTokenException("not an API key, and this platform takes no other bearer tokens");
            }
            return provider.authenticate(authentication);
        };
    }

    private static JwtDecoder decoder(SecuritySettings.Jwt jwt) {
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        validators.add(jwt.issuerUri() != null ? JwtValidators.createDefaultWithIssuer(jwt.issuerUri())
                : JwtValidators.createDefault());
        if (jwt.audience() != null) {
            validators.add(token -> token.getAudience() != null && token.getAudience().contains(jwt.audience())
                    ? OAuth2TokenValidatorResult.success()
                    : OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token",
                    "the token is not for this audience", null)));
        }
        OAuth2TokenValidator<Jwt> validator = new DelegatingOAuth2TokenValidator<>(validators);
        // Built on first use: the issuer need not answer while the platform starts.
        JwtDecoder verifying = new SupplierJwtDecoder(() -> {
            NimbusJwtDecoder decoder = jwt.jwkSetUri() != null
                    ? NimbusJwtDecoder.withJwkSetUri(jwt.jwkSetUri()).build()
                    : (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(jwt.issuerUri());
            decoder.setJwtValidator(validator);
            return decoder;
        });
        return remembering(verifying, validator);
    }

    /**
     * Remembers the tokens {@code verifying} accepted, by their SHA-256, for {@link #TOKEN_MEMORY} at most: a token
     * seen again skips parsing and the signature check (most of what a JWT costs a request), and only its times,
     * issuer and audience are checked again, so an expired token is refused as before.
     */
    static JwtDecoder remembering(JwtDecoder verifying, OAuth2TokenValidator<Jwt> validator) {
        Cache<String, Jwt> verified = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(TOKEN_MEMORY)
                .build();
        return token -> {
            String digest = HexFormat.of().formatHex(ApiKeys.sha256(token));
            Jwt known = verified.getIfPresent(digest);
            if (known != null && !validator.validate(known).hasErrors()) {
                return known;
            }
            Jwt decoded = verifying.decode(token);
            verified.put(digest, decoded);
            return decoded;
        };
    }


    /**
     * A token's identity: {@code <iss>:<sub>}, the roles its roles claim names (others ignored) and the scope its scope
     * claim holds, if any. A scope claim that is not a condition of the query language refuses the token: the caller
     * must not see more than it was meant to.
     */
    static TwinIdentity identity(Jwt token, SecuritySettings.Jwt settings) {
        String issuer = token.getIssuer() == null ? null : token.getIssuer().toString();
        String subject = token.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new InvalidBearerTokenException("the token names no subject (sub)");
        }
        String principal = issuer == null ? subject : issuer + ":" + subject;
        if (principal.length() > AuditMetadata.MAX_PRINCIPAL || TextRule.fault(principal) != null) {
            // The principal goes into every event and the audit trail, which hold text of at most this length.
            throw new InvalidBearerTokenException("the token's issuer and subject are longer than "
                    + AuditMetadata.MAX_PRINCIPAL + " characters together, or not text");
        }
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        Object claimed = claim(token.getClaims(), settings.rolesClaim());
        Collection<?> names = claimed instanceof Collection<?> list ? list
                : claimed instanceof String text ? List.of(text.trim().split("\\s+")) : List.of();
        for (Object name : names) {
            if (name instanceof String text) {
                Role.named(text).ifPresent(roles::add);
            }
        }
        return new TwinIdentity(principal, roles, scope(claim(token.getClaims(), settings.scopeClaim()),
                settings.scopeClaim()));
    }

    private static Scope scope(Object claimed, String claim) {
        if (claimed == null) {
            return null;
        }
        if (!(claimed instanceof String text) || TextRule.fault(text) != null) {
            throw new InvalidBearerTokenException("the token's " + claim + " claim is not a condition as text");
        }
        try {
            return Scope.parse(text);
        } catch (TwinException e) {
            throw new InvalidBearerTokenException("the token's " + claim + " claim is not a scope: "
                    + e.error().detail());
        }
    }

    private static Object claim(Map<String, Object> claims, String name) {
        Object value = claims;
        for (String part : name.split("\\.")) {
            if (!(value instanceof Map<?, ?> map)) {
                return null;
            }
            value = map.get(part);
        }
        return value;
    }

    /**
     * {@code 401}: {@code WWW-Authenticate: Bearer …}, and after it {@code Basic realm="devices"} where a device's own
     * credentials could do (an operation a device may call on its own twin, or a request that tried them).
     */
    private static AuthenticationEntryPoint entryPoint(Counter unauthenticated) {
        BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
        return (request, response, failure) -> {
            unauthenticated.increment();
            bearer.commence(request, response, failure);
            if (DeviceBasicFilter.presentsBasic(request)
                    || AccessMatrix.deviceOperation(request.getMethod(), path(request))) {
                response.addHeader(HttpHeaders.WWW_AUTHENTICATE, DeviceBasicFilter.CHALLENGE);
            }
            boolean presented = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
            log.info("denied {} {}: {}", request.getMethod(), request.getRequestURI(),
                    presented ? "credentials not accepted" : "no credentials");
            write(response, TwinError.of(ErrorKind.UNAUTHORIZED, "unauthorized", presented
                    ? "the credentials were not accepted: " + reason(failure)
                    : "this operation needs credentials: send Authorization: Bearer <API key or token>"
                    + " (docs/security.md)"), null);
        };
    }

    /** Why a presented credential failed, in words that never repeat the credential. */
    private static String reason(AuthenticationException failure) {
        if (failure instanceof InvalidBearerTokenException || failure instanceof BadCredentialsException) {
            String message = failure.getMessage();
            return message == null ? "unknown credentials" : message;
        }
        return "the Authorization header is not 'Bearer <credentials>'";
    }

    /** Answers with {@code error} as problem+json (and {@code WWW-Authenticate}, if given). */
    static void write(HttpServletResponse response, TwinError error, String authenticate) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.setStatus(error.kind().status());
        if (authenticate != null) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, authenticate);
        }
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        ObjectNode problem = error.toProblem();
        if (error.path() != null && !error.path().startsWith("$") && !error.path().startsWith("@")) {
            // a header's name, as the platform's other answers name a header at fault
            problem.put("header", error.path());
        }
        response.getOutputStream().write(JSON.writeValueAsBytes(problem));
    }
}
