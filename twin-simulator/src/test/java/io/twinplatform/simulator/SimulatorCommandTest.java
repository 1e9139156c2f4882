package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SimulatorCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpPrintsTheUsageAndSucceeds() {
        int code = run("--help");

        assertThat(code).isZero();
        assertThat(text(out)).startsWith("Usage: java -jar twin-platform.jar simulate").contains("--devices N");
    }

    @Test
    void aBadOptionExitsWithTwoAndSaysWhy() {
        int code = run("--devices", "many");

        assertThat(code).isEqualTo(2);
        assertThat(text(err)).contains("simulate: --devices expects a whole number, got 'many'", "--help");
        assertThat(text(out)).isEmpty();
    }

    @Test
    void aMissingDeviceSecretExitsWithTwoBeforeAnythingConnects(@TempDir Path dataDir) {
        int code = run("--data-dir", dataDir.toString(), "--no-create");

        assertThat(code).isEqualTo(2);
        assertThat(text(err)).contains("no device secret", "--device-secret");
    }

    private int run(String... args) {
        return SimulatorCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }
}
