package io.dioring.ring;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The engine pool's slabs, in the order they appeared: slab i is entry i of the buffer table
 * of every ring that {@link RingRegistrations#follow follows} them. Only ever appended to
 * (slabs live as long as the engine); a ring's driver reads {@link #snapshot} on each lookup
 * and registers what is new.
 *
 * <p>Thread-safe: {@link #add} under this object's monitor, the array published through a
 * volatile field (a reader sees a slab's segment fully built).
 */
public final class BufferSlabs {
    private volatile MemorySegment[] slabs = new MemorySegment[0];

    /** Appends {@code slab}; returns its index. */
    public synchronized int add(MemorySegment slab) {
        MemorySegment[] grown = Arrays.copyOf(slabs, slabs.length + 1);
        grown[slabs.length] = slab;
        slabs = grown;
        return grown.length - 1;
    }

    /** The slabs so far (do not modify). */
    public MemorySegment[] snapshot() {
        return slabs;
    }

    /** How many slabs there are. */
    public int count() {
        return slabs.length;
    }
}
