package io.twinplatform.deploy.security;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.deploy.mqtt.DeviceCredentials;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A device's own HTTP access (docs/security.md, <i>Devices over HTTP</i>): {@code Authorization: Basic
 * base64(<twin id>:<password>)}, the user name and password the device connects to the embedded broker with, checked
 * as the broker checks them ({@link DeviceCredentials}). The user name is everything before the last colon (a twin id
 * may hold a colon, a password never does). A device that passes is a {@link TwinIdentity#device} identity, principal
 * {@code device:<twin id>}; what it may call is {@link AccessMatrix#deviceMay}. Credentials that fail (malformed, not
 * UTF-8, not a twin id, a wrong or revoked key, an unknown or disabled twin, a principal longer than the audit trail
 * holds, or a platform without device keys) are {@code 401} through the entry point, never echoing the password; a
 * platform that cannot look the device up now answers {@code 503}.
 */
final class DeviceBasicFilter extends OncePerRequestFilter {

    /** The challenge every {@code 401} of an operation a device may call (or of a Basic attempt) carries. */
    static final String CHALLENGE = "Basic realm=\"devices\"";
    private static final String SCHEME = "Basic";
    private static final Logger log = LoggerFactory.getLogger(DeviceBasicFilter.class);

    private final ObjectProvider<DeviceCredentials> credentials;
    private final AuthenticationEntryPoint entryPoint;

    DeviceBasicFilter(ObjectProvider<DeviceCredentials> credentials, AuthenticationEntryPoint entryPoint) {
        this.credentials = credentials;
        this.entryPoint = entryPoint;
    }

    /** Whether the request presents {@code Basic} credentials (the scheme's name is case-insensitive). */
    static boolean presentsBasic(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        return header != null && header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                && (header.length() == SCHEME.length() || header.charAt(SCHEME.length()) == ' ');
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!presentsBasic(request)) {
            chain.doFilter(request, response);
            return;
        }
        TwinIdentity identity;
        try {
            identity = authenticate(request.getHeader(HttpHeaders.AUTHORIZATION).substring(SCHEME.length()).trim());
        } catch (BadCredentialsException refused) {
            SecurityContextHolder.clearContext();
            entryPoint.commence(request, response, refused);
            return;
        } catch (Unavailable unavailable) {
            SecurityConfiguration.write(response, TwinError.of(ErrorKind.UNAVAILABLE, "databaseUnavailable",
                    unavailable.getMessage()), null);
            return;
        }
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(identity);
        SecurityContextHolder.setContext(context);
        chain.doFilter(request, response);
    }

    private TwinIdentity authenticate(String token) {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw new BadCredentialsException("the Basic credentials are not base64");
        }
        try {
            int colon = decoded.length - 1;
            while (colon >= 0 && decoded[colon] != ':') {
                colon--;
            }
            if (colon < 0) {
                throw new BadCredentialsException("the Basic credentials are not <twin id>:<password>");
            }
            String user;
            try {
                user = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(decoded, 0, colon)).toString();
            } catch (CharacterCodingException e) {
                throw new BadCredentialsException("the Basic user name is not UTF-8");
            }
            TwinId twinId;
            try {
                twinId = TwinId.parse(user);
            } catch (RuntimeException e) {
                throw new BadCredentialsException("the Basic user name is not a twin id (<deviceId> or"
                        + " <deviceId>/<moduleId>)");
            }
            DeviceCredentials check = credentials.getIfAvailable();
            if (check == null) {
                throw new BadCredentialsException("this platform holds no device keys (its MQTT broker is external, or"
                        + " the device channel is off): a device authenticates over HTTP with the embedded broker's"
                        + " credentials alone");
            }
            if (AuditMetadata.devicePrincipal(twinId).length() > AuditMetadata.MAX_PRINCIPAL) {
                throw new BadCredentialsException("the device's principal, device:<twin id>, would be longer than the "
                        + AuditMetadata.MAX_PRINCIPAL + " characters the audit trail holds");
            }
            byte[] password = Arrays.copyOfRange(decoded, colon + 1, decoded.length);
            DeviceCredentials.Verdict verdict;
            try {
                verdict = check.verify(twinId, password);
            } finally {
                Arrays.fill(password, (byte) 0);
            }
            log.debug("device {} over HTTP: {}", twinId.value(), verdict.outcome());
            return switch (verdict.outcome()) {
                case ACCEPTED -> TwinIdentity.device(twinId);
                // Which of the two is not said to a caller that has not shown the right password.
                case REVOKED, WRONG_KEY -> throw new BadCredentialsException("wrong device credentials, or the"
                        + " device's key is revoked");
                case UNAVAILABLE -> throw new Unavailable(verdict.reason());
                default -> throw new BadCredentialsException(verdict.reason());
            };
        } finally {
            Arrays.fill(decoded, (byte) 0);
        }
    }

    /** The device could not be looked up now: {@code 503}, not a refusal of its credentials. */
    private static final class Unavailable extends RuntimeException {

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
