package io.twinplatform.deploy.provisioning;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.command.dispatch.CommandDispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Creates the twin of a device an enrollment group takes, when the device first connects with its key: a
 * {@code TwinCreated} with the group's tags and desired properties, the group ({@code enrollment:<id>}) as principal,
 * through the device channel. The configurations that target those tags then apply as to any new twin. A twin created
 * meanwhile (the same device connecting twice at once) is left as it is: provisioning again changes nothing.
 */
@Component
public class EnrollmentProvisioner {

    private static final Logger log = LoggerFactory.getLogger(EnrollmentProvisioner.class);

    private final CommandDispatcher dispatcher;

    EnrollmentProvisioner(CommandDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** Creates the device's twin and waits until a read shows it. */
    public void provision(TwinId device, Enrollment enrollment) {
        AuditMetadata audit = new AuditMetadata(enrollment.principal(), Channel.DEVICE, "mqtt", RandomIds.uuid(),
                "provisioned by enrollment " + enrollment.id() + " at the device's first connect");
        try {
            dispatcher.send(new PutTwin(device.value(), enrollment.tags(), enrollment.desired(), null, true), audit);
            log.info("device {} provisioned by enrollment {}", device, enrollment.id());
        } catch (TwinException e) {
            if (e.error().kind() != ErrorKind.PRECONDITION_FAILED) {
                throw e;
            }
            log.debug("device {} had its twin already", device);
        }
    }
}
