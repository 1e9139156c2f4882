package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

/**
 * The device reported a change: the effective merge patch of reported properties, the reported {@code $version}
 * after it, and the idempotency key the device sent (if any), which makes a redelivery a no-op.
 */
@Revision("1")
public record ReportedPropertiesPatched(String twinId,
                                        ObjectNode patch,
                                        long reportedVersion,
                                        long version,
                                        String idempotencyKey) implements TwinEvent {
}
