package io.dioring.reap;

import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.Slots;
import io.dioring.ring.SqeEncoder;
import io.dioring.split.Coalescer;
import io.dioring.split.Splitter;
import java.util.ArrayDeque;

/**
 * The issue side of one ring, single-owner: requests waiting to go out, slots waiting to be
 * issued again, and the step that turns them into SQEs, split ({@link Splitter}) or merged
 * ({@link Coalescer}), one slot each ({@link SqeEncoder}), with the engine's own reserved
 * SQEs (wake-up reads, cancels) counted against their bound.
 */
final class IssueQueue {
    /** user_data of the engine's own cancel SQEs. */
    static final long CANCEL_USER_DATA = Slots.RESERVED | 2;

    private final IoRing ring;
    private final Slots slots;
    private final SqeEncoder encoder;
    private final Splitter splitter;
    private final Coalescer coalescer;
    private final ArrayDeque<IoRequest> waiting = new ArrayDeque<>();
    /** Slots whose slice must be issued again (short or EAGAIN), waiting for SQ space. */
    private final ResubmitQueue resubmit;
    private final RingFinish finish;
    private final int reservedBound;
    private int reservedInFlight;

    IssueQueue(IoRing ring, Slots slots, SqeEncoder encoder, int reservedSqes, RingFinish finish) {
        this.ring = ring;
        this.slots = slots;
        this.encoder = encoder;
        this.splitter = new Splitter(slots, encoder);
        this.coalescer = new Coalescer(slots, encoder);
        this.resubmit = new ResubmitQueue(slots.capacity());
        this.finish = finish;
        this.reservedBound = reservedSqes;
    }

    void add(IoRequest r) {
        waiting.addLast(r);
    }

    /** Puts {@code r} back at the front, to go out before anything else waiting. */
    void addFirst(IoRequest r) {
        waiting.addFirst(r);
    }

    /** The oldest waiting request, taken off the queue; null when none waits. */
    IoRequest pollWaiting() {
        return waiting.pollFirst();
    }

    boolean isWaiting(IoRequest r) {
        return waiting.contains(r);
    }

    int waitingCount() {
        return waiting.size();
    }

    /** Requests and resubmissions waiting. */
    int pending() {
        return waiting.size() + resubmit.size();
    }

    boolean hasResubmissions() {
        return !resubmit.isEmpty();
    }

    int reservedInFlight() {
        return reservedInFlight;
    }

    /** The CQE of one reserved SQE is in. */
    void reservedDone() {
        reservedInFlight--;
    }

    long coalescedRequests() {
        return coalescer.coalescedRequests();
    }

    /**
     * Queues {@code slot} to be issued again, retiring this CQE's generation now: while the
     * slot waits for SQ space, a repeat of its user_data must count as stale, not be applied
     * a second time.
     */
    void resubmit(int slot) {
        slots.issue(slot);
        resubmit.push(slot);
    }

    /** Forgets every slot waiting to be issued again (the ring is gone). */
    void clearResubmissions() {
        resubmit.clear();
    }

    /**
     * Writes SQEs for resubmissions first, then for waiting requests, until the SQ or the
     * slot table is full or nothing is left.
     *
     * @return SQEs written
     */
    int prepare() {
        long before = encoder.sqesEncoded();
        while (!resubmit.isEmpty() && ring.sqSpace() > 0) {
            encoder.encode(resubmit.poll());
        }
        while (!waiting.isEmpty()) {
            IoRequest r = waiting.peekFirst();
            if (r.completed()) {
                waiting.pollFirst(); // finished elsewhere and handed here to be delivered on this thread
                finish.onRing(r);
                continue;
            }
            if (Coalescer.coalescible(r) && encoder.hasRoom() && coalescer.coalesce(waiting)) {
                continue;
            }
            if (!splitter.split(r)) {
                break;
            }
            waiting.pollFirst();
            if (r.cursor().outstanding() == 0) {
                finish.finish(r); // nothing to issue (zero length, or failed before its first slice)
            }
        }
        return (int) (encoder.sqesEncoded() - before);
    }

    /**
     * Writes an ASYNC_CANCEL for everything in flight on this ring.
     *
     * @return false when the SQ has no room now (try again after reaping)
     */
    boolean cancelAll() {
        if (slots.used() == 0) {
            return true;
        }
        if (ring.sqSpace() == 0) {
            return false;
        }
        if (reservedInFlight >= reservedBound) {
            return false;
        }
        encoder.encodeCancelAll(CANCEL_USER_DATA);
        reservedInFlight++;
        return true;
    }

    /** Writes an SQE of the engine's own; {@code userData} already has {@link Slots#RESERVED} set. */
    boolean prepareReserved(int opcode, int fd, long address, int length, long userData) {
        if (ring.sqSpace() == 0 || reservedInFlight >= reservedBound) {
            return false;
        }
        encoder.encodeReserved(opcode, fd, address, length, userData);
        reservedInFlight++;
        return true;
    }
}
