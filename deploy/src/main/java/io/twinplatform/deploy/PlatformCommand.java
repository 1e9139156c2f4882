package io.twinplatform.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.twinplatform.simulator.SimulatorCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The jar's command line: {@code serve} starts the platform, {@code simulate} a fleet of virtual devices
 * ({@link SimulatorCommand}). Serving is the default, so {@code java -jar twin-platform.jar --server.port=9090} starts
 * the platform as before: every argument from the first one that is not {@code --help} or a command goes to Spring
 * Boot as it was given (picocli neither expands {@code @files} nor refuses unknown options there).
 */
@Command(name = "java -jar twin-platform.jar", usageHelpWidth = 100,
        customSynopsis = {"java -jar twin-platform.jar [serve] [SPRING-ARGUMENT...]",
                "       java -jar twin-platform.jar simulate [OPTIONS]",
                "       java -jar twin-platform.jar [COMMAND] --help"},
        description = "Runs the twin platform, or a fleet of simulated devices beside it. Without a command it "
                + "serves.")
final class PlatformCommand implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "prints this")
    private boolean help;

    @Unmatched
    private List<String> springArguments = new ArrayList<>();

    private final Consumer<String[]> spring;
    private boolean serving;

    /** @param spring starts the platform with Spring Boot's arguments, and returns once it runs */
    PlatformCommand(Consumer<String[]> spring) {
        this.spring = spring;
    }

    /**
     * The command line to execute: exit code 0 after help or a stopped simulator, 2 for a bad option (a line naming
     * it, not the whole usage), 1 when the platform did not start (Spring Boot has logged why).
     */
    CommandLine commandLine() {
        // Only serving takes the rest of the line at the first argument it does not know; simulate refuses it.
        CommandLine commandLine = new CommandLine(this).setStopAtUnmatched(true)
                .addSubcommand(new CommandLine(new Serve(this)).setStopAtUnmatched(true))
                .addSubcommand(SimulatorCommand.commandLine());
        return commandLine.setExpandAtFiles(false)
                .setParameterExceptionHandler(PlatformCommand::shortError)
                .setExecutionExceptionHandler((e, failed, parsed) -> {
                    if (failed.getCommand() instanceof SimulatorCommand) {
                        throw e;
                    }
                    return failed.getCommandSpec().exitCodeOnExecutionException();
                })
                .setExecutionStrategy(parsed -> {
                    if (parsed.subcommand() != null
                            && parsed.subcommand().commandSpec().userObject() instanceof SimulatorCommand) {
                        infoLogging();
                    }
                    return new CommandLine.RunLast().execute(parsed);
                });
    }

    /** Whether the platform was started: then it runs on after the command line has returned. */
    boolean serving() {
        return serving;
    }

    @Override
    public Integer call() {
        return serve(springArguments);
    }

    private int serve(List<String> arguments) {
        spring.accept(arguments.toArray(String[]::new));
        serving = true;
        return 0;
    }

    private static int shortError(ParameterException e, String[] args) {
        CommandLine failed = e.getCommandLine();
        PrintWriter err = failed.getErr();
        err.println(failed.getCommandName() + ": " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("(" + failed.getCommandSpec().qualifiedName() + " --help lists the options)");
        return failed.getCommandSpec().exitCodeOnInvalidInput();
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

    @Command(name = "serve", usageHelpWidth = 100,
            customSynopsis = "java -jar twin-platform.jar [serve] [SPRING-ARGUMENT...]",
            description = {"Starts the platform; the command when none is named.",
                    "Every argument goes to Spring Boot as given, such as --server.port=9090."})
    static final class Serve implements Callable<Integer> {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "prints this")
        private boolean help;

        @Unmatched
        private List<String> springArguments = new ArrayList<>();

        private final PlatformCommand platform;

        Serve(PlatformCommand platform) {
            this.platform = platform;
        }

        @Override
        public Integer call() {
            return platform.serve(springArguments);
        }
    }
}
