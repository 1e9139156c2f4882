package io.twinplatform.command.dispatch;

/**
 * Carries what an HTTP request's thread holds for the request to the threads that run its batch items (the
 * deployment's database timeout for requests, above all), so an item of {@code POST /twins/batch} waits on the
 * database no longer than a single write would. Called on the thread that hands the item over; the returned task
 * runs on the batch thread. Without a bean of this type, items run with what the batch threads hold (nothing).
 */
@FunctionalInterface
public interface RequestContextCarrier {

    Runnable carry(Runnable task);

    /**
     * Whether the calling thread holds a request's context at all (it serves an HTTP request), so a carrier can be
     * left out for a thread that has nothing to carry.
     */
    default boolean active() {
        return true;
    }
}
