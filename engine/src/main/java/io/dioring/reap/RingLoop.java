package io.dioring.reap;

import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.iovec;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.Slots;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * The data path on one ring, single-owner: requests are split into slices (one SQE each,
 * at most {@code maxIoBytes}), submitted in batches, reaped, and aggregated into one
 * result per request (see {@link Aggregator}).
 *
 * <p>Reap first, then dispatch: CQEs are copied out and the CQ head released before any
 * completion logic runs, in batches of at most the CQ size.
 *
 * <h2>Coalescing (seed 004, writepages)</h2>
 * Requests of one direction on one file that wait here together, one after the other,
 * with contiguous ranges ({@code a.end() == b.offset}) go out as one READV/WRITEV SQE of
 * at most the file's {@code maxIoBytes} and {@link #MAX_IOVECS_PER_SQE} buffers. Only
 * plain requests are merged: one buffer, not registered, not larger than
 * {@code maxIoBytes}. The SQE takes one slot, whose request is the first of the chain
 * ({@link IoRequest#nextMerged} links the rest). Its iovec array lives in memory the loop
 * owns, one array per slot, allocated once. Its result is split back in order:
 * <ul>
 * <li>an error fails every merged request with that errno (EAGAIN/EINTR re-issue the SQE);
 * <li>a result of n bytes completes the requests it covers in full; the request it ends
 *     inside is judged like a short slice of its own ({@link Aggregator#onSlice}); the
 *     requests after it and the remainder of a resubmittable one go back to the front of
 *     the queue unmerged, as ordinary slices, so a short merged SQE never repeats.
 * </ul>
 *
 * <h2>Registered buffers and files</h2>
 * Registrations belong to one ring, so the loop keeps the tables for its own ring (set by
 * the owner after registering: {@link #useFixedBuffers}, {@link #useFixedFile}). A slice
 * whose memory lies inside a registered buffer, and comes from the same memory scope, goes
 * out as READ_FIXED/WRITE_FIXED with that buffer's index: a scan of a small array, nothing
 * allocated. The scope test keeps a segment from a later allocation that reuses a freed
 * buffer's addresses from being issued against the (still pinned) old pages. A request of a
 * registered file goes out with IOSQE_FIXED_FILE and the file's index in place of its fd.
 * Coalesced requests still go out as one READV/WRITEV (vectored ops take no buffer index).
 */
public final class RingLoop {
    private static final int OP_READ = io_uring_h.IORING_OP_READ();
    private static final int OP_WRITE = io_uring_h.IORING_OP_WRITE();
    private static final int OP_READ_FIXED = io_uring_h.IORING_OP_READ_FIXED();
    private static final int OP_WRITE_FIXED = io_uring_h.IORING_OP_WRITE_FIXED();
    private static final int OP_READV = io_uring_h.IORING_OP_READV();
    private static final int OP_WRITEV = io_uring_h.IORING_OP_WRITEV();
    private static final int OP_FSYNC = io_uring_h.IORING_OP_FSYNC();
    private static final int OP_ASYNC_CANCEL = io_uring_h.IORING_OP_ASYNC_CANCEL();
    private static final int SQE_FIXED_FILE = io_uring_h.IOSQE_FIXED_FILE();
    private static final MemorySegment[] NO_BUFFERS = new MemorySegment[0];
    private static final FileState[] NO_FILES = new FileState[0];
    private static final int FSYNC_DATASYNC = io_uring_h.IORING_FSYNC_DATASYNC();
    private static final int CANCEL_ANY = io_uring_h.IORING_ASYNC_CANCEL_ANY();
    private static final int CANCEL_ALL = io_uring_h.IORING_ASYNC_CANCEL_ALL();
    /** user_data of the engine's own cancel SQEs. */
    private static final long CANCEL_USER_DATA = Slots.RESERVED | 2;
    /**
     * Buffers per merged SQE at most. The kernel takes up to IOV_MAX (1024); beyond 64 the
     * SQE is already at {@code maxIoBytes} for any request size worth merging, and the
     * per-slot iovec arrays stay at 1 KiB.
     */
    public static final int MAX_IOVECS_PER_SQE = 64;
    private static final long IOVEC_BYTES = iovec.layout().byteSize();
    private static final long IOV_BASE = iovec.iov_base$offset();
    private static final long IOV_LEN = iovec.iov_len$offset();

    static {
        if (IOVEC_BYTES != 16) {
            throw new ExceptionInInitializerError("unexpected struct iovec size " + IOVEC_BYTES);
        }
    }

    private final IoRing ring;
    private final Slots slots;
    private final ArrayDeque<IoRequest> waiting = new ArrayDeque<>();
    /** Slots whose slice must be issued again (short or EAGAIN), waiting for SQ space. */
    private final int[] resubmit;
    private int resubmitHead;
    private int resubmitCount;
    private final long[] cqUserData;
    private final int[] cqResult;
    private final Executor completionExecutor;
    private final LongConsumer reservedCompletion;

    private long slicesIssued;
    private long requestsCompleted;
    private long staleCompletions;
    private long cqOverflows;
    private long coalescedRequests;
    private int reservedInFlight;
    /** Requests queued by handlers during a reap that get submitted at once; 0 waits for the reap's end. */
    private int submitBatch;
    /** Run between two CQEs' dispatch to pull in requests queued elsewhere; null for none. */
    private Runnable refill;
    /** One iovec array of {@link #MAX_IOVECS_PER_SQE} entries per slot; made on the first merge. */
    private MemorySegment iovecs;

    /** The ring's registered buffers: index i is buffer i; start/end cached for the scan. */
    private MemorySegment[] fixedBuffers = NO_BUFFERS;
    private long[] fixedStart = new long[0];
    private long[] fixedEnd = new long[0];
    private long fixedIssued;
    /** The ring's registered file table: index i holds the file in slot i, or null. */
    private FileState[] fixedFiles = NO_FILES;
    private int fixedFileCount;
    private long fixedFileIssued;

    /**
     * @param ring the ring to drive
     * @param maxInFlight slices in flight at most (at or below the CQ size)
     * @param completionExecutor where results are delivered; null to deliver inline
     * @param reservedCompletion told of CQEs whose user_data has {@link Slots#RESERVED} set
     */
    public RingLoop(IoRing ring, int maxInFlight, Executor completionExecutor, LongConsumer reservedCompletion) {
        if (maxInFlight < 1 || maxInFlight > ring.cqEntries()) {
            throw new IllegalArgumentException("in-flight bound " + maxInFlight + " must be in [1, CQ size "
                    + ring.cqEntries() + "] so completions cannot overflow the CQ");
        }
        this.ring = ring;
        this.slots = new Slots(maxInFlight);
        this.resubmit = new int[maxInFlight];
        this.cqUserData = new long[ring.cqEntries()];
        this.cqResult = new int[ring.cqEntries()];
        this.completionExecutor = completionExecutor;
        this.reservedCompletion = reservedCompletion;
    }

    public IoRing ring() {
        return ring;
    }

    /** Queues a request to be split and issued on the next {@link #prepare()}. */
    public void add(IoRequest r) {
        waiting.addLast(r);
    }

    /** Slices in the kernel's hands. */
    public int inFlight() {
        return slots.used();
    }

    /** Requests queued here but not fully issued. */
    public int waitingCount() {
        return waiting.size();
    }

    /** Whether anything is queued, being resubmitted or in flight. */
    public boolean busy() {
        return !waiting.isEmpty() || resubmitCount > 0 || slots.used() > 0 || reservedInFlight > 0;
    }

    /** SQEs written so far for data and sync slices (resubmissions included). */
    public long slicesIssued() {
        return slicesIssued;
    }

    public long requestsCompleted() {
        return requestsCompleted;
    }

    /**
     * Requests that went out inside another request's READV/WRITEV SQE: the SQEs coalescing
     * saved (seed 004).
     */
    public long coalescedRequests() {
        return coalescedRequests;
    }

    /** Times the CQ was found overflowed (a bug if ever non-zero: the in-flight bound prevents it). */
    public long cqOverflows() {
        return cqOverflows;
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED (a registered buffer's index instead of a plain address). */
    public long fixedIssued() {
        return fixedIssued;
    }

    /** SQEs issued with IOSQE_FIXED_FILE (a registered file index instead of the fd). */
    public long fixedFileIssued() {
        return fixedFileIssued;
    }

    /**
     * Issues slices inside {@code buffers} as READ_FIXED/WRITE_FIXED from now on; index i is
     * buffers[i], as registered with this loop's ring. An empty array stops it. Call only
     * with nothing in flight when replacing a previous set.
     */
    public void useFixedBuffers(MemorySegment[] buffers) {
        MemorySegment[] copy = buffers.clone();
        long[] start = new long[copy.length];
        long[] end = new long[copy.length];
        for (int i = 0; i < copy.length; i++) {
            start[i] = copy[i].address();
            end[i] = start[i] + copy[i].byteSize();
        }
        fixedBuffers = copy;
        fixedStart = start;
        fixedEnd = end;
    }

    /** The index of the registered buffer holding {@code [address, address + length)} of {@code segment}, or -1. */
    private int fixedBufferIndex(MemorySegment segment, long address, int length) {
        long end = address + length;
        for (int i = 0; i < fixedStart.length; i++) {
            if (address >= fixedStart[i] && end <= fixedEnd[i]
                    && segment.scope().equals(fixedBuffers[i].scope())) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Records that {@code file} sits in slot {@code index} of the ring's registered file
     * table (null empties the slot); its SQEs then carry IOSQE_FIXED_FILE and the index.
     */
    public void useFixedFile(int index, FileState file) {
        if (index >= fixedFiles.length) {
            fixedFiles = Arrays.copyOf(fixedFiles, Math.max(index + 1, 2 * fixedFiles.length));
        }
        if (fixedFiles[index] != null) {
            fixedFileCount--;
        }
        fixedFiles[index] = file;
        if (file != null) {
            fixedFileCount++;
        }
    }

    /** Whether slot {@code index} of the ring's registered file table holds a file. */
    public boolean fixedFileSlotUsed(int index) {
        return index < fixedFiles.length && fixedFiles[index] != null;
    }

    /** The registered-file index of {@code file} on this ring, or -1. */
    public int fixedFileIndex(FileState file) {
        if (fixedFileCount == 0) {
            return -1;
        }
        for (int i = 0; i < fixedFiles.length; i++) {
            if (fixedFiles[i] == file) {
                return i;
            }
        }
        return -1;
    }

    /**
     * How eagerly requests queued by completion handlers go out while a reap is still
     * dispatching: once {@code n} are waiting, the loop writes their SQEs and submits them
     * (io_uring_enter without waiting) before it runs the next handler. 1 submits each
     * request as soon as its handler queues it (fio's default, {@code iodepth_batch_submit=1});
     * 0 leaves everything for the submit after the reap, one io_uring_enter for the batch.
     *
     * <p>Measured on a virtio disk at QD32 (see {@code scripts/bench-vs-fio.sh}): holding the
     * handlers' requests until the reap ends (about 11 per io_uring_enter there) keeps the
     * device's queue short of its depth by the batch, and cost 15-20% IOPS against 1.
     * Where the CPU is the limit, batching saves syscalls instead.
     */
    public void submitBatch(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("submitBatch = " + n + ": must be 0 (submit after each reap) or "
                    + "positive (submit once that many requests are queued)");
        }
        submitBatch = n;
    }

    public int submitBatch() {
        return submitBatch;
    }

    /**
     * Sets what the loop runs after each CQE of a reap is dispatched, to {@link #add} requests
     * that arrived meanwhile from other threads (a ring thread's inbox: deferred callbacks
     * resubmit from executor threads while the reap still runs), so {@link #submitBatch}
     * sends them out without waiting for the reap to end. Null for none.
     */
    public void refill(Runnable refill) {
        this.refill = refill;
    }

    /** CQEs that matched no live slot (a bug if ever non-zero; counted, never applied). */
    public long staleCompletions() {
        return staleCompletions;
    }

    /**
     * Writes SQEs for resubmissions first, then for waiting requests, until the SQ or the
     * slot table is full or nothing is left.
     *
     * @return SQEs written
     */
    public int prepare() {
        int written = 0;
        while (resubmitCount > 0 && ring.sqSpace() > 0) {
            int slot = resubmit[resubmitHead];
            resubmitHead = (resubmitHead + 1) % resubmit.length;
            resubmitCount--;
            issue(slot);
            written++;
        }
        while (!waiting.isEmpty()) {
            IoRequest r = waiting.peekFirst();
            if (coalescible(r) && hasRoom() && coalesce(r)) {
                written++;
                continue;
            }
            int before = (int) slicesIssued;
            boolean done = split(r);
            written += (int) slicesIssued - before;
            if (!done) {
                break;
            }
            waiting.pollFirst();
            if (r.outstanding == 0) {
                finish(r); // nothing to issue (zero length, or failed before its first slice)
            }
        }
        return written;
    }

    /** Issues slices of {@code r} while there is room; true once every slice is out. */
    private boolean split(IoRequest r) {
        if (r.errno != 0) {
            r.allIssued = true; // an error stops the rest (first error wins anyway)
            return true;
        }
        if (!r.isData()) {
            if (!hasRoom()) {
                return false;
            }
            int op = r.op == IoRequest.FDATASYNC ? 1 : 0;
            int slot = slots.acquire(r, OP_FSYNC, r.offset, 0, 0, 0, op);
            r.outstanding++;
            r.allIssued = true;
            issue(slot);
            return true;
        }
        int maxIo = r.file.maxIoBytes();
        while (r.segIndex < r.segmentCount) {
            MemorySegment seg = r.segments[r.segIndex];
            long remaining = seg.byteSize() - r.segPos;
            if (remaining == 0) {
                r.segIndex++;
                r.segPos = 0;
                continue;
            }
            if (!hasRoom()) {
                return false;
            }
            int len = (int) Math.min(remaining, maxIo);
            int buf = r.bufIndex[r.segIndex];
            if (buf < 0 && fixedStart.length > 0) {
                buf = fixedBufferIndex(seg, seg.address() + r.segPos, len);
            }
            int opcode = r.op == IoRequest.READ ? (buf >= 0 ? OP_READ_FIXED : OP_READ)
                    : (buf >= 0 ? OP_WRITE_FIXED : OP_WRITE);
            int slot = slots.acquire(r, opcode, r.offset + r.issued, seg.address() + r.segPos, len, r.issued,
                    Math.max(buf, 0));
            r.outstanding++;
            r.segPos += len;
            r.issued += len;
            issue(slot);
        }
        if (r.syncAfter >= 0 && r.outstanding == 0) {
            // Zero-length durable write: just the sync.
            r.op = r.syncAfter;
            r.syncAfter = -1;
            return split(r);
        }
        r.allIssued = true;
        return true;
    }

    /** Whether {@code r} may share an SQE: a plain data request, one buffer, one slice, untouched. */
    private static boolean coalescible(IoRequest r) {
        return r.isData() && r.file.coalescing() && r.segmentCount == 1 && r.bufIndex[0] < 0 && !r.unmerged
                && r.errno == 0 && r.issued == 0 && r.length > 0 && r.length <= r.file.maxIoBytes();
    }

    /**
     * Takes {@code head} (first in {@code waiting}) and the requests right behind it that
     * continue it on the same file in the same direction, and issues them as one vector SQE.
     *
     * @return false, leaving {@code waiting} as it was, when nothing continues {@code head}
     */
    private boolean coalesce(IoRequest head) {
        waiting.pollFirst();
        long limit = head.file.maxIoBytes();
        long total = head.length;
        int count = 1;
        IoRequest tail = head;
        for (IoRequest next = waiting.peekFirst(); next != null && count < MAX_IOVECS_PER_SQE;
                next = waiting.peekFirst()) {
            if (next.file != head.file || next.op != head.op || next.offset != tail.end() || !coalescible(next)
                    || total + next.length > limit) {
                break;
            }
            waiting.pollFirst();
            tail.nextMerged = next;
            tail = next;
            total += next.length;
            count++;
        }
        if (count == 1) {
            waiting.addFirst(head);
            return false;
        }
        if (iovecs == null) {
            iovecs = Arena.ofAuto().allocate(IOVEC_BYTES * MAX_IOVECS_PER_SQE * slots.capacity(), 8);
        }
        int opcode = head.op == IoRequest.READ ? OP_READV : OP_WRITEV;
        // A vector SQE's slot: the address is its own iovec array (see issue), the length the
        // bytes of the whole chain, the buffer index field the iovec count.
        int slot = slots.acquire(head, opcode, head.offset, 0, (int) total, 0, count);
        long base = iovecOffset(slot);
        int i = 0;
        for (IoRequest r = head; r != null; r = r.nextMerged, i++) {
            iovecs.set(ValueLayout.JAVA_LONG, base + i * IOVEC_BYTES + IOV_BASE, r.segments[0].address());
            iovecs.set(ValueLayout.JAVA_LONG, base + i * IOVEC_BYTES + IOV_LEN, r.length);
            r.outstanding = 1;
            r.segIndex = r.segmentCount;
            r.segPos = 0;
            r.issued = r.length;
            r.allIssued = true;
        }
        coalescedRequests += count - 1;
        issue(slot);
        return true;
    }

    private static long iovecOffset(int slot) {
        return (long) slot * MAX_IOVECS_PER_SQE * IOVEC_BYTES;
    }

    private static boolean isVector(int opcode) {
        return opcode == OP_READV || opcode == OP_WRITEV;
    }

    private boolean hasRoom() {
        return ring.sqSpace() > 0 && slots.free() > 0;
    }

    private void issue(int slot) {
        IoRequest r = slots.request(slot);
        int opcode = slots.opcode(slot);
        long userData = slots.issue(slot);
        int fd = r.file.fd();
        int sqeFlags = 0;
        if (fixedFileCount > 0) {
            int index = fixedFileIndex(r.file);
            if (index >= 0) {
                fd = index;
                sqeFlags = SQE_FIXED_FILE;
                fixedFileIssued++;
            }
        }
        if (opcode == OP_FSYNC) {
            ring.prepare(OP_FSYNC, sqeFlags, fd, 0, 0, 0, slots.bufIndex(slot) == 1 ? FSYNC_DATASYNC : 0, 0,
                    userData);
        } else if (isVector(opcode)) {
            ring.prepare(opcode, sqeFlags, fd, slots.fileOffset(slot), iovecs.address() + iovecOffset(slot),
                    slots.bufIndex(slot), 0, 0, userData);
        } else {
            if (opcode == OP_READ_FIXED || opcode == OP_WRITE_FIXED) {
                fixedIssued++;
            }
            ring.prepare(opcode, sqeFlags, fd, slots.fileOffset(slot), slots.address(slot), slots.length(slot),
                    0, slots.bufIndex(slot), userData);
        }
        slicesIssued++;
    }

    /**
     * Writes an ASYNC_CANCEL for everything in flight on this ring. The cancelled slices
     * complete with ECANCELED (or their own result if they were done) and are aggregated
     * as usual.
     *
     * @return false when the SQ has no room now (try again after reaping)
     */
    public boolean cancelAll() {
        if (slots.used() == 0) {
            return true;
        }
        if (ring.sqSpace() == 0) {
            return false;
        }
        ring.prepare(OP_ASYNC_CANCEL, 0, 0, 0, 0, 0, CANCEL_ANY | CANCEL_ALL, 0, CANCEL_USER_DATA);
        reservedInFlight++;
        return true;
    }

    /** Writes an SQE of the engine's own (a wake-up read, say); its CQE goes to {@code reservedCompletion}. */
    public boolean prepareReserved(int opcode, int fd, long address, int length, long userData) {
        if (ring.sqSpace() == 0) {
            return false;
        }
        ring.prepare(opcode, 0, fd, 0, address, length, 0, 0, Slots.RESERVED | userData);
        reservedInFlight++;
        return true;
    }

    /** Submits what is prepared; with {@code wait}, blocks for at least one completion. */
    public int submit(boolean wait) {
        return ring.submit(wait);
    }

    /**
     * Copies every ready CQE out, releases the CQ, then applies each to its request.
     *
     * @return CQEs reaped
     */
    public int reap() {
        int n = ring.reap(cqUserData, cqResult, cqUserData.length);
        if (n == cqUserData.length && ring.cqOverflow() != 0) {
            cqOverflows++; // only a full CQ can overflow; the in-flight bound should prevent it
        }
        for (int i = 0; i < n; i++) {
            dispatch(cqUserData[i], cqResult[i]);
            if (refill != null) {
                refill.run();
            }
            if (submitBatch > 0 && waiting.size() + resubmitCount >= submitBatch && prepare() > 0) {
                ring.submit(false);
            }
        }
        return n;
    }

    private void dispatch(long userData, int result) {
        if (userData < 0) {
            reservedInFlight--;
            if (userData != CANCEL_USER_DATA && reservedCompletion != null) {
                reservedCompletion.accept(userData & ~Slots.RESERVED);
            }
            return;
        }
        int slot = slots.lookup(userData);
        if (slot < 0) {
            staleCompletions++;
            return;
        }
        IoRequest r = slots.request(slot);
        int opcode = slots.opcode(slot);
        if (isVector(opcode)) {
            completeMerged(slot, result);
            return;
        }
        boolean data = opcode != OP_FSYNC;
        int alignment = r.file.direct() ? r.file.alignment().offset() : 1;
        Aggregator.Verdict verdict = Aggregator.onSlice(r, slots.fileOffset(slot), slots.length(slot),
                slots.relative(slot), result, slots.retry(slot) - 1, alignment, data);
        if (verdict == Aggregator.Verdict.RESUBMIT) {
            if (result > 0) {
                slots.advance(slot, result);
            }
            // Retire this CQE's generation now: while the slot waits for SQ space, a repeat
            // of its user_data must count as stale, not be applied a second time.
            slots.issue(slot);
            resubmit[(resubmitHead + resubmitCount) % resubmit.length] = slot;
            resubmitCount++;
            return;
        }
        slots.release(slot);
        sliceDone(r, data);
    }

    /** One slice of {@code r} is judged: when it was the last, the request is done (or syncs). */
    private void sliceDone(IoRequest r, boolean data) {
        r.outstanding--;
        if (r.outstanding == 0 && r.allIssued) {
            if (r.syncAfter >= 0 && r.errno == 0 && data) {
                // The data is in; make it durable before the request completes.
                r.op = r.syncAfter;
                r.syncAfter = -1;
                r.allIssued = false;
                r.result = r.length;
                waiting.addFirst(r);
                return;
            }
            finish(r);
        }
    }

    /**
     * Splits a READV/WRITEV result back over the requests it carried, in file order (see
     * the class comment). Requests that still need bytes go back to the front of the queue,
     * in order, as ordinary slices.
     */
    private void completeMerged(int slot, int result) {
        if (result < 0 && (result == -Errno.EAGAIN || result == -Errno.EINTR)
                && slots.retry(slot) - 1 < Aggregator.MAX_RETRIES) {
            slots.issue(slot); // retire this CQE's generation while the slot waits for SQ space
            resubmit[(resubmitHead + resubmitCount) % resubmit.length] = slot;
            resubmitCount++;
            return;
        }
        IoRequest r = slots.request(slot);
        slots.release(slot);
        int alignment = r.file.direct() ? r.file.alignment().offset() : 1;
        long remaining = Math.max(result, 0);
        IoRequest again = null; // unfinished ones, last first, to push back in order
        while (r != null) {
            IoRequest next = r.nextMerged;
            r.nextMerged = null;
            if (result < 0) {
                Aggregator.fail(r, -result, r.offset, r.length, null);
                sliceDone(r, true);
            } else {
                long done = Math.min(remaining, r.length);
                remaining -= done;
                if (done == r.length) {
                    sliceDone(r, true);
                } else if (done > 0 && Aggregator.onSlice(r, r.offset, (int) r.length, 0, (int) done, 0, alignment,
                        true) == Aggregator.Verdict.DONE) {
                    sliceDone(r, true); // judged: a read at end of file, or a write that cannot go on
                } else {
                    // Untouched, or a remainder worth asking for: on its own from `done` on.
                    r.outstanding--;
                    r.unmerged = true;
                    r.allIssued = false;
                    r.segIndex = 0;
                    r.segPos = done;
                    r.issued = done;
                    r.nextMerged = again;
                    again = r;
                }
            }
            r = next;
        }
        while (again != null) {
            IoRequest next = again.nextMerged;
            again.nextMerged = null;
            waiting.addFirst(again);
            again = next;
        }
    }

    /** Computes the single result, releases holds, and delivers (here or on the executor). */
    private void finish(IoRequest r) {
        if (r.completed) {
            throw new IllegalStateException("request completed twice: " + r.opName() + " at " + r.offset);
        }
        r.completed = true;
        requestsCompleted++;
        long result = r.result > 0 && !r.isData() ? r.result : Aggregator.result(r);
        if (r.errno != 0) {
            r.failure = new DirectIoException(r.errno, r.opName(), r.file.path(), r.errorOffset, r.errorLength,
                    r.errorDetail);
            r.result = -r.errno;
        } else {
            r.result = result;
        }
        io.dioring.jfr.IoEvents.completed(r); // JFR: the single result is known
        if (r.listener != null) {
            r.listener.onComplete(r);
        }
        if (completionExecutor == null || r.inlineCompletion || r.waiter != null) {
            r.run();
        } else {
            completionExecutor.execute(r);
        }
    }
}
