package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * The device's merge patch of its reported properties. A non-null {@code idempotencyKey} already seen for this
 * twin makes the command a no-op (a QoS 1 redelivery or an HTTP retry). A non-null {@code expectedReportedVersion}
 * is the reported {@code $version} the device based its patch on (Azure's {@code $version} on the patch topic): any
 * other refuses the patch ({@code 412}).
 */
public record PatchReportedProperties(@TargetAggregateIdentifier String twinId,
                                      ObjectNode patch,
                                      String idempotencyKey,
                                      Long expectedReportedVersion) implements TwinCommands {

    /** A patch that does not depend on the reported version. */
    public PatchReportedProperties(String twinId, ObjectNode patch, String idempotencyKey) {
        this(twinId, patch, idempotencyKey, null);
    }
}
