package io.dioring.reap;

import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import io.dioring.request.IoRequest;
import java.util.concurrent.CancellationException;

/**
 * Many slices, one result: the rules of seed 003 (fuse_aio_complete), extended.
 *
 * <ul>
 * <li>A request completes exactly once, when its last slice is in and every slice has
 *     been issued ({@code outstanding == 0 && allIssued}).
 * <li>The first error to arrive wins and keeps its errno, offset and length; slices not
 *     yet issued are not issued.
 * <li>A read's result is the longest contiguous prefix transferred: a slice that comes
 *     short at position p caps the result at p, whatever later slices did.
 * <li>A short slice is resubmitted for its remainder before it is judged: a read short
 *     of its length (not at end of file) and a write short of its length. A resubmission
 *     that transfers nothing ends it: for a read that is end of file (the prefix stands);
 *     for a write it is an error, EIO.
 * <li>With O_DIRECT, a remainder that starts off the file's alignment cannot be
 *     resubmitted (the kernel would refuse it): a read short there has met end of file,
 *     a write short there fails with EIO.
 * <li>On a file with raw outcomes ({@code FileState.rawOutcomes()}: a dd-style caller that
 *     must see each read as the kernel returned it), a short read is never resubmitted:
 *     the prefix it transferred is the result.
 * <li>EAGAIN and EINTR on a slice are retried a bounded number of times, then count as
 *     errors.
 * </ul>
 */
public final class Aggregator {
    /** Retries of one slice for EAGAIN/EINTR before the error stands. */
    public static final int MAX_RETRIES = 16;

    /** What to do with a slice after its CQE. */
    public enum Verdict { DONE, RESUBMIT }

    private Aggregator() {}

    /**
     * Applies one slice's result to its request.
     *
     * @param r the request
     * @param sliceOffset the slice's file offset
     * @param sliceLength bytes the slice asked for
     * @param sliceRelative the slice's position within the request
     * @param result the CQE's res
     * @param retries how many times the slice was retried already for EAGAIN/EINTR
     * @param alignment the file offset alignment with O_DIRECT, 1 without
     * @param data whether the slice moves data (false for fsync)
     * @return RESUBMIT when the slice (or its remainder, after {@code advance}) must be issued again
     */
    public static Verdict onSlice(IoRequest r, long sliceOffset, int sliceLength, long sliceRelative,
            int result, int retries, int alignment, boolean data) {
        if (result < 0) {
            if (retryable(result, retries)) {
                return Verdict.RESUBMIT;
            }
            fail(r, -result, sliceOffset, sliceLength, null);
            return Verdict.DONE;
        }
        if (!data || result >= sliceLength) {
            return Verdict.DONE;
        }
        boolean continuable = result > 0 && ((sliceOffset + result) & (alignment - 1)) == 0;
        if (r.op() == IoRequest.READ) {
            if (continuable && !r.file().rawOutcomes()) {
                return Verdict.RESUBMIT;
            }
            Outcome<IoRequest> o = r.outcome();
            o.shortPosition = Math.min(o.shortPosition, sliceRelative + result);
            return Verdict.DONE;
        }
        if (continuable) {
            return Verdict.RESUBMIT;
        }
        fail(r, Errno.EIO, sliceOffset + result, sliceLength - result,
                "short write: " + result + " of " + sliceLength + " bytes written and the rest could not be");
        return Verdict.DONE;
    }

    /**
     * The EAGAIN/EINTR rule, for single slices and merged SQEs alike: a result of -EAGAIN or
     * -EINTR is issued again while the slice has been retried fewer than {@link #MAX_RETRIES}
     * times; after that the error stands.
     */
    public static boolean retryable(int result, int retries) {
        return (result == -Errno.EAGAIN || result == -Errno.EINTR) && retries < MAX_RETRIES;
    }

    /** Records an error unless one is already recorded (the first to arrive wins). */
    public static void fail(IoRequest r, int errno, long offset, long length, String detail) {
        Outcome<IoRequest> o = r.outcome();
        if (o.errno == 0) {
            o.errno = errno;
            o.errorOffset = offset;
            o.errorLength = length;
            o.errorDetail = detail;
        }
    }

    /**
     * Sets the request's single outcome once its last slice is in, exactly once: its
     * {@code result} (bytes, or -errno) and, after an error, its {@code failure}: a
     * {@link DirectIoException} with the first error's errno, offset and length, or a
     * {@link CancellationException} (that exception its cause) when the slice was cancelled
     * by the engine's own close with cancel ({@code cancelledByEngine}).
     *
     * @throws IllegalStateException if the request has its outcome already
     */
    public static void conclude(IoRequest r, boolean cancelledByEngine) {
        Outcome<IoRequest> o = r.outcome();
        if (o.completed) {
            throw new IllegalStateException("request completed twice: " + r.opName() + " at " + r.offset());
        }
        o.completed = true;
        if (o.errno == 0) {
            o.result = result(r);
            return;
        }
        DirectIoException e = new DirectIoException(o.errno, r.opName(), r.file().path(), o.errorOffset,
                o.errorLength, o.errorDetail);
        o.failure = o.errno == Errno.ECANCELED && cancelledByEngine
                ? (CancellationException) cancellation(r, "the engine was closed with cancel").initCause(e)
                : e;
        o.result = -o.errno;
    }

    /**
     * Sets the single outcome of a request that never reached a ring (refused, cancelled, or
     * its ring failed first): {@code failure}, and {@code -errno} as its result.
     */
    public static void concludeUnissued(IoRequest r, Throwable failure, int errno) {
        Outcome<IoRequest> o = r.outcome();
        assert !o.completed : "failing a request that completed already";
        o.failure = failure;
        o.result = -errno;
        o.completed = true;
    }

    /** The one message of a cancelled request: "<op> <path> at offset <n> cancelled: <why>". */
    public static CancellationException cancellation(IoRequest r, String why) {
        return new CancellationException(r.opName() + " " + r.file().path() + " at offset " + r.offset()
                + " cancelled: " + why);
    }

    /** The request's single result once its last slice is in: bytes, or -errno. */
    public static long result(IoRequest r) {
        Outcome<IoRequest> o = r.outcome();
        if (o.errno != 0) {
            return -o.errno;
        }
        return switch (r.op()) {
            case IoRequest.READ -> Math.min(o.shortPosition, r.length());
            case IoRequest.WRITE -> r.length();
            default -> 0;
        };
    }
}
