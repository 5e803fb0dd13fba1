package io.dioring.request;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded lock-free multi-producer multi-consumer queue of references (D. Vyukov's
 * array queue): offer and poll are one CAS on their index and never lock, block or
 * allocate.
 *
 * <pre>
 *  cells:      [ e0 | e1 | e2 | ... | e(capacity-1) ]     capacity a power of two
 *  sequences:  [ s0 | s1 | s2 | ... ]   s == index          cell free for the producer of index
 *                                       s == index + 1      cell full for the consumer of index
 *  tail (producers claim by CAS)   head (consumers claim by CAS)
 * </pre>
 *
 * A cell's element is written with a plain store before its sequence is published with a
 * release store, and read after the sequence is loaded with acquire: the sequence is the
 * only fence, and it orders the element for whoever wins the index.
 */
public final class BoundedQueue<E> {
    private static final VarHandle SEQUENCE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(Object[].class);

    private final long[] sequences;
    private final Object[] cells;
    private final int mask;
    private final AtomicLong tail = new AtomicLong();
    private final AtomicLong head = new AtomicLong();

    /** A queue of {@code capacity} places, rounded up to a power of two (at least 2). */
    public BoundedQueue(int capacity) {
        if (capacity < 1 || capacity > 1 << 30) {
            throw new IllegalArgumentException("queue capacity " + capacity + " must be in [1, 2^30]");
        }
        // A power of two, and at least 2: with one cell a full queue's sequence would read as free.
        int size = capacity <= 2 ? 2 : Integer.highestOneBit(capacity - 1) << 1;
        sequences = new long[size];
        cells = new Object[size];
        mask = size - 1;
        for (int i = 0; i < size; i++) {
            sequences[i] = i;
        }
    }

    /** Places in all. */
    public int capacity() {
        return cells.length;
    }

    /** Adds {@code e} at the tail; false when the queue is full. */
    public boolean offer(E e) {
        assert e != null : "null element";
        long index = tail.get();
        while (true) {
            int cell = (int) index & mask;
            // Acquire: the consumer that emptied this cell stored its new sequence with release.
            long seq = (long) SEQUENCE.getAcquire(sequences, cell);
            long diff = seq - index;
            if (diff == 0) {
                if (tail.compareAndSet(index, index + 1)) {
                    CELL.set(cells, cell, e);
                    // Release: the element is visible before the consumer can see the cell full.
                    SEQUENCE.setRelease(sequences, cell, index + 1);
                    return true;
                }
                index = tail.get();
            } else if (diff < 0) {
                return false; // the cell still holds the element of index - capacity: full
            } else {
                index = tail.get(); // another producer took this index
            }
        }
    }

    /** Takes the element at the head, or null when the queue is empty. */
    @SuppressWarnings("unchecked")
    public E poll() {
        long index = head.get();
        while (true) {
            int cell = (int) index & mask;
            // Acquire: pairs with the producer's release of the sequence, so its element is visible.
            long seq = (long) SEQUENCE.getAcquire(sequences, cell);
            long diff = seq - (index + 1);
            if (diff == 0) {
                if (head.compareAndSet(index, index + 1)) {
                    E e = (E) CELL.get(cells, cell);
                    CELL.set(cells, cell, null);
                    // Release: the cell is emptied before the producer of index + capacity may fill it.
                    SEQUENCE.setRelease(sequences, cell, index + mask + 1);
                    return e;
                }
                index = head.get();
            } else if (diff < 0) {
                return null; // not filled yet: empty
            } else {
                index = head.get(); // another consumer took this index
            }
        }
    }

    /** Whether the queue looked empty at some moment during the call. */
    public boolean isEmpty() {
        return head.get() >= tail.get();
    }

    /** Elements in the queue at some moment during the call (approximate under contention). */
    public int size() {
        long h = head.get();
        long t = tail.get();
        return (int) Math.max(0, Math.min(t - h, cells.length));
    }
}
