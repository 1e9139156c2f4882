package io.twinplatform.command.twin;

/**
 * The write side's own view of which twins exist, kept in the same transaction as the events (a subscribing
 * processor), so the rule "a module twin needs its device" is checked against committed fact, not a lagging
 * projection.
 */
public interface TwinRegistry {

    /** Whether a live device twin exists; holds a share lock on it until the transaction ends. */
    boolean deviceExists(String deviceId);

    /**
     * Locks the device's registry row for the rest of the transaction (so no module can be added meanwhile) and
     * tells whether it has live module twins.
     */
    boolean lockDeviceAndCheckModules(String deviceId);
}
