package io.dioring.backend;

import io.dioring.ffi.Errno;
import io.dioring.ffi.RwFlags;
import io.dioring.file.FileState;
import io.dioring.reap.Aggregator;
import io.dioring.request.Completion;
import io.dioring.request.IoRequest;
import io.dioring.ring.SqeEncoder;
import io.dioring.split.Coalescer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one pool thread does with a request: the data path of a ring, made of blocking calls.
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
 * <li>Finish: the single result (as {@code RingLoop} computes it), the listener, then
 *     delivery ({@link ThreadPoolSink#deliver}).
 * </ul>
 */
final class PoolWorker {
    /** Buffers per preadv/pwritev at most: the io_uring path's bound (well under IOV_MAX, 1024). */
    static final int MAX_IOVECS = SqeEncoder.MAX_IOVECS_PER_SQE;
    private static final long IOVEC_BYTES = 16; // struct iovec { void *iov_base; size_t iov_len; }

    private final ThreadPoolSink pool;
    private final IoRequest[] members = new IoRequest[MAX_IOVECS];
    /** The iovec array, made on this worker's thread at its first merged call. */
    private Arena arena;
    private MemorySegment iovecs;

    PoolWorker(ThreadPoolSink pool) {
        this.pool = pool;
    }

    /**
     * Links to {@code head} the requests at the front of {@code from} that continue it: same
     * file and direction, contiguous, each coalescible, at most {@code maxIoBytes} and
     * {@link #MAX_IOVECS} in all. Called under the pool's lock.
     */
    static void gatherContiguous(IoRequest head, ArrayDeque<IoRequest> from) {
        head.nextMerged = null;
        if (head.completed || !Coalescer.coalescible(head)) {
            return;
        }
        long limit = head.file.maxIoBytes();
        long total = head.length;
        int count = 1;
        IoRequest tail = head;
        for (IoRequest next = from.peekFirst(); next != null && count < MAX_IOVECS; next = from.peekFirst()) {
            if (next.completed || next.file != head.file || next.op != head.op || next.offset != tail.end()
                    || !Coalescer.coalescible(next) || total + next.length > limit) {
                break;
            }
            from.pollFirst();
            tail.nextMerged = next;
            tail = next;
            total += next.length;
            count++;
        }
    }

    /** Runs a request (or a merged chain) to its result and delivers it. */
    void run(IoRequest head) {
        if (head.completed) {
            pool.deliver(head); // finished elsewhere and handed here to be delivered on a worker
        } else if (head.nextMerged != null) {
            runMerged(head);
        } else {
            runAndFinish(pool, head);
        }
    }

    /** Runs {@code r} alone on the calling worker (a request it will wait for itself). */
    static void runNested(ThreadPoolSink pool, IoRequest r) {
        runAndFinish(pool, r);
    }

    private static void runAndFinish(ThreadPoolSink pool, IoRequest r) {
        runGuarded(pool.io, pool.syscalls, r, "thread-pool backend");
        finish(pool, r);
    }

    /** {@link #runAlone}, a throw turned into the request's EIO: it still completes, once. */
    static void runGuarded(PositionalIo io, LongAdder syscalls, IoRequest r, String who) {
        try {
            runAlone(io, syscalls, r);
        } catch (RuntimeException | Error e) {
            // A bug or a buffer freed under the request: the request still completes, once.
            Aggregator.fail(r, Errno.EIO, r.offset, r.length, who + ": " + e);
        }
    }

    private void runMerged(IoRequest head) {
        int count = 0;
        for (IoRequest r = head; r != null; ) {
            IoRequest next = r.nextMerged;
            r.nextMerged = null;
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
                MemorySegment seg = members[i].segments[0];
                iovecs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES, seg.address());
                iovecs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES + 8, seg.byteSize());
            }
            FileState f = head.file;
            result = head.op == IoRequest.READ ? pool.io.preadv(f.fd(), iovecs, count, head.offset)
                    : pool.io.pwritev(f.fd(), iovecs, count, head.offset);
            pool.syscalls.increment();
            pool.coalesced.add(count - 1);
        } catch (RuntimeException | Error e) {
            result = -Errno.EIO; // every member runs alone and meets whatever it meets on its own
        }
        long covered = Math.max(result, 0);
        for (int i = 0; i < count; i++) {
            IoRequest r = members[i];
            members[i] = null;
            if (covered >= r.length) {
                covered -= r.length;
                r.segIndex = r.segmentCount;
                r.issued = r.length;
                finish(pool, r); // all of its bytes moved: its result alone would be the same
            } else {
                covered = 0; // the call stopped inside this one: it and the rest go alone
                r.unmerged = true;
                runAndFinish(pool, r);
            }
        }
    }

    /** Slices, calls and judges {@code r} on the calling thread; then its linked sync, if any. */
    private static void runAlone(PositionalIo io, LongAdder syscalls, IoRequest r) {
        if (r.errno != 0) {
            return; // failed before its first slice
        }
        if (!r.isData()) {
            sync(io, syscalls, r);
            return;
        }
        if (r.syncAfter >= 0 && r.length == 0) {
            r.op = r.syncAfter; // a zero-length durable write is a plain sync (as Splitter makes it)
            r.syncAfter = -1;
            sync(io, syscalls, r);
            return;
        }
        // A durable write is durable slice by slice, as on io_uring: pwritev2 with RWF_DSYNC
        // (RWF_SYNC with metadata), one call per slice, no separate sync.
        int rwFlags = r.syncAfter < 0 ? 0 : r.syncAfter == IoRequest.FSYNC ? RwFlags.RWF_SYNC : RwFlags.RWF_DSYNC;
        r.durableByFlags = rwFlags != 0; // no sync follows: the flags make each slice durable
        FileState f = r.file;
        int alignment = f.direct() ? f.alignment().offset() : 1;
        int maxIo = f.maxIoBytes();
        long relative = 0;
        slices:
        for (int i = 0; i < r.segmentCount; i++) {
            MemorySegment seg = r.segments[i];
            long size = seg.byteSize();
            for (long pos = 0; pos < size; ) {
                int len = (int) Math.min(size - pos, maxIo);
                slice(io, syscalls, r, seg, pos, len, relative, alignment, rwFlags);
                if (r.errno != 0) {
                    break slices; // the first error stops the rest
                }
                pos += len;
                relative += len;
            }
        }
        r.segIndex = r.segmentCount;
        r.issued = relative;
    }

    /** One slice: called until {@link Aggregator#onSlice} judges it done. */
    private static void slice(PositionalIo io, LongAdder syscalls, IoRequest r, MemorySegment seg, long pos,
            int len, long relative, int alignment, int rwFlags) {
        int fd = r.file.fd();
        long offset = r.offset + relative;
        int retries = 0;
        while (true) {
            MemorySegment part = seg.asSlice(pos, len);
            long n = r.op == IoRequest.READ ? io.pread(fd, part, offset)
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
        int fd = r.file.fd();
        int retries = 0;
        while (true) {
            int result = r.op == IoRequest.FDATASYNC ? io.fdatasync(fd) : io.fsync(fd);
            count(syscalls);
            if (Aggregator.onSlice(r, r.offset, 0, 0, result, retries, 1, false) == Aggregator.Verdict.DONE) {
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

    /** The single result, as RingLoop computes it; then the listener and delivery. */
    private static void finish(ThreadPoolSink pool, IoRequest r) {
        conclude(r);
        io.dioring.jfr.IoEvents.completed(r, io.dioring.jfr.IoEvents.THREADS); // JFR: the single result is known
        Completion.notifyListener(r);
        pool.deliver(r);
    }

    /** The single result of a request whose calls have all been made, as RingLoop computes it. */
    static void conclude(IoRequest r) {
        r.outstanding = 0;
        r.allIssued = true;
        Aggregator.conclude(r, false); // nothing here is cancelled in flight: a syscall runs to its end
    }

    /** Frees the iovec array, on the worker's own thread as it ends. */
    void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
