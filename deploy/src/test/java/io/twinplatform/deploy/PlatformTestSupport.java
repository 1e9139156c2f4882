package io.twinplatform.deploy;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one Spring context every HTTP test class shares (the same configuration in each, so Spring's test context
 * cache starts the platform once): the whole platform on a random port, with its embedded PostgreSQL in a fresh
 * directory, accepting the tokens of a {@link TestIssuer} besides its API keys. Tests never share twins: each names its own with {@link #newDeviceId()}.
 * Its meters go to the Prometheus registry, as in production (a Spring Boot test keeps them in a simple one unless
 * told).
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability(tracing = false)
abstract class PlatformTestSupport {

    static final Path DATA_DIR = TestDataDirs.fresh();
    /** The identity provider whose tokens the platform accepts besides its own API keys. */
    static final TestIssuer ISSUER = TestIssuer.start();

    @DynamicPropertySource
    static void platformProperties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.security.jwt.issuer-uri", ISSUER::issuer);
        registry.add("twin.security.jwt.jwk-set-uri", ISSUER::jwkSetUri);
        registry.add("twin.security.jwt.audience", () -> TestIssuer.AUDIENCE);
    }

    @LocalServerPort
    int port;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
    }

    static String newDeviceId() {
        return TwinHttp.newDeviceId();
    }

    /** Creates a device twin with the given body (single-quoted JSON) and returns its id. */
    String createDevice(String body) {
        String id = newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, TwinHttp.q(body));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }
}
