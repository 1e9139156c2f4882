package io.twinplatform.simulator;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code java -jar twin-platform.jar simulate [options]}: runs a {@link DeviceSimulator} without Spring until Ctrl-C
 * or {@code --duration}. Exit codes: 0 after a clean stop, 2 for bad options or a missing device secret. Logs through
 * SLF4J; whoever starts it configures the logging backend.
 */
public final class SimulatorCommand {

    private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();

    private SimulatorCommand() {
    }

    /** Returns when the simulator stopped: at once when the JVM is shutting down (Ctrl-C), else by exiting. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (!SHUTTING_DOWN.get()) {
            // Netty's event loop winds down on its own time; the simulator is done.
            System.exit(code);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (SimulatorSettings.isHelp(args)) {
            out.print(SimulatorSettings.usage());
            return 0;
        }
        SimulatorSettings settings;
        try {
            settings = SimulatorSettings.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("simulate: " + e.getMessage());
            err.println("(--help lists the options)");
            return 2;
        }
        DeviceSimulator simulator;
        try {
            simulator = DeviceSimulator.start(settings);
        } catch (IllegalArgumentException e) {
            err.println("simulate: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SHUTTING_DOWN.set(true);
            simulator.close();
            stopped.countDown();
        }, "twin-simulator-stop"));
        try {
            if (settings.duration().isZero()) {
                stopped.await();
            } else {
                Thread.sleep(settings.duration().toMillis());
                simulator.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            simulator.close();
        }
        return 0;
    }
}
