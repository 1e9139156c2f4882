package io.twinplatform.deploy.mqtt;

import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;

/**
 * Disconnects a device from the embedded broker once its twin is disabled or deleted (as Azure IoT Hub does), after
 * the event committed; its next connect is refused ({@link DeviceGate}), and so is its next HTTP request
 * ({@link DeviceCredentials} keeps nothing for it any more). A subscribing processor
 * ({@value #GROUP}): it sees the events this instance writes, and a device is connected to the broker of the instance
 * it chose. A device on another instance's broker is refused at its next connect.
 */
@ProcessingGroup(DeviceDisconnects.GROUP)
class DeviceDisconnects {

    static final String GROUP = "device-disconnects";

    private final EmbeddedBroker broker;
    private final DeviceCredentials credentials;

    DeviceDisconnects(EmbeddedBroker broker, DeviceCredentials credentials) {
        this.broker = broker;
        this.credentials = credentials;
    }

    @EventHandler
    void on(TwinStatusChanged event) {
        if (event.status() == TwinStatus.DISABLED) {
            afterCommit(event.twinId(), "the twin was disabled");
        }
    }

    @EventHandler
    void on(TwinDeleted event) {
        afterCommit(event.twinId(), "the twin was deleted");
    }

    private void afterCommit(String twinId, String why) {
        if (CurrentUnitOfWork.isStarted()) {
            CurrentUnitOfWork.get().root().afterCommit(unitOfWork -> refuse(twinId, why));
        } else {
            refuse(twinId, why);
        }
    }

    /** Disconnects the device, and drops what {@link DeviceCredentials} keeps for its HTTP access. */
    private void refuse(String twinId, String why) {
        credentials.forget(twinId);
        broker.disconnect(twinId, why);
    }
}
