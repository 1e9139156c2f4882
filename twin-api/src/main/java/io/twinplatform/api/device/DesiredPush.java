package io.twinplatform.api.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.TwinId;

/**
 * Another way for a twin's desired change to reach its device, beside the platform's own {@code twins/{id}/desired}
 * topic: a device protocol that sends patches (Azure IoT Hub's {@code $iothub/twin/PATCH/properties/desired/}).
 * Called once the change is committed, on the thread that committed it: must not block.
 */
public interface DesiredPush {

    /**
     * The desired properties of {@code twinId} changed by {@code patch} (a JSON merge patch; null removes a key) and
     * are now at {@code desiredVersion}.
     */
    void desiredChanged(TwinId twinId, ObjectNode patch, long desiredVersion);
}
