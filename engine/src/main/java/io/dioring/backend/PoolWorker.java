package io.dioring.backend;

import io.dioring.deliver.Completion;
import io.dioring.ffi.Errno;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.Aggregator;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestFile;
import io.dioring.ring.SqeEncoder;
import io.dioring.split.Coalescer;
import io.dioring.split.SliceCursor;
import io.dioring.split.Splitter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * What one pool thread does with a request: the data path of a ring, made of blocking calls,
 * on the split step's cursor ({@link Splitter#nextSlice}) and the coalescer's rule
 * ({@link Coalescer#chain}).
 *
 * <ul>
 * <li>Split: slices of at most the file's {@code maxIoBytes}, in file order, one pread or
 *     pwrite each (fsync/fdatasync for syncs; pwritev2 with RWF_DSYNC or RWF_SYNC for a
 *     durable write, as the ring's slices carry those flags). The first error stops the
 *     slices not yet made.
 * <li>Aggregate: each call's result goes through {@link Aggregator#onSlice}, exactly as a CQE
 *     does on io_uring: a short read or write is made again for its remainder (no progress
 *     ends it), EAGAIN/EINTR are retried {@link Aggregator#MAX_RETRIES} times, the first
 *     error wins with its errno, a read's result is its longest contiguous prefix, and a file
 *     with raw outcomes has its short reads judged as they came.
 * <li>Coalesce (seed 004): requests taken together ({@link #gatherContiguous}) go out as one
 *     preadv/pwritev. Invisible to results: members the call covered in full are done; on an
 *     error or a short result every other member runs alone, from its start, and is judged
 *     as if it had never been merged.
 * <li>Finish: {@link Completion#conclude}, as on io_uring (the single result, its JFR event,
 *     the listener), then delivery through the pool ({@code ThreadPoolSink.deliver}).
 * </ul>
 */
final class PoolWorker {
    /** Buffers per preadv/pwritev at most: the io_uring path's bound (well under IOV_MAX, 1024). */
    static final int MAX_IOVECS = SqeEncoder.MAX_IOVECS_PER_SQE;
    private static final long IOVEC_BYTES = 16; // struct iovec { void *iov_base; size_t iov_len; }

    private final PositionalIo io;
    /** Data and sync calls made; null: not counted. */
    private final LongAdder syscalls;
    private final LongAdder coalesced;
    /** Where a finished request goes: delivered on this worker or handed back to its owner. */
    private final Consumer<IoRequest> deliver;
    private final IoRequest[] members = new IoRequest[MAX_IOVECS];
    /** The iovec array, made on this worker's thread at its first merged call. */
    private Arena arena;
    private MemorySegment iovecs;

    /**
     * @param io the calls to make
     * @param syscalls counts the calls made (null: not counted)
     * @param coalesced counts requests that went out inside another's call
     * @param deliver where a request goes once its result is known, told and recorded
     */
    PoolWorker(PositionalIo io, LongAdder syscalls, LongAdder coalesced, Consumer<IoRequest> deliver) {
        this.io = io;
        this.syscalls = syscalls;
        this.coalesced = coalesced;
        this.deliver = deliver;
    }

    /**
     * Links to {@code head} the requests at the front of {@code from} that continue it, by the
     * coalescer's rule ({@link Coalescer#chain}). Called under the pool's lock.
     */
    static void gatherContiguous(IoRequest head, ArrayDeque<IoRequest> from) {
        Coalescer.chain(head, from);
    }

    /** Runs a request (or a merged chain) to its result and delivers it. */
    void run(IoRequest head) {
        if (head.completed()) {
            deliver.accept(head); // finished elsewhere and handed here to be delivered on a worker
        } else if (head.cursor().nextMerged() != null) {
            runMerged(head);
        } else {
            runAndFinish(head);
        }
    }

    /** Runs {@code r} alone on the calling thread to its result, and delivers it. */
    void runAndFinish(IoRequest r) {
        runGuarded(io, syscalls, r, "thread-pool backend");
        Completion.conclude(r, false, IoEvents.THREADS); // a syscall runs to its end: nothing is cancelled in flight
        deliver.accept(r);
    }

    /**
     * {@link #runAlone}, a throw turned into the request's EIO: it still completes, once. The
     * request has made every call it will make when this returns (its cursor is settled).
     */
    static void runGuarded(PositionalIo io, LongAdder syscalls, IoRequest r, String who) {
        try {
            runAlone(io, syscalls, r);
        } catch (RuntimeException | Error e) {
            // A bug or a buffer freed under the request: the request still completes, once.
            Aggregator.fail(r, Errno.EIO, r.offset(), r.length(), who + ": " + e);
        }
        r.cursor().settle();
    }

    private void runMerged(IoRequest head) {
        int count = 0;
        for (IoRequest r = head; r != null; ) {
            IoRequest next = r.cursor().unlinkNextMerged();
            members[count++] = r;
            r = next;
        }
        long result;
        try {
            if (iovecs == null) {
                arena = Arena.ofConfined();
                iovecs = arena.allocate(IOVEC_BYTES * MAX_IOVECS, 8);
            }
            for (int i = 0; i < count; i++) {
                MemorySegment seg = members[i].segment(0);
                iovecs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES, seg.address());
                iovecs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES + 8, seg.byteSize());
            }
            int fd = head.file().fd();
            result = head.op() == IoRequest.READ ? io.preadv(fd, iovecs, count, head.offset())
                    : io.pwritev(fd, iovecs, count, head.offset());
            count(syscalls);
            coalesced.add(count - 1);
        } catch (RuntimeException | Error e) {
            result = -Errno.EIO; // every member runs alone and meets whatever it meets on its own
        }
        long covered = Math.max(result, 0);
        for (int i = 0; i < count; i++) {
            IoRequest r = members[i];
            members[i] = null;
            Coalescer.issuedWhole(r); // one slice each, as in a merged SQE
            if (covered >= r.length()) {
                covered -= r.length();
                r.cursor().settle();
                Completion.conclude(r, false, IoEvents.THREADS); // all of its bytes moved: its result alone would be the same
                deliver.accept(r);
            } else {
                covered = 0; // the call stopped inside this one: it and the rest go alone, from their start
                r.cursor().restartAlone(0);
                runAndFinish(r);
            }
        }
    }

    /** Slices, calls and judges {@code r} on the calling thread, by the split step's cursor; or its sync. */
    private static void runAlone(PositionalIo io, LongAdder syscalls, IoRequest r) {
        if (r.outcome().errno() != 0) {
            return; // failed before its first slice
        }
        // A durable write is durable slice by slice, as on io_uring: pwritev2 with RWF_DSYNC
        // (RWF_SYNC with metadata), one call per slice, no separate sync; a zero-length one is its sync.
        int rwFlags = Splitter.startBlocking(r);
        if (r.cursor().syncing() || !r.isData()) {
            sync(io, syscalls, r);
            return;
        }
        RequestFile f = r.file();
        int alignment = f.sliceAlignment();
        int maxIo = f.maxIoBytes();
        SliceCursor<IoRequest> c = r.cursor();
        for (int len; (len = Splitter.nextSlice(r, maxIo)) > 0; ) {
            slice(io, syscalls, r, r.segment(c.segIndex()), c.segPos(), len, c.issued(), alignment, rwFlags);
            Splitter.sliceOut(r, len);
            if (r.outcome().errno() != 0) {
                break; // the first error stops the rest
            }
        }
    }

    /** One slice: called until {@link Aggregator#onSlice} judges it done. */
    private static void slice(PositionalIo io, LongAdder syscalls, IoRequest r, MemorySegment seg, long pos,
            int len, long relative, int alignment, int rwFlags) {
        int fd = r.file().fd();
        long offset = r.offset() + relative;
        int retries = 0;
        while (true) {
            MemorySegment part = seg.asSlice(pos, len);
            long n = r.op() == IoRequest.READ ? io.pread(fd, part, offset)
                    : rwFlags == 0 ? io.pwrite(fd, part, offset) : durableWrite(io, fd, part, offset, rwFlags);
            count(syscalls);
            int result = (int) n; // at most len, or -errno
            if (Aggregator.onSlice(r, offset, len, relative, result, retries, alignment, true)
                    == Aggregator.Verdict.DONE) {
                return;
            }
            if (result > 0) {
                pos += result;
                offset += result;
                relative += result;
                len -= result;
                retries = 0;
            } else {
                retries++;
            }
        }
    }

    /** One pwritev2 with {@code rwFlags} over a one-entry iovec (durable writes only: allocates it). */
    private static long durableWrite(PositionalIo io, int fd, MemorySegment part, long offset, int rwFlags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment iovec = a.allocate(IOVEC_BYTES, 8);
            iovec.set(ValueLayout.JAVA_LONG, 0, part.address());
            iovec.set(ValueLayout.JAVA_LONG, 8, part.byteSize());
            return io.pwritev2(fd, iovec, 1, offset, rwFlags);
        }
    }

    private static void sync(PositionalIo io, LongAdder syscalls, IoRequest r) {
        int fd = r.file().fd();
        int retries = 0;
        while (true) {
            int result = r.phaseOp() == IoRequest.FDATASYNC ? io.fdatasync(fd) : io.fsync(fd);
            count(syscalls);
            if (Aggregator.onSlice(r, r.offset(), 0, 0, result, retries, 1, false) == Aggregator.Verdict.DONE) {
                return;
            }
            retries++;
        }
    }

    private static void count(LongAdder syscalls) {
        if (syscalls != null) {
            syscalls.increment();
        }
    }

    /** Frees the iovec array, on the worker's own thread as it ends. */
    void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
