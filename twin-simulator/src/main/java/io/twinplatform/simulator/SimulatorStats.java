package io.twinplatform.simulator;

import java.time.Duration;

/**
 * A snapshot of a {@link DeviceSimulator}'s counters since it started. Counts are of messages, so a duplicate counts
 * twice and an answer to a duplicate counts too.
 *
 * @param devices           how many devices the simulator runs
 * @param connected         how many are connected now
 * @param published         messages the broker acknowledged (PUBACK without an error)
 * @param publishFailures   messages not published: refused by the broker, or lost with the connection
 * @param reported          reported patches handed to the client, duplicates included
 * @param duplicates        reported patches sent a second time on purpose ({@code --duplicate-rate})
 * @param telemetry         telemetry messages handed to the client
 * @param reportedAccepted  {@code reported/accepted} answers received
 * @param reportedRejected  {@code reported/rejected} answers received
 * @param getAccepted       {@code get/accepted} answers received
 * @param getRejected       {@code get/rejected} answers received (a twin that does not exist)
 * @param desiredReceived   {@code desired} notifications received
 * @param desiredStale      of those, the ones ignored because their {@code $version} was not newer
 * @param deltaReceived     {@code delta} notifications received
 * @param otherRejected     {@code telemetry/rejected} and {@code connection/rejected} answers received
 * @param stateChanges      state transitions reported
 * @param firmwareUpdates   firmware updates started
 * @param firmwareFailures  firmware updates that ended in {@code Error}
 * @param drops             connections dropped on purpose ({@code --disconnect-rate})
 * @param reconnects        connections made after a device's first
 * @param connectFailures   connection attempts that failed (broker down, bad credentials)
 * @param latencyP50        median time from publishing a reported patch to its {@code reported/accepted}, or null
 *                          before the first
 * @param latencyP99        the 99th percentile of the same
 */
public record SimulatorStats(int devices, int connected, long published, long publishFailures, long reported,
                             long duplicates, long telemetry, long reportedAccepted, long reportedRejected,
                             long getAccepted, long getRejected, long desiredReceived, long desiredStale,
                             long deltaReceived, long otherRejected, long stateChanges, long firmwareUpdates,
                             long firmwareFailures, long drops, long reconnects, long connectFailures,
                             Duration latencyP50, Duration latencyP99) {
}
