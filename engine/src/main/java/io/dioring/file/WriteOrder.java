package io.dioring.file;

import io.dioring.reap.Outcome;

/**
 * A request's place in its file's ordering against in-flight writes, owned by
 * {@link InFlightWrites} (the only writer, under its monitor; the fields are package-private).
 *
 * <p>A layer of the request object ({@code request.IoRequest} extends it), not an object of its own.
 *
 * @param <R> the request type (the part does not name it)
 */
public abstract class WriteOrder<R> extends Outcome<R> {
    /** Sequence number among the file's requests, for ordering against earlier writes. */
    long sequence;
    /** A write registered as in flight: its completion must be told to {@link InFlightWrites#onComplete}. */
    boolean registeredWrite;
    /** While held: earlier overlapping writes still in flight. */
    int blockers;
    /** The next held (or released) request, in admission order. */
    R nextHeld;
    /** A barrier waiting for deliveries: the epochs ({@link InFlightWrites}) whose count it awaits at zero, as bits. */
    int epochsAwaited;
    /** A concluded write: the count its delivery takes itself out of; null once taken (or for no write). */
    DeliveryHold<R> deliveryHold;

    protected WriteOrder() {}

    public boolean registeredWrite() {
        return registeredWrite;
    }

    /** Walks a released chain: returns the next released request and forgets it. */
    public R unlinkNextHeld() {
        R next = nextHeld;
        nextHeld = null;
        return next;
    }

    /**
     * The hold this concluded write's delivery releases, taken (the request no longer has it),
     * or null: its deliverer calls {@link DeliveryHold#delivered} once the result is delivered.
     */
    public DeliveryHold<R> takeDeliveryHold() {
        DeliveryHold<R> hold = deliveryHold;
        deliveryHold = null;
        return hold;
    }

    /** For reuse: as new (a hold not taken is released by the request before it comes here). */
    protected void resetOrder() {
        assert deliveryHold == null : "a request reused with its delivery hold still on it";
        sequence = 0;
        registeredWrite = false;
        blockers = 0;
        nextHeld = null;
        epochsAwaited = 0;
    }
}
