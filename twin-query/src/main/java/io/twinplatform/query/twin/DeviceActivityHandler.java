package io.twinplatform.query.twin;

import io.twinplatform.api.device.RecordDeviceActivity;
import org.axonframework.commandhandling.CommandHandler;
import org.springframework.stereotype.Component;

/**
 * Shows device activity on the twins ({@code lastActivityTime}) without an event per message: the device channel
 * sends the latest message time per twin about once a second, and the rows are raised in one batch.
 */
@Component
class DeviceActivityHandler {

    private final TwinDocumentStore store;

    DeviceActivityHandler(TwinDocumentStore store) {
        this.store = store;
    }

    @CommandHandler
    void handle(RecordDeviceActivity command) {
        store.recordActivity(command.lastSeen());
    }
}
