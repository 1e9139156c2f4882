package io.twinplatform.simulator;

/**
 * The device protocol every simulated device of a fleet speaks ({@code --protocol}); docs/devices.md describes each.
 * The devices behave the same whichever it is: only topics, payload shapes and credentials differ.
 */
public enum Protocol {

    /** The platform's own topics, {@code twins/{id}/…}, with a birth message and a last will. */
    NATIVE,

    /**
     * Azure IoT Hub's: a SAS token for password, {@code $iothub/twin/…} for the twin,
     * {@code devices/{id}/messages/events/} for telemetry, direct methods answered; no birth message or will (the
     * broker reports the connection state).
     */
    AZURE,

    /**
     * AWS IoT Device Shadow's {@code $aws/things/{id}/shadow/…} for the twin, with the platform's own credentials,
     * telemetry, birth message and will.
     */
    AWS
}
