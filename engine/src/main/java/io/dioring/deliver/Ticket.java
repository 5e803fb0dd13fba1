package io.dioring.deliver;

import io.dioring.file.WriteOrder;
import java.util.function.Consumer;

/**
 * A request's delivery ticket, owned by the delivery step ({@link Delivery}, {@link Completion}:
 * the fields are package-private): the blocking caller to wake, whether the result has been
 * handed over, and what runs once user code has returned. It is also what an executor runs
 * to deliver a deferred result.
 *
 * <p>A layer of the request object ({@code request.IoRequest} extends it), not an object of its own.
 *
 * @param <R> the request type (the part does not name it)
 */
public abstract class Ticket<R> extends WriteOrder<R> implements Runnable {
    /** Released by the engine to whoever waits on completion (synchronous paths). */
    volatile boolean delivered;
    /** Set by a synchronous caller so the completing side can wake it. */
    Thread waiter;
    /** Run once the result's user code has returned (Delivery counts deferred results with it). */
    Runnable afterDelivery;
    /** What {@link #run} does: set when the request is handed to an executor. */
    Consumer<? super R> deliverer;

    protected Ticket() {}

    public boolean delivered() {
        return delivered;
    }

    public Thread waiter() {
        return waiter;
    }

    /**
     * A synchronous caller will wait for the result on {@code thread}.
     *
     * @return the waiter before it (null, or a blocking caller an extending write stands in for)
     */
    public Thread awaitOn(Thread thread) {
        Thread previous = waiter;
        waiter = thread;
        return previous;
    }

    /** An extending write's stand-in wait is over: not delivered yet, {@code waiter} waits again. */
    public void rearm(Thread waiter) {
        delivered = false;
        this.waiter = waiter;
    }

    /** Delivers on the executor's thread. */
    @Override
    @SuppressWarnings("unchecked")
    public void run() {
        deliverer.accept((R) this); // the request is this object (see IoRequest)
    }

    /** For reuse: as new. */
    protected void resetTicket() {
        delivered = false;
        waiter = null;
        afterDelivery = null;
        deliverer = null;
    }
}
