package io.dioring.file;

import io.dioring.ffi.Errno;
import io.dioring.request.IoRequest;
import java.util.Arrays;
import java.util.concurrent.CancellationException;

/**
 * Ordering against in-flight writes (seed 002, fuse_range_is_writeback): a read or write
 * whose byte range overlaps a write submitted earlier on the same file and still in
 * flight is held until that write completes, so a read issued after a write never
 * returns the old bytes and two overlapping writes land in submission order. Requests
 * that overlap nothing are never held.
 *
 * <p>Cost: a read with no write in flight reads one volatile field and goes (no lock, no
 * allocation). A write takes this object's monitor once at submission and once at
 * completion; the entry arrays grow only when more writes are in flight than ever before.
 */
public final class InFlightWrites {
    /** Registered writes in flight; read without the lock on the fast path. */
    private volatile int count;
    private long nextSequence;
    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private long[] sequences = new long[16];
    private int size;
    private IoRequest heldHead;
    private IoRequest heldTail;
    private long holds;

    /**
     * Decides whether {@code r} may be issued now. A write is registered (its owner calls
     * {@link #onComplete} when it is done). A request that must wait is kept here and handed to
     * its {@link IoRequest#sink} once every earlier overlapping write is done.
     *
     * @return true to issue now, false when held
     */
    public boolean admit(IoRequest r) {
        if (!r.isData() || (r.op == IoRequest.READ && count == 0)) {
            return true;
        }
        synchronized (this) {
            r.sequence = ++nextSequence;
            boolean blocked = overlapsEarlier(r.offset, r.end(), r.sequence);
            if (r.isWrite()) {
                add(r.offset, r.end(), r.sequence);
                r.registeredWrite = true;
            }
            if (blocked) {
                holds++;
                if (heldTail == null) {
                    heldHead = heldTail = r;
                } else {
                    heldTail.nextHeld = r;
                    heldTail = r;
                }
                return false;
            }
            return true;
        }
    }

    /** A registered write finished: forget it and release what it was holding back. */
    public void onComplete(IoRequest write) {
        IoRequest released = null;
        IoRequest releasedTail = null;
        synchronized (this) {
            remove(write.sequence);
            IoRequest prev = null;
            for (IoRequest h = heldHead; h != null; ) {
                IoRequest next = h.nextHeld;
                if (!overlapsEarlier(h.offset, h.end(), h.sequence)) {
                    if (prev == null) {
                        heldHead = next;
                    } else {
                        prev.nextHeld = next;
                    }
                    if (heldTail == h) {
                        heldTail = prev;
                    }
                    h.nextHeld = null;
                    if (releasedTail == null) {
                        released = releasedTail = h;
                    } else {
                        releasedTail.nextHeld = h;
                        releasedTail = h;
                    }
                } else {
                    prev = h;
                }
                h = next;
            }
        }
        while (released != null) {
            IoRequest next = released.nextHeld;
            released.nextHeld = null;
            issueOrCancel(released);
            released = next;
        }
    }

    /**
     * Hands a released request to its ring. That ring may have closed while the request was
     * held (an engine closing its rings one by one): then it fails the request, which would
     * otherwise never complete, instead of throwing into the thread that completed the write.
     */
    private static void issueOrCancel(IoRequest r) {
        try {
            r.sink.accept(r);
        } catch (IllegalStateException closed) {
            CancellationException e = new CancellationException(r.opName() + " " + r.file.path() + " at offset "
                    + r.offset + " cancelled: held behind a write in flight, and its ring closed meanwhile ("
                    + closed.getMessage() + ")");
            e.initCause(closed);
            r.failure = e;
            r.result = -Errno.ECANCELED;
            r.completed = true;
            if (r.listener != null) {
                r.listener.onComplete(r);
            }
            r.run();
        }
    }

    /** Writes in flight now. */
    public int count() {
        return count;
    }

    /** Requests held back so far because they overlapped an in-flight write. */
    public synchronized long holds() {
        return holds;
    }

    private boolean overlapsEarlier(long start, long end, long sequence) {
        for (int i = 0; i < size; i++) {
            if (sequences[i] < sequence && starts[i] < end && start < ends[i]) {
                return true;
            }
        }
        return false;
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

    private void remove(long sequence) {
        for (int i = 0; i < size; i++) {
            if (sequences[i] == sequence) {
                size--;
                starts[i] = starts[size];
                ends[i] = ends[size];
                sequences[i] = sequences[size];
                count = size;
                return;
            }
        }
        throw new IllegalStateException("write #" + sequence + " completed but was not registered");
    }
}
