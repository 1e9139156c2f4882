package io.twinplatform.simulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SimulatorCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpPrintsTheUsageAndSucceeds() {
        int code = run("--help");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Usage: simulate").contains("--devices=N");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aBadOptionExitsWithTwoAndSaysWhy() {
        int code = run("--devices", "many");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--devices': 'many' is not an int");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aMissingDeviceSecretExitsWithTwoBeforeAnythingConnects(@TempDir Path dataDir) {
        int code = run("--data-dir", dataDir.toString(), "--no-create");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no device secret", "--device-secret");
    }

    private int run(String... args) {
        return SimulatorCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }
}
