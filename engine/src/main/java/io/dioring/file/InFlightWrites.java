package io.dioring.file;

import io.dioring.request.IoRequest;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ordering against in-flight writes (seed 002, fuse_range_is_writeback) and sync barriers.
 *
 * <ul>
 * <li>A read or write whose byte range overlaps a write submitted earlier on the same file
 *     and still in flight is held until every such write completes, so a read issued after
 *     a write never returns the old bytes and overlapping writes land in submission order.
 * <li>An fsync/fdatasync is a barrier: it is held until every write submitted earlier on the
 *     file, whatever its range, has completed and been delivered; only then is it issued.
 * <li>Requests that overlap nothing are never held.
 * </ul>
 *
 * <h2>Delivered, not only completed</h2>
 * A file's writes complete and are delivered on several threads (a ring's caller or reaper,
 * another ring's, a pool worker), so a sync released when the writes before it complete could
 * be delivered while one of theirs is still on its way. A completed write therefore stays
 * counted until its deliverer says it was delivered ({@link DeliveryHold}), and a barrier whose
 * earlier writes have all completed waits for those counts too. The count is not per write: two
 * epoch counters (as in sleepable RCU) take completed writes, the current one the new ones. A
 * barrier is released once it has seen each counter at zero after it began to wait (the writes
 * counted before are then delivered); when it waits for the current one and the other is at
 * zero, the epochs swap, so the one it waits for only falls. A delivery costs one atomic
 * decrement, and the monitor only when it brings a counter to zero while a barrier waits.
 * A barrier issued from a write's INLINE callback waits for that callback to return; nothing
 * waits for a DEFERRED callback to run (its hand-off to the executor is its delivery) nor for
 * a blocking caller to return (waking it is).
 *
 * <p>Cost: a read with no write in flight reads one volatile field and goes (no lock, no
 * allocation). Otherwise admission takes this object's monitor once and compares against
 * the writes in flight; a held request counts the writes it waits for ({@code blockers}),
 * so a completing write updates each held request with one range comparison instead of
 * rescanning every write in flight for it. The entry arrays grow only when more writes are
 * in flight than ever before.
 *
 * <p>This class decides; it hands nothing anywhere: {@link #admit} says whether to issue,
 * and {@link #onComplete} and {@link DeliveryHold#delivered} return the requests they release,
 * for the caller to issue.
 */
public final class InFlightWrites {
    /** Registered writes in flight; read without the lock on the fast path. */
    private volatile int count;
    private long nextSequence;
    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private long[] sequences = new long[16];
    private int size;
    /** Held requests in admission order, linked through {@link WriteOrder#unlinkNext}. */
    private IoRequest heldHead;
    private IoRequest heldTail;
    private int heldCount;
    private long holds;
    /** Range comparisons made so far: the work ordering costs (for tests of its bound). */
    private long comparisons;
    /** Completed writes not yet delivered, in two epochs; new ones count in {@code epochs[current]}. */
    private final Epoch[] epochs = {new Epoch(), new Epoch()};
    private int current;
    /** Barriers whose earlier writes completed, waiting for their deliveries, linked as held ones. */
    private IoRequest awaitingHead;
    private IoRequest awaitingTail;
    /** How many; read by deliveries without the lock (written under it before counters are read). */
    private volatile int awaitingCount;

    /**
     * Decides whether {@code r} may be issued now. A write is registered (its owner calls
     * {@link #onComplete} when it is done). A request that must wait is kept here and
     * returned by the {@link #onComplete} call, or the {@link DeliveryHold#delivered} call of a
     * barrier, that releases it.
     *
     * @return true to issue now, false when held
     */
    public boolean admit(IoRequest r) {
        if (count == 0 && r.op() == IoRequest.READ) {
            return true; // nothing in flight to wait for, nothing to register
        }
        WriteOrder<IoRequest> o = r.order();
        synchronized (this) {
            o.sequence = ++nextSequence;
            int blockers = countEarlierOverlapping(start(r), end(r), o.sequence);
            if (r.isWrite()) {
                add(r.offset(), r.end(), o.sequence);
                o.registeredWrite = true;
            }
            if (blockers == 0) {
                if (r.isData() || !awaitDeliveries(r)) {
                    return true;
                }
                holds++;
                return false; // a barrier: the writes before it completed, their deliveries are to come
            }
            o.blockers = blockers;
            holds++;
            heldCount++;
            if (heldTail == null) {
                heldHead = heldTail = r;
            } else {
                heldTail.order().nextHeld = r;
                heldTail = r;
            }
            return false;
        }
    }

    /**
     * A registered write finished (or was abandoned before it was issued): forget it. It stays
     * counted for barriers until its deliverer takes its hold ({@link WriteOrder#takeDeliveryHold})
     * and says it was delivered.
     *
     * @return the requests it released, linked through {@link WriteOrder#unlinkNext} in
     *         admission order, or null; the caller issues them
     */
    public IoRequest onComplete(IoRequest write) {
        WriteOrder<IoRequest> w = write.order();
        assert w.registeredWrite : "only registered writes complete here";
        IoRequest released = null;
        IoRequest releasedTail = null;
        synchronized (this) {
            int index = indexOf(w.sequence);
            long start = starts[index];
            long end = ends[index];
            long sequence = sequences[index];
            removeAt(index);
            w.registeredWrite = false;
            Epoch epoch = epochs[current];
            epoch.undelivered.incrementAndGet(); // before any barrier below looks at the counts
            w.deliveryHold = epoch;
            IoRequest prev = null;
            for (IoRequest h = heldHead; h != null; ) {
                WriteOrder<IoRequest> ho = h.order();
                IoRequest next = ho.nextHeld;
                comparisons++;
                if (sequence < ho.sequence && start < end(h) && start(h) < end && --ho.blockers == 0) {
                    if (prev == null) {
                        heldHead = next;
                    } else {
                        prev.order().nextHeld = next;
                    }
                    if (heldTail == h) {
                        heldTail = prev;
                    }
                    heldCount--;
                    ho.nextHeld = null;
                    if (!h.isData() && awaitDeliveries(h)) {
                        // a barrier: this write's delivery at least is still to come
                    } else if (releasedTail == null) {
                        released = releasedTail = h;
                    } else {
                        releasedTail.order().nextHeld = h;
                        releasedTail = h;
                    }
                } else {
                    prev = h;
                }
                h = next;
            }
            assert heldCount >= 0 && (heldCount == 0) == (heldHead == null) : "held list and count disagree";
        }
        return released;
    }

    /** Writes in flight now. */
    public int count() {
        return count;
    }

    /** Requests held now (barriers waiting for deliveries included). */
    public synchronized int heldCount() {
        return heldCount + awaitingCount;
    }

    /** Barriers whose earlier writes have completed, waiting for those writes' deliveries now. */
    public int awaitingDeliveries() {
        return awaitingCount;
    }

    /**
     * Under the lock: barrier {@code b}, whose earlier writes have all completed, waits for
     * the completed writes not yet delivered, unless none is left.
     *
     * @return whether it waits (it is then released by {@link #deliveriesDone})
     */
    private boolean awaitDeliveries(IoRequest b) {
        awaitingCount = awaitingCount + 1; // volatile: a delivery bringing a count to zero now sees it
        int waitFor = undeliveredEpochs(); // read after: one side sees the other (both sequentially consistent)
        if (waitFor == 0) {
            awaitingCount = awaitingCount - 1;
            return false;
        }
        b.order().epochsAwaited = waitFor;
        if (awaitingTail == null) {
            awaitingHead = awaitingTail = b;
        } else {
            awaitingTail.order().nextHeld = b;
            awaitingTail = b;
        }
        swapIfAwaited(waitFor);
        return true;
    }

    /** Bits of the epochs whose count of undelivered writes is not zero now. */
    private int undeliveredEpochs() {
        return (epochs[0].undelivered.get() != 0 ? 1 : 0) | (epochs[1].undelivered.get() != 0 ? 2 : 0);
    }

    /**
     * Under the lock: when a barrier waits for the current epoch and the other one is empty,
     * new completions go to the other one from now on, so the one awaited only falls.
     */
    private void swapIfAwaited(int awaitedBits) {
        if ((awaitedBits & (1 << current)) != 0 && epochs[1 - current].undelivered.get() == 0) {
            current = 1 - current;
        }
    }

    /**
     * A count fell to zero while barriers waited: releases those that have now seen both
     * counts at zero since they began to wait.
     */
    private synchronized IoRequest deliveriesDone() {
        int zero = ~undeliveredEpochs() & 3;
        IoRequest released = null;
        IoRequest releasedTail = null;
        IoRequest prev = null;
        int awaited = 0;
        int left = 0;
        for (IoRequest b = awaitingHead; b != null; ) {
            WriteOrder<IoRequest> bo = b.order();
            IoRequest next = bo.nextHeld;
            bo.epochsAwaited &= ~zero;
            if (bo.epochsAwaited == 0) {
                if (prev == null) {
                    awaitingHead = next;
                } else {
                    prev.order().nextHeld = next;
                }
                if (awaitingTail == b) {
                    awaitingTail = prev;
                }
                bo.nextHeld = null;
                if (releasedTail == null) {
                    released = releasedTail = b;
                } else {
                    releasedTail.order().nextHeld = b;
                    releasedTail = b;
                }
            } else {
                awaited |= bo.epochsAwaited;
                left++;
                prev = b;
            }
            b = next;
        }
        awaitingCount = left;
        swapIfAwaited(awaited);
        return released;
    }

    /** One epoch's count of completed writes not yet delivered; what a write's deliverer holds. */
    private final class Epoch implements DeliveryHold<IoRequest> {
        final AtomicInteger undelivered = new AtomicInteger();

        @Override
        public IoRequest delivered() {
            int left = undelivered.decrementAndGet();
            assert left >= 0 : "a write delivered twice";
            // Sequentially consistent both: a barrier that begins to wait writes awaitingCount,
            // then reads the counts; here the count is written, then awaitingCount read.
            return left == 0 && awaitingCount != 0 ? deliveriesDone() : null;
        }
    }

    /** Requests held back so far because they overlapped an in-flight write or were barriers. */
    public synchronized long holds() {
        return holds;
    }

    /** Range comparisons made so far by admission and release. */
    public synchronized long comparisons() {
        return comparisons;
    }

    /** A barrier (fsync, fdatasync) spans the whole file: it waits for every earlier write. */
    private static long start(IoRequest r) {
        return r.isData() ? r.offset() : 0;
    }

    private static long end(IoRequest r) {
        return r.isData() ? r.end() : Long.MAX_VALUE;
    }

    private int countEarlierOverlapping(long start, long end, long sequence) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (sequences[i] < sequence && starts[i] < end && start < ends[i]) {
                n++;
            }
        }
        comparisons += size;
        return n;
    }

    private void add(long start, long end, long sequence) {
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
            ends = Arrays.copyOf(ends, size * 2);
            sequences = Arrays.copyOf(sequences, size * 2);
        }
        starts[size] = start;
        ends[size] = end;
        sequences[size] = sequence;
        size++;
        count = size;
    }

    private int indexOf(long sequence) {
        for (int i = 0; i < size; i++) {
            if (sequences[i] == sequence) {
                return i;
            }
        }
        throw new IllegalStateException("write #" + sequence + " completed but was not registered");
    }

    private void removeAt(int i) {
        size--;
        starts[i] = starts[size];
        ends[i] = ends[size];
        sequences[i] = sequences[size];
        count = size;
    }
}
