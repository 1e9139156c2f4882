package io.twinplatform.command.device;

import io.twinplatform.api.device.DeviceStateMachine;
import io.twinplatform.api.device.DeviceStateMachines;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The device channel's settings, under {@code twin.devices}.
 *
 * @param stateMachines per device type ({@code tags.deviceType}; {@code default} for the rest), its initial state
 *                      and allowed transitions, e.g. {@code twin.devices.state-machines.pump.initial=off} and
 *                      {@code twin.devices.state-machines.pump.transitions.off=on}; none configured means the
 *                      article's default machine for every type
 * @param maxInFlight   device messages taken from the broker and not yet answered, per instance, before the reader
 *                      waits (the broker then holds the rest)
 * @param workers       threads that handle device messages, each for a shard of the devices (a device's messages
 *                      stay in order); commands wait mostly on PostgreSQL, so more threads than cores pay off
 * @param connections   MQTT connections reading device topics in the shared group (with no group, one); more than one
 *                      spreads one device's messages over connections, so their order is no longer kept
 * @param rateLimit     per device: twin messages ({@code reported}, {@code get}, {@code connection}) a second, and how
 *                      many may come back to back (default 20 a second, bursts of 100); one over it is answered on
 *                      {@code …/rejected} with problem {@code 429 throttled} and not applied. Telemetry is not counted
 */
@ConfigurationProperties("twin.devices")
public record DeviceSettings(Map<String, Machine> stateMachines,
                             @DefaultValue("256") int maxInFlight,
                             @DefaultValue("16") int workers,
                             @DefaultValue("1") int connections,
                             @DefaultValue RateLimit rateLimit) {

    /**
     * Messages a second a device may send, and how many back to back.
     *
     * @param messagesPerSecond twin messages a second per device, on average (default 20)
     * @param burst             how many may come back to back before the average applies (default 100)
     */
    public record RateLimit(@DefaultValue("20") double messagesPerSecond, @DefaultValue("100") double burst) {
    }

    public record Machine(String initial, Map<String, List<String>> transitions) {
    }

    /** The configured machines, each checked (a transition to an unlisted state is refused at start). */
    public DeviceStateMachines machines() {
        Map<String, DeviceStateMachine> byType = new LinkedHashMap<>();
        if (stateMachines != null) {
            stateMachines.forEach((type, machine) -> byType.put(type,
                    DeviceStateMachine.of(machine.initial(), machine.transitions() == null ? Map.of()
                            : machine.transitions())));
        }
        return new DeviceStateMachines(byType);
    }
}
