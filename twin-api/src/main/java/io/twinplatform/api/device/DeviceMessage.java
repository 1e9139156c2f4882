package io.twinplatform.api.device;

import java.time.Instant;

/**
 * One message a device published on one of its own topics, as the platform's device reader hands it to the module
 * that handles its kind ({@link DeviceMessageHandler}).
 *
 * @param topic    the twin and kind it came on
 * @param payload  its bytes, as sent
 * @param received when the platform took it: the device's activity, unless the event it causes holds a later one
 * @param expectedVersion for a {@code reported} message, the reported {@code $version} the device based its patch on
 *                 when its protocol says one (Azure's {@code $version} on the patch topic); null otherwise
 */
public record DeviceMessage(TwinTopic topic, byte[] payload, Instant received, Long expectedVersion) {

    /** A message that names no version. */
    public DeviceMessage(TwinTopic topic, byte[] payload, Instant received) {
        this(topic, payload, received, null);
    }

    /** How a handled message ended; counted per kind, and what decides whether its time is recorded as activity. */
    public enum Outcome {
        /** It changed the twin: its event holds the device's activity, so nothing more is recorded. */
        APPLIED,
        /** Answered or stored without an event that holds its time (a get, a repeat, telemetry). */
        ACCEPTED,
        /** Answered on {@code …/rejected}. */
        REJECTED,
        /** Answered on {@code …/rejected} with {@code 429 throttled}: the device is over its rate limit. */
        THROTTLED;

        /** The tag value of the meter: lower case. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
