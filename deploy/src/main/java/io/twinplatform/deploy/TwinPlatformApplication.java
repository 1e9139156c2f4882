package io.twinplatform.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.twinplatform.command.config.TwinCommandConfiguration;
import io.twinplatform.history.TwinHistoryConfiguration;
import io.twinplatform.history.kafka.KafkaAdminController;
import io.twinplatform.history.kafka.TwinKafkaConfiguration;
import io.twinplatform.history.telemetry.TelemetryConfiguration;
import io.twinplatform.query.config.TwinQueryConfiguration;
import io.twinplatform.simulator.SimulatorCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

import java.util.Arrays;

/**
 * The whole platform in one process: write, read and history sides, telemetry and the Kafka stream, each switchable
 * on its own ({@code twin.command.enabled}, {@code twin.query.enabled}, {@code twin.history.enabled},
 * {@code twin.telemetry.enabled}, {@code twin.kafka.bootstrap-servers}).
 */
@SpringBootApplication
@Import({TwinCommandConfiguration.class, TwinQueryConfiguration.class, TwinHistoryConfiguration.class,
        TelemetryConfiguration.class, TwinKafkaConfiguration.class, KafkaAdminController.class})
public class TwinPlatformApplication {

    /** Axon's anonymous usage reporting stays off unless asked for: a twin platform must not phone home. */
    static final String UPDATE_CHECKER_DISABLED = "axoniq.update-checker.disabled";

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("simulate")) {
            infoLogging();
            SimulatorCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (System.getProperty(UPDATE_CHECKER_DISABLED) == null && System.getenv("AXONIQ_UPDATE_CHECKER_DISABLED") == null) {
            System.setProperty(UPDATE_CHECKER_DISABLED, "true");
        }
        SpringApplication.run(TwinPlatformApplication.class, args);
    }

    /**
     * Without Spring Boot nobody configures Logback, whose default logs everything at DEBUG: INFO then, unless a
     * configuration file was given with {@code -Dlogback.configurationFile}.
     */
    private static void infoLogging() {
        if (System.getProperty("logback.configurationFile") == null
                && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        }
    }
}
