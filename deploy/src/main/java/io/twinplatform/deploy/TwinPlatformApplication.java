package io.twinplatform.deploy;

import io.twinplatform.command.TwinCommandConfiguration;
import io.twinplatform.history.TwinHistoryConfiguration;
import io.twinplatform.history.kafka.KafkaAdminController;
import io.twinplatform.history.kafka.TwinKafkaConfiguration;
import io.twinplatform.history.telemetry.TelemetryConfiguration;
import io.twinplatform.query.TwinQueryConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * The whole platform in one process: write, read and history sides, telemetry and the Kafka stream, each switchable
 * on its own ({@code twin.command.enabled}, {@code twin.query.enabled}, {@code twin.history.enabled},
 * {@code twin.telemetry.enabled}, {@code twin.kafka.bootstrap-servers}).
 */
@SpringBootApplication
@Import({TwinCommandConfiguration.class, TwinQueryConfiguration.class, TwinHistoryConfiguration.class,
        TelemetryConfiguration.class, TwinKafkaConfiguration.class, KafkaAdminController.class})
@EnableConfigurationProperties(DataSettings.class)
public class TwinPlatformApplication {

    /** Axon's anonymous usage reporting stays off unless asked for: a twin platform must not phone home. */
    static final String UPDATE_CHECKER_DISABLED = "axoniq.update-checker.disabled";

    /**
     * {@code serve} (the default: Spring Boot with the rest of the arguments) or {@code simulate}; {@code --help} lists
     * both ({@link PlatformCommand}). Anything but a started platform ends the JVM with the command's exit code: the
     * simulator's MQTT event loop would keep it up a while longer, and a platform that failed to start must exit 1.
     */
    public static void main(String[] args) {
        PlatformCommand command = new PlatformCommand(TwinPlatformApplication::serve);
        int code = command.commandLine().execute(args);
        if (!command.serving()) {
            System.exit(code);
        }
    }

    private static void serve(String[] args) {
        if (System.getProperty(UPDATE_CHECKER_DISABLED) == null && System.getenv("AXONIQ_UPDATE_CHECKER_DISABLED") == null) {
            System.setProperty(UPDATE_CHECKER_DISABLED, "true");
        }
        SpringApplication.run(TwinPlatformApplication.class, args);
    }
}
