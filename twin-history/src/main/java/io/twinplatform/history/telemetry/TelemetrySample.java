package io.twinplatform.history.telemetry;

import java.time.Instant;

/**
 * One numeric measurement of a device at an instant: a row of the {@code telemetry} table. Its identity is
 * (twin, time, name): storing the same sample twice (a QoS 1 redelivery of a message that carried {@code ts}) keeps
 * one row.
 *
 * @param twinId the device's twin id (telemetry is device-level: never a module)
 * @param ts     when it was measured: the message's {@code ts}, else when the platform received it
 * @param name   the member's name, nested objects joined with {@code .} ({@code env.temperature})
 * @param value  the number, always finite
 */
public record TelemetrySample(String twinId, Instant ts, String name, double value) {
}
