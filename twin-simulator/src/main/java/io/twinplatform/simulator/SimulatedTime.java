package io.twinplatform.simulator;

import java.time.Duration;
import java.time.Instant;

/**
 * The simulator's clock for telemetry ({@code --time-scale}, {@code --simulated-start}): simulated time starts at
 * {@code simulatedStart} when the fleet starts and runs {@code scale} simulated seconds per real second. It stamps
 * every telemetry sample ({@code ts}), paces the telemetry period (a period is simulated seconds), and is the time
 * an injected degradation and spikes follow. Everything else a device does (reports, state steps, firmware steps,
 * reconnects) keeps real time. Scale 1 from now is real time.
 *
 * @param realStart      when the fleet started, real time
 * @param simulatedStart what simulated time is then
 * @param scale          simulated seconds per real second, more than 0
 */
record SimulatedTime(Instant realStart, Instant simulatedStart, double scale) {

    /** Real time: scale 1, starting now. */
    static SimulatedTime real(Instant now) {
        return new SimulatedTime(now, now, 1);
    }

    /** The simulated instant at real instant {@code real}, to the millisecond above scale 1. */
    Instant at(Instant real) {
        if (scale == 1) {
            return simulatedStart.plus(Duration.between(realStart, real));
        }
        double seconds = Duration.between(realStart, real).toNanos() / 1e9 * scale;
        return simulatedStart.plusNanos(Math.round(seconds * 1e3) * 1_000_000L);
    }

    /** How long a simulated {@code period} takes in real time; at least a millisecond unless it is zero. */
    Duration realPeriod(Duration period) {
        if (scale == 1 || period.isZero()) {
            return period;
        }
        return Duration.ofNanos(Math.max(1_000_000L, Math.round(period.toNanos() / scale)));
    }
}
