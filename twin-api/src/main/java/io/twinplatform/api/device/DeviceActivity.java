package io.twinplatform.api.device;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Collects the latest message time per twin between two drains, so that a flood of device messages becomes one
 * {@link RecordDeviceActivity} a second. Safe to call from many threads.
 */
public final class DeviceActivity {

    private Map<String, Instant> pending = new HashMap<>();

    /** The device of {@code twinId} sent a message at {@code at}. */
    public synchronized void seen(String twinId, Instant at) {
        pending.merge(twinId, at, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** What was collected since the last drain, or null when nothing was. */
    public RecordDeviceActivity drain() {
        Map<String, Instant> taken;
        synchronized (this) {
            if (pending.isEmpty()) {
                return null;
            }
            taken = pending;
            pending = new HashMap<>();
        }
        return new RecordDeviceActivity(taken);
    }
}
