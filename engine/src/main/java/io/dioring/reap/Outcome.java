package io.dioring.reap;

import io.dioring.split.SliceCursor;

/**
 * A request's outcome, owned by {@link Aggregator} (the only writer; the fields are
 * package-private): the first error with its place, a read's short position, and once the
 * last slice is in, the single result and failure.
 *
 * <p>A layer of the request object ({@code request.IoRequest} extends it), not an object of its own.
 *
 * @param <R> the request type (the part does not name it)
 */
public abstract class Outcome<R> extends SliceCursor<R> {
    /** First error by arrival, as a positive errno; 0 when none. */
    int errno;
    long errorOffset;
    long errorLength;
    String errorDetail;
    /** Smallest position (relative to the request's offset) at which a read slice came up short. */
    long shortPosition = Long.MAX_VALUE;
    boolean completed;
    long result;
    Throwable failure;

    protected Outcome() {}

    public int errno() {
        return errno;
    }

    public long errorOffset() {
        return errorOffset;
    }

    public long errorLength() {
        return errorLength;
    }

    public String errorDetail() {
        return errorDetail;
    }

    public long shortPosition() {
        return shortPosition;
    }

    /** Whether the single result is set. */
    public boolean completed() {
        return completed;
    }

    /** Bytes, or -errno; valid once {@link #completed}. */
    public long result() {
        return result;
    }

    /** The failure delivered instead of the result, or null. */
    public Throwable failure() {
        return failure;
    }

    /** For reuse: as new. */
    protected void resetOutcome() {
        errno = 0;
        errorOffset = 0;
        errorLength = 0;
        errorDetail = null;
        shortPosition = Long.MAX_VALUE;
        completed = false;
        result = 0;
        failure = null;
    }
}
