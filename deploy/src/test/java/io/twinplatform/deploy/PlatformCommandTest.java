package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar's command line, without starting Spring: what reaches Spring Boot, what help says, what errors say. */
class PlatformCommandTest {

    private final List<List<String>> started = new ArrayList<>();
    private final PlatformCommand command = new PlatformCommand(args -> started.add(List.of(args)));
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpListsServeAndSimulateAndStartsNothing() {
        int code = run("--help");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Usage: java -jar twin-platform.jar [serve]")
                .containsPattern("(?m)^ +serve +Starts the platform; the command when none is named")
                .containsPattern("(?m)^ +simulate +Starts a fleet of virtual thermostats");
        assertThat(started).isEmpty();
        assertThat(command.serving()).isFalse();
    }

    @Test
    void withoutACommandItServesWithEveryArgumentAsGiven() {
        int code = run("--server.port=9090", "--spring.profiles.active=dev", "--debug", "@not-a-file", "simulate");

        assertThat(code).isZero();
        assertThat(started).containsExactly(
                List.of("--server.port=9090", "--spring.profiles.active=dev", "--debug", "@not-a-file", "simulate"));
        assertThat(command.serving()).isTrue();
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void noArgumentsServeAsServeDoes() {
        assertThat(run()).isZero();
        assertThat(new PlatformCommand(args -> started.add(List.of(args))).commandLine()
                .execute("serve", "--server.port=9090", "--help")).isZero();

        assertThat(started).containsExactly(List.of(), List.of("--server.port=9090", "--help"));
    }

    @Test
    void simulateHelpListsEveryOptionWithItsDefault() {
        int code = run("simulate", "--help");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Usage: java -jar twin-platform.jar simulate [OPTIONS]")
                .contains("--devices=N", "(default 50)", "--telemetry-interval=SECONDS", "(default 60;",
                        "--platform-url=URL", "(default http://localhost:8080)", "--no-create");
        assertThat(started).isEmpty();
    }

    @Test
    void aBadSimulateOptionExitsWithTwoNamingItAndStartsNothing() {
        int code = run("simulate", "--devices", "many");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("""
                simulate: Invalid value for option '--devices': 'many' is not an int
                (java -jar twin-platform.jar simulate --help lists the options)
                """);
        assertThat(started).isEmpty();
        assertThat(command.serving()).isFalse();
    }

    @Test
    void aMistypedSimulateOptionIsRefusedWithASuggestion() {
        int code = run("simulate", "--device=5");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("simulate: Unknown option: '--device=5'", "--devices");
    }

    private int run(String... args) {
        return command.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }
}
