package io.dioring.split;

import io.dioring.request.IoRequest;
import io.dioring.request.RequestFile;
import io.dioring.ring.SqeEncoder;
import io.dioring.ring.Slots;
import java.util.ArrayDeque;

/**
 * Coalescing (seed 004, writepages): requests of one direction on one file that wait
 * together, one after the other, with contiguous ranges ({@code a.end() == b.offset}) go
 * out as one READV/WRITEV SQE of at most the file's {@code maxIoBytes} and
 * {@link SqeEncoder#MAX_IOVECS_PER_SQE} buffers. Only plain requests are merged: one
 * buffer, not registered, not larger than {@code maxIoBytes}, on a file that allows it
 * (not with raw outcomes). The SQE takes one slot, whose request is the first of the chain
 * ({@link SliceCursor#nextMerged} links the rest).
 *
 * <p>The result is split back in order by {@code reap.MergedSplit}; the rules that keep
 * coalescing invisible (each request's result, errno and offset are what they would have
 * been alone):
 * <ul>
 * <li>EAGAIN/EINTR re-issue the merged SQE (bounded, as for any slice; the caller does it);
 * <li>any other error un-merges the SQE: every request it carried goes again on its own
 *     (the error may belong to one block only);
 * <li>a result of n bytes completes the requests it covers in full; the request it ends
 *     inside is judged like a short slice of its own ({@code Aggregator.onSlice}); the
 *     requests after it and the remainder of a resubmittable one go again unmerged, as
 *     ordinary slices, so a short merged SQE never repeats.
 * </ul>
 */
public final class Coalescer {
    private final Slots slots;
    private final SqeEncoder encoder;
    private long coalescedRequests;

    public Coalescer(Slots slots, SqeEncoder encoder) {
        this.slots = slots;
        this.encoder = encoder;
    }

    /** Whether {@code r} may share an SQE: a plain data request, one buffer, one slice, untouched. */
    public static boolean coalescible(IoRequest r) {
        RequestFile f = r.file();
        return r.isData() && !r.completed() && f.coalescing() && !f.rawOutcomes() && r.segmentCount() == 1
                && r.bufferIndex(0) < 0 && r.syncAfter() < 0 && !r.cursor().unmerged && r.outcome().errno() == 0
                && r.cursor().issued == 0 && r.length() > 0 && r.length() <= f.maxIoBytes();
    }

    /** Whether {@code next} continues {@code r} in one SQE: same file and direction, contiguous, both coalescible. */
    public static boolean continues(IoRequest r, IoRequest next) {
        return next.file() == r.file() && next.op() == r.op() && next.offset() == r.end() && coalescible(r)
                && coalescible(next);
    }

    /**
     * Links to {@code head} (taken off the front of {@code waiting}) the requests right behind
     * it that continue it, through {@link SliceCursor#nextMerged}: same file and direction,
     * contiguous, each coalescible, at most the file's {@code maxIoBytes} and
     * {@link SqeEncoder#MAX_IOVECS_PER_SQE} buffers in all. The backends' one rule of what
     * goes out together.
     *
     * @return the requests in the chain (1: nothing continues it, or it is not coalescible)
     */
    public static int chain(IoRequest head, ArrayDeque<IoRequest> waiting) {
        head.cursor().nextMerged = null;
        if (!coalescible(head)) {
            return 1;
        }
        long limit = head.file().maxIoBytes();
        long total = head.length();
        int count = 1;
        IoRequest tail = head;
        for (IoRequest next = waiting.peekFirst(); next != null && count < SqeEncoder.MAX_IOVECS_PER_SQE;
                next = waiting.peekFirst()) {
            if (!continues(tail, next) || total + next.length() > limit) {
                break;
            }
            waiting.pollFirst();
            tail.cursor().nextMerged = next;
            tail = next;
            total += next.length();
            count++;
        }
        return count;
    }

    /** A request that went out whole inside a merged SQE or call: one slice, every byte handed out. */
    public static void issuedWhole(IoRequest r) {
        SliceCursor<IoRequest> c = r.cursor();
        c.outstanding = 1;
        c.segIndex = r.segmentCount();
        c.segPos = 0;
        c.issued = r.length();
        c.allIssued = true;
    }

    /**
     * Takes the first request of {@code waiting} and the requests right behind it that
     * continue it on the same file in the same direction ({@link #chain}), and issues them as
     * one vector SQE. The caller has checked the first is {@link #coalescible} and there is room.
     *
     * @return false, leaving {@code waiting} as it was, when nothing continues the first
     */
    public boolean coalesce(ArrayDeque<IoRequest> waiting) {
        IoRequest head = waiting.pollFirst();
        int count = chain(head, waiting);
        if (count == 1) {
            waiting.addFirst(head);
            return false;
        }
        long total = 0;
        for (IoRequest r = head; r != null; r = r.cursor().nextMerged) {
            total += r.length();
        }
        int opcode = head.op() == IoRequest.READ ? SqeEncoder.OP_READV : SqeEncoder.OP_WRITEV;
        // A vector SQE's slot: the length is the bytes of the whole chain, the buffer index
        // field the iovec count; the encoder points the SQE at the slot's iovec array.
        int slot = slots.acquire(head, opcode, head.offset(), 0, (int) total, 0, count);
        encoder.writeIovecs(slot, head);
        for (IoRequest r = head; r != null; r = r.cursor().nextMerged) {
            issuedWhole(r);
        }
        coalescedRequests += count - 1;
        encoder.encode(slot);
        return true;
    }

    /** Requests that went out inside another request's vector SQE: the SQEs coalescing saved. */
    public long coalescedRequests() {
        return coalescedRequests;
    }
}
