package io.dioring.file;

/**
 * A request's place in its file's ordering against in-flight writes, owned by
 * {@link InFlightWrites} (the only writer, under its monitor; the fields are package-private).
 *
 * @param <R> the request type (the part does not name it: the request owns its part)
 */
public final class WriteOrder<R> {
    /** Sequence number among the file's requests, for ordering against earlier writes. */
    long sequence;
    /** A write registered as in flight: its completion must be told to {@link InFlightWrites#onComplete}. */
    boolean registeredWrite;
    /** While held: earlier overlapping writes still in flight. */
    int blockers;
    /** The next held (or released) request, in admission order. */
    R nextHeld;

    public boolean registeredWrite() {
        return registeredWrite;
    }

    /** Walks a released chain: returns the next released request and forgets it. */
    public R unlinkNext() {
        R next = nextHeld;
        nextHeld = null;
        return next;
    }

    /** For reuse: as new. */
    public void reset() {
        sequence = 0;
        registeredWrite = false;
        blockers = 0;
        nextHeld = null;
    }
}
