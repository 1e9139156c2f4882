package io.twinplatform.deploy;

import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

/**
 * One platform for the tests that run the simulator against it: the embedded broker on a free TLS port (never 8883,
 * which AzureDeviceTest's context must have) and device rate limits high enough for a fleet on one machine. The
 * classes that extend it share one Spring context.
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class SimulatorPlatformTestSupport {

    static final Path DATA_DIR = TestDataDirs.fresh();

    @DynamicPropertySource
    static void simulatorPlatformProperties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        registry.add("twin.mqtt.tls-port", () -> "0");
        registry.add("twin.devices.rate-limit.messages-per-second", () -> "1000");
        registry.add("twin.devices.rate-limit.burst", () -> "1000");
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBroker broker;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
    }
}
