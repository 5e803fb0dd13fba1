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

    /** For reuse: as new. */
    protected void resetOrder() {
        sequence = 0;
        registeredWrite = false;
        blockers = 0;
        nextHeld = null;
    }
}
