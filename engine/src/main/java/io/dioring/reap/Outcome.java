package io.dioring.reap;

/**
 * A request's outcome, owned by {@link Aggregator} (the only writer; the fields are
 * package-private): the first error with its place, a read's short position, and once the
 * last slice is in, the single result and failure.
 */
public final class Outcome {
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
    public void reset() {
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
