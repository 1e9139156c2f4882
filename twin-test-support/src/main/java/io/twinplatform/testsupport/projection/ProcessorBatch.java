package io.twinplatform.testsupport.projection;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventMessageHandler;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;

/**
 * Hands events to a projection the way its streaming processor does: one batch, in one transaction and one unit of
 * work, so that what the projection collects per batch and writes when the unit commits is written as in the
 * platform. Shared by the sides' integration tests, which run a projection without its processor.
 */
public final class ProcessorBatch {

    private ProcessorBatch() {
    }

    /**
     * Handles {@code messages} with {@code projection} as one batch in a transaction of {@code transaction}.
     *
     * @throws IllegalStateException when the projection refused the batch (it was rolled back)
     */
    public static void project(TransactionTemplate transaction, EventMessageHandler projection,
                               List<? extends EventMessage<?>> messages) {
        transaction.executeWithoutResult(status -> {
            DefaultUnitOfWork<EventMessage<?>> unitOfWork = DefaultUnitOfWork.startAndGet(messages.get(0));
            try {
                for (EventMessage<?> message : messages) {
                    projection.handle(message);
                }
            } catch (Exception e) {
                unitOfWork.rollback(e);
                throw new IllegalStateException("the projection refused a batch", e);
            }
            unitOfWork.commit();
        });
    }
}
