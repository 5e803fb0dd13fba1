package io.dioring.reap;

import io.dioring.deliver.Delivery;
import io.dioring.jfr.IoEvents;
import io.dioring.request.IoRequest;

/**
 * The end of a request on one ring, single-owner: counts it and hands it to {@link Delivery}
 * with what the ring knows at that moment (whether its ECANCELED results are the engine's
 * cancellation, whether callbacks may run on this thread).
 */
final class RingFinish {
    private final Delivery delivery;
    private long requestsCompleted;
    /** Set by a cancel-all: an ECANCELED from here on is ours, and reads as the engine's cancellation. */
    private boolean cancelled;
    /**
     * Whether results reaped now may run their callbacks here: true on a ring's own thread;
     * false while a submitting caller drives a shared ring, which runs nobody's callbacks
     * (seed 001): it wakes waiters and hands the rest on ({@link Delivery#offRing}).
     */
    private boolean callbacksHere = true;

    RingFinish(Delivery delivery) {
        this.delivery = delivery;
    }

    /** Computes the single result, releases holds, and delivers (here or on the executor). */
    void finish(IoRequest r) {
        requestsCompleted++;
        delivery.finish(r, cancelled, IoEvents.IO_URING, callbacksHere);
    }

    /** Delivers, on this thread, a request finished elsewhere and handed here. */
    void onRing(IoRequest r) {
        delivery.onRing(r);
    }

    long requestsCompleted() {
        return requestsCompleted;
    }

    void cancelled() {
        cancelled = true;
    }

    void callbacksHere(boolean here) {
        callbacksHere = here;
    }

    boolean callbacksHere() {
        return callbacksHere;
    }
}
