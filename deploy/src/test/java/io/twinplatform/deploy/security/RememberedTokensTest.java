package io.twinplatform.deploy.security;

import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A verified JWT is remembered, but its times, issuer and audience are checked again on every use. */
class RememberedTokensTest {

    private final AtomicInteger verified = new AtomicInteger();
    private final AtomicBoolean valid = new AtomicBoolean(true);
    private final OAuth2TokenValidator<Jwt> validator = jwt -> valid.get() ? OAuth2TokenValidatorResult.success()
            : OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token", "expired", null));
    /** Verifies a token as a real decoder would: the signature each time, then the validator. */
    private final JwtDecoder verifying = token -> {
        verified.incrementAndGet();
        if (token.startsWith("forged")) {
            throw new BadJwtException("bad signature");
        }
        Jwt jwt = Jwt.withTokenValue(token).header("alg", "RS256").subject(token)
                .expiresAt(Instant.now().plusSeconds(60)).build();
        if (validator.validate(jwt).hasErrors()) {
            throw new BadJwtException("expired");
        }
        return jwt;
    };

    @Test
    void aTokenSeenAgainIsNotVerifiedAgain_butIsStillRefusedOnceItsTimeIsOver() {
        JwtDecoder decoder = SecurityConfiguration.remembering(verifying, validator);
        assertThat(decoder.decode("alice").getSubject()).isEqualTo("alice");
        assertThat(decoder.decode("alice").getSubject()).isEqualTo("alice");
        assertThat(verified.get()).as("the signature was checked once").isEqualTo(1);
        assertThat(decoder.decode("bob").getSubject()).isEqualTo("bob");
        assertThat(verified.get()).isEqualTo(2);

        valid.set(false);
        assertThatThrownBy(() -> decoder.decode("alice")).isInstanceOf(BadJwtException.class).hasMessage("expired");
    }

    @Test
    void aRefusedTokenIsNeverRemembered() {
        JwtDecoder decoder = SecurityConfiguration.remembering(verifying, validator);
        assertThatThrownBy(() -> decoder.decode("forged")).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> decoder.decode("forged")).isInstanceOf(BadJwtException.class);
        assertThat(verified.get()).isEqualTo(2);
    }
}
