package io.dioring.ring;

import io.dioring.request.IoRequest;

/**
 * The in-flight slice table. A CQE's {@code user_data} is {@code generation << 32 | index}
 * into these arrays: no map, no boxing. The generation changes each time a slot is
 * (re)issued, so a stale or foreign CQE is recognised instead of misapplied.
 *
 * <p>Capacity bounds what is in flight; the engine sizes it at or below the CQ size so
 * the CQ cannot overflow. Single owner: the ring's owner thread.
 */
public final class Slots {
    /** user_data values with the top bit set are the engine's own (wake-ups, cancels). */
    public static final long RESERVED = 1L << 63;

    private final IoRequest[] request;
    private final long[] fileOffset;
    private final long[] address;
    private final int[] length;
    private final long[] relative;
    private final int[] generation;
    private final int[] opcode;
    private final int[] bufIndex;
    private final int[] retries;
    /** rw_flags of the slot's read or write SQE (RWF_DSYNC for a durable write), else 0. */
    private final int[] rwFlags;
    private final int[] free;
    private int freeCount;

    public Slots(int capacity) {
        request = new IoRequest[capacity];
        fileOffset = new long[capacity];
        address = new long[capacity];
        length = new int[capacity];
        relative = new long[capacity];
        generation = new int[capacity];
        opcode = new int[capacity];
        bufIndex = new int[capacity];
        retries = new int[capacity];
        rwFlags = new int[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        freeCount = capacity;
    }

    public int capacity() {
        return request.length;
    }

    public int free() {
        return freeCount;
    }

    public int used() {
        return request.length - freeCount;
    }

    /** Takes a free slot for one SQE of {@code r}; the caller has checked {@link #free()}. */
    public int acquire(IoRequest r, int op, long fileOff, long addr, int len, long rel, int buf) {
        int slot = free[--freeCount];
        request[slot] = r;
        opcode[slot] = op;
        fileOffset[slot] = fileOff;
        address[slot] = addr;
        length[slot] = len;
        relative[slot] = rel;
        bufIndex[slot] = buf;
        retries[slot] = 0;
        rwFlags[slot] = 0;
        return slot;
    }

    /** A new user_data for the slot: bumps its generation. */
    public long issue(int slot) {
        int g = (generation[slot] + 1) & 0x7fffffff;
        generation[slot] = g;
        return ((long) g << 32) | slot;
    }

    /** The slot a CQE belongs to, or -1 for a stale, foreign or reserved user_data. */
    public int lookup(long userData) {
        if (userData < 0) {
            return -1;
        }
        int slot = (int) userData;
        int g = (int) (userData >>> 32);
        if (slot < 0 || slot >= request.length || request[slot] == null || generation[slot] != g) {
            return -1;
        }
        return slot;
    }

    /** Moves a short slice forward by {@code done} bytes for resubmission of the rest. */
    public void advance(int slot, int done) {
        fileOffset[slot] += done;
        address[slot] += done;
        length[slot] -= done;
        relative[slot] += done;
        retries[slot] = 0;
    }

    public void release(int slot) {
        request[slot] = null;
        free[freeCount++] = slot;
    }

    public IoRequest request(int slot) {
        return request[slot];
    }

    public long fileOffset(int slot) {
        return fileOffset[slot];
    }

    public long address(int slot) {
        return address[slot];
    }

    public int length(int slot) {
        return length[slot];
    }

    public long relative(int slot) {
        return relative[slot];
    }

    public int opcode(int slot) {
        return opcode[slot];
    }

    public int bufIndex(int slot) {
        return bufIndex[slot];
    }

    /** Sets the rw_flags of the slot's SQE (kept across resubmissions of its remainder). */
    public void setRwFlags(int slot, int flags) {
        rwFlags[slot] = flags;
    }

    public int rwFlags(int slot) {
        return rwFlags[slot];
    }

    /** Counts one more retry of the slot; returns the count. */
    public int retry(int slot) {
        return ++retries[slot];
    }
}
