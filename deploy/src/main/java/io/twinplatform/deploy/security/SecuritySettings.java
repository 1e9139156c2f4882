package io.twinplatform.deploy.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * How callers authenticate ({@code twin.security.*}; docs/security.md).
 *
 * @param adminKey    an API key (as {@code POST /admin/keys} makes them: {@code twk_<id>_<secret>}) to install as the
 *                    bootstrap admin key when the platform starts with no key at all; unset (the default), the
 *                    platform makes one and writes it to {@code <TWIN_DATA_DIR>/admin-key} (mode 0600)
 * @param keyCacheTtl how long a checked API key is trusted without reading its row again (default 10 s). A key
 *                    revoked on this instance is refused at once; on another instance of the same database, within
 *                    this time
 * @param jwt         OAuth2/OIDC bearer tokens; off unless an issuer or a JWK set URI is set
 * @param rateLimit   requests a second per authenticated caller (its principal), and how many back to back
 *                    (default 1,000 a second, bursts of 2,000); past it, {@code 429 throttled} with {@code Retry-After}
 */
@ConfigurationProperties("twin.security")
public record SecuritySettings(String adminKey,
                               @DefaultValue("10s") Duration keyCacheTtl,
                               @DefaultValue Jwt jwt,
                               @DefaultValue RateLimit rateLimit) {

    /**
     * Requests a second per caller, and how many back to back.
     *
     * @param requestsPerSecond requests a second per caller, on average (default 1,000)
     * @param burst             how many may come back to back before the average applies (default 2,000)
     */
    public record RateLimit(@DefaultValue("1000") double requestsPerSecond, @DefaultValue("2000") double burst) {
    }

    public SecuritySettings {
        if (keyCacheTtl.isNegative()) {
            throw new IllegalArgumentException("twin.security.key-cache-ttl must not be negative: " + keyCacheTtl);
        }
        if (adminKey != null && adminKey.isBlank()) {
            adminKey = null;
        }
    }

    /**
     * @param issuerUri    the issuer ({@code iss}) tokens must name; its OpenID configuration gives the JWK set unless
     *                     {@code jwkSetUri} is set too
     * @param jwkSetUri    where the signing keys are served (JWK set); with it alone, any issuer is accepted
     * @param audience     the audience ({@code aud}) tokens must include; unset, any
     * @param rolesClaim   the claim holding the caller's roles (a list, or a space-separated string); a dotted name
     *                     reaches into objects, as Keycloak's {@code realm_access.roles} (default {@code roles})
     * @param scopeClaim   the claim holding the caller's scope (default {@code twin_scope})
     */
    public record Jwt(String issuerUri, String jwkSetUri, String audience,
                      @DefaultValue("roles") String rolesClaim,
                      @DefaultValue("twin_scope") String scopeClaim) {

        public Jwt {
            issuerUri = blankToNull(issuerUri);
            jwkSetUri = blankToNull(jwkSetUri);
            audience = blankToNull(audience);
        }

        public boolean enabled() {
            return issuerUri != null || jwkSetUri != null;
        }

        private static String blankToNull(String value) {
            return value == null || value.isBlank() ? null : value;
        }
    }
}
