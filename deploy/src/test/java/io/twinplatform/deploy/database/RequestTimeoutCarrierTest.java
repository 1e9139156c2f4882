package io.twinplatform.deploy.database;

import io.twinplatform.command.dispatch.RequestContextCarrier;
import io.twinplatform.deploy.database.DatabaseTimeouts;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** A batch item runs with the database timeout of the request that handed it over, and leaves its thread as it was. */
class RequestTimeoutCarrierTest {

    private final RequestContextCarrier carrier = new DatabaseTimeouts().requestTimeoutCarrier();

    @Test
    void aBatchItemRunsWithItsRequestsTimeoutAndTheThreadGetsItsOwnBack() throws Exception {
        ExecutorService batchThread = Executors.newSingleThreadExecutor();
        try {
            AtomicReference<Integer> seen = new AtomicReference<>();
            DatabaseTimeouts.REQUEST_TIMEOUT.set(5000);
            Runnable item = carrier.carry(() -> seen.set(DatabaseTimeouts.REQUEST_TIMEOUT.get()));
            DatabaseTimeouts.REQUEST_TIMEOUT.remove();

            CompletableFuture.runAsync(item, batchThread).get();

            assertThat(seen.get()).isEqualTo(5000);
            assertThat(CompletableFuture.supplyAsync(DatabaseTimeouts.REQUEST_TIMEOUT::get, batchThread).get())
                    .isNull();
        } finally {
            batchThread.shutdown();
        }
    }
}
