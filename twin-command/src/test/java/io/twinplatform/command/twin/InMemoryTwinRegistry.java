package io.twinplatform.command.twin;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link TwinRegistry} test double: which device twins exist and which of them have live module twins are plain
 * sets the test fills in. It also records which devices it was asked about, so a test can tell whether the
 * aggregate consulted it at all.
 */
final class InMemoryTwinRegistry implements TwinRegistry {

    private final Set<String> devices = new HashSet<>();
    private final Set<String> devicesWithModules = new HashSet<>();
    private final List<String> deviceQueries = new ArrayList<>();
    private final List<String> moduleQueries = new ArrayList<>();

    /** Registers a live device twin. */
    InMemoryTwinRegistry withDevice(String deviceId) {
        devices.add(deviceId);
        return this;
    }

    /** Registers a live device twin that has at least one live module twin. */
    InMemoryTwinRegistry withDeviceHavingModules(String deviceId) {
        devices.add(deviceId);
        devicesWithModules.add(deviceId);
        return this;
    }

    @Override
    public boolean deviceExists(String deviceId) {
        deviceQueries.add(deviceId);
        return devices.contains(deviceId);
    }

    @Override
    public boolean lockDeviceAndCheckModules(String deviceId) {
        moduleQueries.add(deviceId);
        return devicesWithModules.contains(deviceId);
    }

    /** The device ids {@link #deviceExists} was asked about, in order. */
    List<String> deviceQueries() {
        return deviceQueries;
    }

    /** The device ids {@link #lockDeviceAndCheckModules} was asked about, in order. */
    List<String> moduleQueries() {
        return moduleQueries;
    }
}
