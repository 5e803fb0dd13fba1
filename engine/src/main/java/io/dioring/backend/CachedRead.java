package io.dioring.backend;

import io.dioring.deliver.Completion;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.RwFlags;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.Aggregator;
import io.dioring.request.IoRequest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The page-cache fast path of a blocking buffered read: preadv2(2) with RWF_NOWAIT on the
 * calling thread, before the read would go to a ring.
 *
 * <p>Why: a small buffered read that the page cache holds is a copy; through a ring it costs
 * a request, a ring turn and an io_uring_enter besides (1.3-1.8 µs of CPU per read of at most
 * 1 KiB against 1.1-1.3 µs for the JDK's pread, measured with LuceneQueries). RWF_NOWAIT
 * never waits for the device: the kernel copies what the page cache holds and returns, or
 * fails with EAGAIN. So the call is safe on a virtual thread (it pins its carrier only for
 * the copy) and costs a miss one system call.
 *
 * <p>Outcomes ({@link #attempt}):
 * <ul>
 * <li>all the bytes asked for, or 0 (end of file): the read is done; it is concluded here,
 *     as a ring would conclude it (JFR event, listener);
 * <li>a short positive count: the rest is asked for once more, without waiting, as the ring
 *     resubmits a short read's remainder: 0 there is end of file (the prefix is the result),
 *     the whole rest makes the read whole. Anything else (only a prefix cached) is not taken:
 *     the whole read goes to the ring, which reads that prefix again, so a blocking read is
 *     still short only at end of file. With raw outcomes (dd) a short count goes to the ring;
 * <li>EAGAIN (not cached) or any other error: the ring, which waits for the device or reports
 *     the real error. EOPNOTSUPP (a file system without non-blocking reads) tells the caller
 *     to stop trying on that file.
 * </ul>
 */
public final class CachedRead {
    /** Outcome of {@link #attempt}: the read is done (concluded, to be delivered). */
    public static final int DONE = 0;
    /** Outcome of {@link #attempt}: not done here; issue it as usual. */
    public static final int MISS = 1;
    /** Outcome of {@link #attempt}: not done here, and the file refuses RWF_NOWAIT: stop trying. */
    public static final int UNSUPPORTED = 2;

    /** What {@link #read} returns for a read it did not make: not all cached, or an error. */
    public static final long MISSED = -1;
    /** What {@link #read} returns when the file system refuses RWF_NOWAIT. */
    public static final long REFUSED = -2;

    private static final long IOVEC_BYTES = 16;
    /**
     * One iovec per thread (as the errno slot), so the call allocates nothing once a thread
     * has made its first.
     */
    private static final ThreadLocal<MemorySegment> IOVEC =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(IOVEC_BYTES, 8));

    private CachedRead() {}

    /**
     * Tries {@code r}, a single-buffer read of a buffered file already admitted past the writes
     * in flight, with preadv2(RWF_NOWAIT); when it is done, ends it as a ring would
     * ({@link Completion#conclude}: its result, its JFR event, its listener). The caller
     * delivers a done read, and issues any other as it would have.
     *
     * @return {@link #DONE}, {@link #MISS} or {@link #UNSUPPORTED}
     */
    public static int attempt(IoRequest r) {
        assert r.op() == IoRequest.READ && r.segmentCount() == 1 : "a single-buffer read";
        long length = r.length();
        long offset = r.offset();
        long n = read(r.file().fd(), r.segment(0), offset, r.file().rawOutcomes());
        if (n == REFUSED) {
            return UNSUPPORTED;
        }
        if (n == MISSED) {
            return MISS;
        }
        if (n < length || n == 0) {
            Aggregator.onSlice(r, offset + n, (int) (length - n), n, 0, 0, 1, true); // end of file at n
        }
        r.cursor().settle();
        Completion.conclude(r, false, IoEvents.SYSCALL);
        return DONE;
    }

    /**
     * The read itself, with no request: {@code dst.byteSize()} bytes of descriptor {@code fd}
     * at {@code offset} into native {@code dst}, from the page cache or not at all, by the
     * rules of the class doc ({@code raw}: the file's raw outcomes, where a short count is
     * not taken). The caller keeps the descriptor open meanwhile.
     *
     * @return the result (all the bytes asked for, or fewer at end of file), {@link #MISSED}
     *         or {@link #REFUSED}
     */
    public static long read(int fd, MemorySegment dst, long offset, boolean raw) {
        long length = dst.byteSize();
        long n = preadNowait(fd, dst.address(), length, offset);
        if (n == -Errno.EOPNOTSUPP) {
            return REFUSED;
        }
        if (n > 0 && n < length && !raw) {
            // Short: end of file, or only a prefix cached. The ring would read the rest; so
            // does this, without waiting: nothing more (0) is end of file, all of it is a
            // whole read; anything else goes to the ring.
            long rest = preadNowait(fd, dst.address() + n, length - n, offset + n);
            return rest == 0 ? n : rest == length - n ? length : MISSED;
        }
        // All of it, 0 (end of file at the start), or EAGAIN (not cached), another error
        // (the ring reports it), a short count with raw outcomes: the ring's.
        return n == length || n == 0 ? n : MISSED;
    }

    /** preadv2(RWF_NOWAIT) of {@code length} bytes to {@code address}: bytes read or -errno. */
    private static long preadNowait(int fd, long address, long length, long offset) {
        MemorySegment iovec = IOVEC.get();
        iovec.set(ValueLayout.JAVA_LONG, 0, address);
        iovec.set(ValueLayout.JAVA_LONG, 8, length);
        return Libc.preadv2(fd, iovec, 1, offset, RwFlags.RWF_NOWAIT);
    }
}
