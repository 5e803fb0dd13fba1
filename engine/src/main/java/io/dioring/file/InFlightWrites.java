package io.dioring.file;

import io.dioring.request.IoRequest;
import java.util.Arrays;

/**
 * Ordering against in-flight writes (seed 002, fuse_range_is_writeback) and sync barriers.
 *
 * <ul>
 * <li>A read or write whose byte range overlaps a write submitted earlier on the same file
 *     and still in flight is held until every such write completes, so a read issued after
 *     a write never returns the old bytes and overlapping writes land in submission order.
 * <li>An fsync/fdatasync is a barrier: it is held until every write submitted earlier on the
 *     file, whatever its range, has completed; only then is it issued.
 * <li>Requests that overlap nothing are never held.
 * </ul>
 *
 * <p>Cost: a read with no write in flight reads one volatile field and goes (no lock, no
 * allocation). Otherwise admission takes this object's monitor once and compares against
 * the writes in flight; a held request counts the writes it waits for ({@code blockers}),
 * so a completing write updates each held request with one range comparison instead of
 * rescanning every write in flight for it. The entry arrays grow only when more writes are
 * in flight than ever before.
 *
 * <p>This class decides; it hands nothing anywhere: {@link #admit} says whether to issue,
 * and {@link #onComplete} returns the requests it releases, for the caller to issue.
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

    /**
     * Decides whether {@code r} may be issued now. A write is registered (its owner calls
     * {@link #onComplete} when it is done). A request that must wait is kept here and
     * returned by the {@link #onComplete} call that releases it.
     *
     * @return true to issue now, false when held
     */
    public boolean admit(IoRequest r) {
        if (count == 0 && r.op() != IoRequest.WRITE) {
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
                return true;
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
     * A registered write finished (or was abandoned before it was issued): forget it.
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
                    if (releasedTail == null) {
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

    /** Requests held now. */
    public synchronized int heldCount() {
        return heldCount;
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
