package io.twinplatform.deploy;

import io.twinplatform.command.config.TwinCommandConfiguration;
import io.twinplatform.deploy.simulator.SimulatorCommand;
import io.twinplatform.history.TwinHistoryConfiguration;
import io.twinplatform.history.kafka.KafkaAdminController;
import io.twinplatform.history.kafka.TwinKafkaConfiguration;
import io.twinplatform.history.telemetry.TelemetryConfiguration;
import io.twinplatform.query.config.TwinQueryConfiguration;
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

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("simulate")) {
            SimulatorCommand.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (System.getProperty(UPDATE_CHECKER_DISABLED) == null && System.getenv("AXONIQ_UPDATE_CHECKER_DISABLED") == null) {
            System.setProperty(UPDATE_CHECKER_DISABLED, "true");
        }
        SpringApplication.run(TwinPlatformApplication.class, args);
    }
}
