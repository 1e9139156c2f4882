package io.twinplatform.deploy.projection;

import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Configuration;

/**
 * How every event processor meets a failure (see {@link ProjectionIsolation}): an exception in an event handler
 * fails the handler's batch (Axon's Spring default would log it and skip the event, silently); a failed batch goes
 * to {@link ProjectionIsolation#handleError}; and the isolated projections skip the events of the twins they have
 * quarantined. The beans are looked up on first use, as processors are built before them.
 */
@Configuration(proxyBeanMethods = false)
class FaultHandlingConfiguration {

    @Autowired
    void configureFaultHandling(EventProcessingConfigurer processing, ObjectProvider<ProjectionIsolation> isolation,
                                ObjectProvider<ProjectionFaults> faults) {
        processing.registerDefaultListenerInvocationErrorHandler(configuration -> PropagatingErrorHandler.instance());
        processing.registerDefaultErrorHandler(configuration -> context -> isolation.getObject().handleError(context));
        for (String name : ProjectionIsolation.ISOLATED) {
            processing.registerHandlerInterceptor(name, configuration -> new Quarantine(name, faults));
        }
    }

    /** Skips the events of a twin the processor has quarantined (an in-memory look-up per event). */
    private static final class Quarantine implements MessageHandlerInterceptor<EventMessage<?>> {

        private final String processor;
        private final ObjectProvider<ProjectionFaults> provider;
        private volatile ProjectionFaults faults;

        Quarantine(String processor, ObjectProvider<ProjectionFaults> provider) {
            this.processor = processor;
            this.provider = provider;
        }

        @Override
        public Object handle(UnitOfWork<? extends EventMessage<?>> unitOfWork, InterceptorChain chain) throws Exception {
            ProjectionFaults known = faults;
            if (known == null) {
                known = provider.getObject();
                faults = known;
            }
            if (unitOfWork.getMessage() instanceof DomainEventMessage<?> event
                    && known.quarantined(processor, event.getAggregateIdentifier())) {
                return null;
            }
            return chain.proceed();
        }
    }
}
