package io.twinplatform.simulator;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What the devices of one simulator did, shared by all of them; {@link SimulatorStats} documents each count. */
final class SimulatorCounters {

    final AtomicInteger connected = new AtomicInteger();
    final LongAdder published = new LongAdder();
    final LongAdder publishFailures = new LongAdder();
    final LongAdder reported = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder telemetry = new LongAdder();
    final LongAdder reportedAccepted = new LongAdder();
    final LongAdder reportedRejected = new LongAdder();
    final LongAdder getAccepted = new LongAdder();
    final LongAdder getRejected = new LongAdder();
    final LongAdder desiredReceived = new LongAdder();
    final LongAdder desiredStale = new LongAdder();
    final LongAdder deltaReceived = new LongAdder();
    final LongAdder otherRejected = new LongAdder();
    final LongAdder stateChanges = new LongAdder();
    final LongAdder firmwareUpdates = new LongAdder();
    final LongAdder firmwareFailures = new LongAdder();
    final LongAdder drops = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LatencyHistogram latency = new LatencyHistogram();

    SimulatorStats snapshot(int devices) {
        return new SimulatorStats(devices, connected.get(), published.sum(), publishFailures.sum(), reported.sum(),
                duplicates.sum(), telemetry.sum(), reportedAccepted.sum(), reportedRejected.sum(), getAccepted.sum(),
                getRejected.sum(), desiredReceived.sum(), desiredStale.sum(), deltaReceived.sum(),
                otherRejected.sum(), stateChanges.sum(), firmwareUpdates.sum(), firmwareFailures.sum(), drops.sum(),
                reconnects.sum(), connectFailures.sum(), latency.percentile(0.50), latency.percentile(0.99));
    }
}
