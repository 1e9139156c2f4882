package io.twinplatform.deploy.console;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The console ({@code twin.console.*}; docs/console.md).
 *
 * @param oidcClientId the OAuth2 client the console signs in as at the issuer {@code twin.security.jwt.issuer-uri}
 *                     names: the authorization code flow with PKCE, as a public client whose redirect URI is the
 *                     console's own address ({@code https://<platform>/console/}). Unset (the default), the console
 *                     signs in with a pasted API key or token only
 * @param oidcScope    the scopes the console asks the issuer for (default {@code openid})
 */
@ConfigurationProperties("twin.console")
public record ConsoleSettings(String oidcClientId, @DefaultValue("openid") String oidcScope) {

    public ConsoleSettings {
        if (oidcClientId != null && oidcClientId.isBlank()) {
            oidcClientId = null;
        }
    }
}
