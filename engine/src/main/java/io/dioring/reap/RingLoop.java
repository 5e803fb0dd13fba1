package io.dioring.reap;

import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.ffi.RwFlags;
import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.Slots;
import io.dioring.ring.SqeEncoder;
import java.util.function.LongConsumer;

/**
 * The data path on one ring, in its order, single-owner: requests wait here and are split
 * or merged into slices of at most {@code maxIoBytes}, one slot and one SQE each
 * ({@link IssueQueue}), submitted in batches, reaped, aggregated into one result per request
 * ({@link Aggregator}, {@link MergedSplit}) and delivered ({@link RingFinish}).
 *
 * <p>Reap first, then dispatch: CQEs are copied out and the CQ head released before any
 * completion logic runs, in batches of at most the CQ size. A reap never nests in another.
 *
 * <p>Bounds: at most {@code maxInFlight} slices and {@code reservedSqes} SQEs of the
 * engine's own are in flight, and together they fit in the CQ, so completions cannot
 * overflow it; the CQ's overflow counter is read on every reap all the same.
 */
public final class RingLoop {
    /** Buffers per merged SQE at most (see {@link SqeEncoder#MAX_IOVECS_PER_SQE}). */
    public static final int MAX_IOVECS_PER_SQE = SqeEncoder.MAX_IOVECS_PER_SQE;

    private final IoRing ring;
    private final Slots slots;
    private final SqeEncoder encoder;
    private final IssueQueue issue;
    private final RingFinish finish;
    private final MergedSplit mergedSplit = new MergedSplit();
    private final long[] cqUserData;
    private final int[] cqResult;
    private final LongConsumer reservedCompletion;
    /** Set while {@link #reap} dispatches: a reap must never nest in another (its CQE copies would be overwritten). */
    private boolean reaping;

    private long staleCompletions;
    private long cqOverflows;
    /** Requests queued by handlers during a reap that get submitted at once; 0 waits for the reap's end. */
    private int submitBatch;
    /** Run between two CQEs' dispatch to pull in requests queued elsewhere; null for none. */
    private Runnable refill;

    /**
     * @param ring the ring to drive
     * @param maxInFlight slices in flight at most (at or below the CQ size)
     * @param reservedSqes SQEs of the engine's own (wake-up read, cancel) that may be in flight
     *        beside the slices: with {@code maxInFlight} they must fit in the CQ
     * @param delivery where results go
     * @param reservedCompletion told of CQEs whose user_data has {@link Slots#RESERVED} set
     */
    public RingLoop(IoRing ring, int maxInFlight, int reservedSqes, Delivery delivery,
            LongConsumer reservedCompletion) {
        if (maxInFlight < 1 || reservedSqes < 0 || maxInFlight + reservedSqes > ring.cqEntries()) {
            throw new IllegalArgumentException("in-flight bound " + maxInFlight + " plus " + reservedSqes
                    + " reserved SQEs must be in [1, CQ size " + ring.cqEntries()
                    + "] so completions cannot overflow the CQ");
        }
        this.ring = ring;
        this.slots = new Slots(maxInFlight);
        this.encoder = new SqeEncoder(ring, slots);
        this.finish = new RingFinish(delivery);
        this.issue = new IssueQueue(ring, slots, encoder, reservedSqes, finish);
        this.cqUserData = new long[ring.cqEntries()];
        this.cqResult = new int[ring.cqEntries()];
        this.reservedCompletion = reservedCompletion;
    }

    public IoRing ring() {
        return ring;
    }

    /** Queues a request to be split and issued on the next {@link #prepare()}. */
    public void add(IoRequest r) {
        issue.add(r);
    }

    /** Slices in the kernel's hands. */
    public int inFlight() {
        return slots.used();
    }

    /** Requests queued here but not fully issued. */
    public int waitingCount() {
        return issue.waitingCount();
    }

    /** Whether anything is queued, being resubmitted or in flight. */
    public boolean busy() {
        return issue.pending() > 0 || slots.used() > 0 || issue.reservedInFlight() > 0;
    }

    /** SQEs written so far for data and sync slices (resubmissions included). */
    public long slicesIssued() {
        return encoder.sqesEncoded();
    }

    public long requestsCompleted() {
        return finish.requestsCompleted();
    }

    /**
     * Requests that went out inside another request's READV/WRITEV SQE: the SQEs coalescing
     * saved (seed 004).
     */
    public long coalescedRequests() {
        return issue.coalescedRequests();
    }

    /** Times the CQ was found overflowed (a bug if ever non-zero: the in-flight bound prevents it). */
    public long cqOverflows() {
        return cqOverflows;
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED (a registered buffer's index instead of a plain address). */
    public long fixedIssued() {
        return encoder.fixedIssued();
    }

    /** SQEs issued with IOSQE_FIXED_FILE (a registered file index instead of the fd). */
    public long fixedFileIssued() {
        return encoder.fixedFileIssued();
    }

    /** The encoder's registered-buffer and file tables (registrations belong to this loop's ring). */
    public SqeEncoder encoder() {
        return encoder;
    }

    /**
     * How eagerly queued requests go out ({@link #submitIfBatchFull}): once {@code n} are
     * waiting, the loop writes their SQEs and submits them (io_uring_enter without waiting)
     * before it runs the next handler of a reap or takes the next request from a ring
     * thread's inbox. 1 submits each request as soon as it is queued (fio's default,
     * {@code iodepth_batch_submit=1}); 0 leaves everything for the submit after the reap,
     * one io_uring_enter for the batch.
     *
     * <p>Measured on a virtio disk at QD32 (see {@code scripts/bench-vs-fio.sh}): holding the
     * handlers' requests until the reap ends (about 11 per io_uring_enter there) keeps the
     * device's queue short of its depth by the batch, and cost 15-20% IOPS against 1. The
     * same holds for requests from other threads: 32 virtual threads reading 4 KiB at random
     * (2 rings, 7 alternating rounds) made 54.8k reads/s median with the inbox drained into
     * one submit, 58.4k with each request submitted as it was taken (7 of 7 rounds faster);
     * the disk's own latency at the same depth fell from about 430 to 340 us, as if a batch
     * arriving at once were served as one. Where the CPU is the limit, batching saves
     * syscalls instead (on zram the same reads lost 6-11%).
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

    /** Sets whether results reaped from now on may run their callbacks on this thread (see {@link RingFinish}). */
    public void callbacksHere(boolean here) {
        finish.callbacksHere(here);
    }

    public boolean callbacksHere() {
        return finish.callbacksHere();
    }

    /** Whether slices wait to be issued again (short, EAGAIN), for the next {@link #prepare}. */
    public boolean hasResubmissions() {
        return issue.hasResubmissions();
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
        return issue.prepare();
    }

    /**
     * Writes an ASYNC_CANCEL for everything in flight on this ring. The cancelled slices
     * complete with ECANCELED (or their own result if they were done) and are aggregated
     * as usual.
     *
     * @return false when the SQ has no room now (try again after reaping)
     */
    public boolean cancelAll() {
        finish.cancelled();
        return issue.cancelAll();
    }

    /** Writes an SQE of the engine's own (a wake-up read, say); its CQE goes to {@code reservedCompletion}. */
    public boolean prepareReserved(int opcode, int fd, long address, int length, long userData) {
        return issue.prepareReserved(opcode, fd, address, length, Slots.RESERVED | userData);
    }

    /**
     * Submits what is queued, without waiting, once {@link #submitBatch} requests (or
     * resubmissions) wait; does nothing when it is 0. A reap calls it after each CQE; a ring
     * thread calls it for each request it takes from its inbox.
     */
    public void submitIfBatchFull() {
        if (submitBatch > 0 && issue.pending() >= submitBatch && prepare() > 0) {
            ring.submit(false);
        }
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
        if (reaping) {
            throw new IllegalStateException("a reap inside a reap of the same ring (from a completion handler)");
        }
        reaping = true;
        try {
            int n = ring.reap(cqUserData, cqResult, cqUserData.length);
            if (ring.cqOverflow() != 0) {
                cqOverflows++; // the in-flight bound should prevent it; NODROP keeps the CQEs for the next reap
            }
            for (int i = 0; i < n; i++) {
                dispatch(cqUserData[i], cqResult[i]);
                if (refill != null) {
                    refill.run();
                }
                submitIfBatchFull();
            }
            assert slots.used() + issue.reservedInFlight() <= ring.cqEntries() : "more in flight than the CQ holds";
            return n;
        } finally {
            reaping = false;
        }
    }

    /** Whether a {@link #reap} is dispatching on this thread now. */
    public boolean reaping() {
        return reaping;
    }

    /**
     * The ring cannot be used any more ({@code io_uring_enter} failed for good): fails every
     * request queued, waiting for resubmission or in flight with {@code cause}'s errno,
     * exactly once each. Slices in flight are forgotten; their CQEs, if any come, are stale.
     *
     * @return requests failed
     */
    public int failAll(int errno, String detail) {
        int failed = 0;
        for (int slot = 0; slot < slots.capacity(); slot++) {
            IoRequest r = slots.request(slot);
            if (r == null) {
                continue;
            }
            slots.issue(slot); // retire its generation: a late CQE is stale
            slots.release(slot);
            for (IoRequest m = r; m != null; m = m.cursor().nextMerged()) {
                Aggregator.fail(m, errno, m.offset(), m.length(), detail);
                m.cursor().sliceLost();
            }
            for (IoRequest m = r; m != null; ) {
                IoRequest next = m.cursor().unlinkNextMerged();
                if (m.cursor().outstanding() <= 0 && !m.completed() && !issue.isWaiting(m)) { // else failed below
                    m.cursor().settle();
                    finish.finish(m);
                    failed++;
                }
                m = next;
            }
        }
        issue.clearResubmissions();
        IoRequest r;
        while ((r = issue.pollWaiting()) != null) {
            if (r.completed()) {
                finish.onRing(r);
                continue;
            }
            Aggregator.fail(r, errno, r.offset(), r.length(), detail);
            r.cursor().settle();
            finish.finish(r);
            failed++;
        }
        return failed;
    }

    private void dispatch(long userData, int result) {
        if (userData < 0) {
            issue.reservedDone();
            if (userData != IssueQueue.CANCEL_USER_DATA && reservedCompletion != null) {
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
        if (SqeEncoder.isVector(opcode)) {
            completeMerged(slot, result);
            return;
        }
        boolean data = opcode != SqeEncoder.OP_FSYNC;
        if (result == -Errno.EOPNOTSUPP && (slots.rwFlags(slot) & RwFlags.RWF_NOWAIT) != 0) {
            // The file does not take RWF_NOWAIT (Splitter.endOfFileFlags): again without it, for good.
            r.file().refuseNowaitReads();
            slots.setRwFlags(slot, slots.rwFlags(slot) & ~RwFlags.RWF_NOWAIT);
            issue.resubmit(slot);
            return;
        }
        Aggregator.Verdict verdict = Aggregator.onSlice(r, slots.fileOffset(slot), slots.length(slot),
                slots.relative(slot), result, slots.retry(slot) - 1, r.file().sliceAlignment(), data);
        if (verdict == Aggregator.Verdict.RESUBMIT) {
            if (result > 0) {
                slots.advance(slot, result);
            }
            // A read issued with RWF_NOWAIT (Splitter.endOfFileFlags) goes again blocking.
            slots.setRwFlags(slot, slots.rwFlags(slot) & ~RwFlags.RWF_NOWAIT);
            issue.resubmit(slot);
            return;
        }
        slots.release(slot);
        sliceDone(r, data);
    }

    /** One slice of {@code r} is judged: when it was the last, the request is done (or syncs). */
    private void sliceDone(IoRequest r, boolean data) {
        if (r.cursor().sliceJudged()) {
            if (r.syncAfter() >= 0 && !r.cursor().durableByFlags() && !r.cursor().syncing()
                    && r.outcome().errno() == 0 && data) {
                // The data is in; make it durable before the request completes: its sync phase.
                r.cursor().beginSync();
                issue.addFirst(r);
                return;
            }
            finish.finish(r);
        }
    }

    /**
     * Splits a READV/WRITEV result back over the requests it carried, in file order (see
     * the class comment). Requests that still need bytes go back to the front of the queue,
     * in order, as ordinary slices.
     */
    private void completeMerged(int slot, int result) {
        if (Aggregator.retryable(result, slots.retry(slot) - 1)) {
            issue.resubmit(slot);
            return;
        }
        IoRequest head = slots.request(slot);
        slots.release(slot);
        mergedSplit.split(head, result, head.file().sliceAlignment());
        for (int i = 0; i < mergedSplit.doneCount; i++) {
            sliceDone(mergedSplit.done[i], true);
        }
        // Back to the front of the queue, in file order: the last one first.
        for (int i = mergedSplit.againCount - 1; i >= 0; i--) {
            issue.addFirst(mergedSplit.again[i]);
        }
        mergedSplit.clear();
    }
}
