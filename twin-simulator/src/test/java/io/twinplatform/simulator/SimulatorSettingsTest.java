package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatorSettingsTest {

    private static final String SECRET = "0123456789abcdef-secret";

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        SimulatorSettings settings = SimulatorSettings.parse();

        assertThat(settings.devices()).isEqualTo(50);
        assertThat(settings.twinId(0)).isEqualTo("sim-0001");
        assertThat(settings.host()).isEqualTo("127.0.0.1");
        assertThat(settings.port()).isZero();
        assertThat(settings.plain()).isFalse();
        assertThat(settings.caFile()).isNull();
        assertThat(settings.deviceSecret()).isNull();
        assertThat(settings.platformUrl()).isEqualTo(URI.create("http://localhost:8080"));
        assertThat(settings.createTwins()).isTrue();
        assertThat(settings.telemetryInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.reportInterval()).isZero();
        assertThat(settings.stateInterval()).isEqualTo(Duration.ofSeconds(300));
        assertThat(settings.firmwareStep()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.errorRate()).isZero();
        assertThat(settings.disconnectRate()).isZero();
        assertThat(settings.duplicateRate()).isZero();
        assertThat(settings.summaryInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.protocol()).isEqualTo(Protocol.NATIVE);
    }

    @Test
    void createsTwinsWithTheAdminKeyThePlatformWroteUnlessAKeyIsGiven(@TempDir Path dataDir) throws IOException {
        assertThat(SimulatorSettings.parse("--data-dir", dataDir.toString()).resolveApiKey()).isEmpty();
        Files.writeString(dataDir.resolve("admin-key"), "twk_000000000001_written\n");

        assertThat(SimulatorSettings.parse("--data-dir", dataDir.toString()).resolveApiKey())
                .contains("twk_000000000001_written");
        assertThat(SimulatorSettings.parse("--data-dir", dataDir.toString(), "--api-key", "twk_000000000002_given")
                .resolveApiKey()).contains("twk_000000000002_given");
    }

    @Test
    void takesTheProtocolInAnyCaseAndRefusesAnUnknownOne() {
        assertThat(SimulatorSettings.parse("--protocol", "azure").protocol()).isEqualTo(Protocol.AZURE);
        assertThat(SimulatorSettings.parse("--protocol=AWS").protocol()).isEqualTo(Protocol.AWS);
        assertThatThrownBy(() -> SimulatorSettings.parse("--protocol", "lorawan"))
                .isInstanceOf(ParameterException.class).hasMessageContaining("--protocol");
    }

    @Test
    void readsBothNameValueAndNameEqualsValue() {
        SimulatorSettings settings = SimulatorSettings.parse("--devices", "10000", "--error-rate=0.25",
                "--platform-url", "http://platform:9090/", "--no-create", "--host=broker", "--port", "18830",
                "--device-secret", SECRET, "--id-prefix", "t-", "--first", "101");

        assertThat(settings.devices()).isEqualTo(10_000);
        assertThat(settings.errorRate()).isEqualTo(0.25);
        assertThat(settings.platformUrl()).isEqualTo(URI.create("http://platform:9090"));
        assertThat(settings.createTwins()).isFalse();
        assertThat(settings.host()).isEqualTo("broker");
        assertThat(settings.resolvePort()).isEqualTo(18830);
        assertThat(settings.resolveSecret()).isEqualTo(SECRET);
        assertThat(settings.twinId(0)).isEqualTo("t-0101");
    }

    @Test
    void durationsAreSecondsFractionsIncludedOrCarryAUnit() {
        SimulatorSettings settings = SimulatorSettings.parse("--report-interval", "0.5", "--telemetry-interval",
                "250ms", "--state-interval", "5m", "--duration", "1h", "--firmware-step", "3s");

        assertThat(settings.reportInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.telemetryInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(settings.stateInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.duration()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.firmwareStep()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void twinIdsHaveAtLeastFourDigitsWhateverTheFleetSize() {
        SimulatorSettings settings = SimulatorSettings.parse("--devices", "10000");

        assertThat(settings.twinId(49)).isEqualTo("sim-0050");
        assertThat(settings.twinId(9_998)).isEqualTo("sim-9999");
        assertThat(settings.twinId(9_999)).isEqualTo("sim-10000");
    }

    @Test
    void aLaterOptionWinsSoACallerCanPassItsDefaultsFirst() {
        SimulatorSettings settings = SimulatorSettings.parse("--devices", "7", "--seed", "3", "--report-interval", "1",
                "--report-interval", "2", "--devices=9");

        assertThat(settings.devices()).isEqualTo(9);
        assertThat(settings.seed()).isEqualTo(3);
        assertThat(settings.reportInterval()).isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--devices         | abc     | Invalid value for option '--devices': 'abc' is not an int",
            "--devices         | 0       | --devices must be at least 1, got 0",
            "--error-rate      | 1.5     | Invalid value for option '--error-rate': expects a number between 0 and 1, got '1.5'",
            "--duplicate-rate  | often   | Invalid value for option '--duplicate-rate': expects a number between 0 and 1, got 'often'",
            "--disconnect-rate | -0.1    | Invalid value for option '--disconnect-rate': expects a number between 0 and 1, got '-0.1'",
            "--report-interval | soon    | Invalid value for option '--report-interval': expects seconds that are not negative",
            "--state-interval  | -5      | Invalid value for option '--state-interval': expects seconds that are not negative",
            "--firmware-step   | 0       | --firmware-step must be more than 0",
            "--port            | 70000   | --port must be between 0",
            "--platform-url    | ftp://x | --platform-url must be an http or https URL",
            "--device-secret   | short   | --device-secret: the device secret must be at least 16 characters",
            "--id-prefix       | a/b-    | --id-prefix 'a/b-' does not make valid twin ids",
            "--connect-rate    | 0       | --connect-rate must be at least 1, got 0",
    })
    void aBadValueIsRefusedWithTheOptionAndTheValueInTheMessage(String option, String value, String message) {
        assertThatThrownBy(() -> SimulatorSettings.parse(option, value))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void anUnknownOptionAMissingValueAndAStrayArgumentAreRefused() {
        assertThatThrownBy(() -> SimulatorSettings.parse("--device", "5"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("Unknown option")
                .hasMessageContaining("'--device'");
        assertThatThrownBy(() -> SimulatorSettings.parse("--devices"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("Missing required parameter for option '--devices'");
        assertThatThrownBy(() -> SimulatorSettings.parse("--devices", "--no-create"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("option '--devices' but found '--no-create'");
        assertThatThrownBy(() -> SimulatorSettings.parse("50"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("Unmatched argument")
                .hasMessageContaining("'50'");
        assertThatThrownBy(() -> SimulatorSettings.parse("--no-create=yes"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'--no-create': 'yes'");
    }

    @Test
    void helpIsRecognisedAndTheUsageListsEveryOptionWithItsDefault() {
        CommandLine commandLine = SimulatorCommand.commandLine();
        commandLine.parseArgs("--devices", "5", "--help");
        assertThat(commandLine.isUsageHelpRequested()).isTrue();

        String usage = commandLine.getUsageMessage();

        for (OptionSpec option : commandLine.getCommandSpec().options()) {
            if (option.usageHelp() || option.arity().max() == 0) {
                continue; // --help, and the flags: off unless given
            }
            String entry = entry(usage, option.longestName());
            assertThat(entry).as(option.longestName())
                    .contains(option.defaultValue() == null ? "default" : "default " + option.defaultValueString(true));
        }
        assertThat(usage).contains("--devices=N", "default 50", "--error-rate=0..1", "--disconnect-rate",
                "--duplicate-rate", "--no-create", "--platform-url=URL", "--report-interval=SECONDS",
                "--firmware-step", "--help");
    }

    @Test
    void theSecretThePortsAndTheCaComeFromThePlatformsDataDirectory(@TempDir Path dataDir) throws IOException {
        Files.createDirectories(dataDir.resolve("mqtt/tls"));
        Files.writeString(dataDir.resolve("mqtt/device-secret"), "  " + SECRET + "\n");
        Files.writeString(dataDir.resolve("mqtt/tls-port"), "18832\n");
        Files.writeString(dataDir.resolve("mqtt/port"), "18831\n");
        Path ca = Files.writeString(dataDir.resolve("mqtt/tls/ca.crt"), "a CA certificate\n");

        SimulatorSettings settings = SimulatorSettings.parse("--data-dir", dataDir.toString());
        assertThat(settings.resolveSecret()).isEqualTo(SECRET);
        assertThat(settings.resolvePort()).isEqualTo(18832);
        assertThat(settings.resolveCaFile()).contains(ca);

        SimulatorSettings plain = SimulatorSettings.parse("--data-dir", dataDir.toString(), "--plain");
        assertThat(plain.resolvePort()).isEqualTo(18831);
        assertThat(plain.resolveCaFile()).isEmpty();

        Path mine = Files.writeString(dataDir.resolve("mine.crt"), "another CA certificate\n");
        assertThat(SimulatorSettings.parse("--data-dir", dataDir.toString(), "--ca-file", mine.toString())
                .resolveCaFile()).contains(mine);
        SimulatorSettings missing = SimulatorSettings.parse("--ca-file", dataDir.resolve("none.crt").toString());
        assertThatThrownBy(missing::resolveCaFile)
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--ca-file");
    }

    @Test
    void withoutPortFilesThePortsAre8883And1883AndWithoutASecretTheMessageSaysWhatToDo(@TempDir Path dataDir) {
        SimulatorSettings settings = SimulatorSettings.parse("--data-dir", dataDir.toString());

        assertThat(settings.resolvePort()).isEqualTo(8883);
        assertThat(settings.resolveCaFile()).isEmpty();
        assertThat(SimulatorSettings.parse("--data-dir", dataDir.toString(), "--plain").resolvePort()).isEqualTo(1883);
        assertThatThrownBy(settings::resolveSecret)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device-secret does not exist")
                .hasMessageContaining("--device-secret");
    }

    /** The usage's lines of one option, its description's wrapped lines joined on: from its name to the next option. */
    private static String entry(String usage, String name) {
        StringBuilder entry = new StringBuilder();
        for (String line : usage.split("\\R")) {
            String text = line.trim();
            if (entry.isEmpty()) {
                if (text.startsWith(name + "=") || text.startsWith(name + " ")) {
                    entry.append(text);
                }
            } else if (text.startsWith("-") || text.isEmpty()) {
                break;
            } else {
                entry.append(' ').append(text);
            }
        }
        assertThat(entry).as(name + " in the usage").isNotEmpty();
        return entry.toString();
    }
}
