package io.dioring.split;

import io.dioring.request.IoRequest;
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
 * ({@link IoRequest#nextMerged} links the rest).
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
        return r.isData() && r.file.coalescing() && !r.file.rawOutcomes() && r.segmentCount == 1
                && r.bufIndex[0] < 0 && r.syncAfter < 0 && !r.unmerged && r.errno == 0 && r.issued == 0 && r.length > 0
                && r.length <= r.file.maxIoBytes();
    }

    /** Whether {@code next} continues {@code r} in one SQE: same file and direction, contiguous, both coalescible. */
    public static boolean continues(IoRequest r, IoRequest next) {
        return next.file == r.file && next.op == r.op && next.offset == r.end() && coalescible(r)
                && coalescible(next);
    }

    /**
     * Takes the first request of {@code waiting} and the requests right behind it that
     * continue it on the same file in the same direction, and issues them as one vector
     * SQE. The caller has checked the first is {@link #coalescible} and there is room.
     *
     * @return false, leaving {@code waiting} as it was, when nothing continues the first
     */
    public boolean coalesce(ArrayDeque<IoRequest> waiting) {
        IoRequest head = waiting.pollFirst();
        long limit = head.file.maxIoBytes();
        long total = head.length;
        int count = 1;
        IoRequest tail = head;
        for (IoRequest next = waiting.peekFirst(); next != null && count < SqeEncoder.MAX_IOVECS_PER_SQE;
                next = waiting.peekFirst()) {
            if (!continues(tail, next) || total + next.length > limit) {
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
        int opcode = head.op == IoRequest.READ ? SqeEncoder.OP_READV : SqeEncoder.OP_WRITEV;
        // A vector SQE's slot: the length is the bytes of the whole chain, the buffer index
        // field the iovec count; the encoder points the SQE at the slot's iovec array.
        int slot = slots.acquire(head, opcode, head.offset, 0, (int) total, 0, count);
        encoder.writeIovecs(slot, head);
        for (IoRequest r = head; r != null; r = r.nextMerged) {
            r.outstanding = 1;
            r.segIndex = r.segmentCount;
            r.segPos = 0;
            r.issued = r.length;
            r.allIssued = true;
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
