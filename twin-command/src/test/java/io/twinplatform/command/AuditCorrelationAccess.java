package io.twinplatform.command;

import org.axonframework.messaging.correlation.CorrelationDataProvider;

/**
 * Test-only bridge: the production correlation provider (package-private in {@link TwinCommandConfiguration}) for
 * tests in other packages, such as the aggregate fixture tests, which must register it by hand because the Axon
 * fixture does not run Spring's configuration.
 */
public final class AuditCorrelationAccess {

    private AuditCorrelationAccess() {
    }

    public static CorrelationDataProvider provider() {
        return new TwinCommandConfiguration().auditCorrelationDataProvider();
    }
}
