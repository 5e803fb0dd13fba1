package io.dioring.tools.dd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * dd's buffers: input blocks (ibs) and output blocks (obs), 4096-aligned, allocated on
 * demand up to what the reads ahead and writes behind can hold, and reused. A buffer belongs
 * to the operation it was taken for until that operation completes and gives it back.
 */
final class DdBuffers implements AutoCloseable {
    private static final long ALIGNMENT = 4096;

    private final DdOptions o;
    private final DdStats stats;
    /** Shared, not confined: a backend may touch buffers from its own threads. */
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<MemorySegment> freeInput = new ArrayDeque<>();
    private final ArrayDeque<MemorySegment> freeOutput = new ArrayDeque<>();
    private int inputBuffers;
    private int outputBuffers;
    private int maxInput;
    private int maxOutput;

    DdBuffers(DdOptions o, DdStats stats) {
        this.o = o;
        this.stats = stats;
    }

    /** How many buffers of each kind may exist (set once the depths are known). */
    void limit(int maxInput, int maxOutput) {
        this.maxInput = maxInput;
        this.maxOutput = maxOutput;
    }

    private MemorySegment allocate(long size, String what) throws DdExit {
        try {
            return arena.allocate(size, ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            stats.error("memory exhausted by " + what + " buffer of size " + size + " bytes ("
                    + DdText.humanReadable(size, DdText.DD_OPTS | DdText.BASE_1024, 1, 1) + ")");
            throw new DdExit(DdExit.FAILURE);
        }
    }

    /** A free input buffer, allocating up to the limit; null if all are busy. */
    MemorySegment takeInput() throws DdExit {
        MemorySegment b = freeInput.poll();
        if (b == null && inputBuffers < maxInput) {
            b = allocate(o.inputBlocksize, "input");
            inputBuffers++;
        }
        return b;
    }

    /** A free output buffer, allocating up to the limit; null if all are busy. */
    MemorySegment takeOutput() throws DdExit {
        MemorySegment b = freeOutput.poll();
        if (b == null && outputBuffers < maxOutput) {
            b = allocate(o.outputBlocksize, "output");
            outputBuffers++;
        }
        return b;
    }

    void giveBack(MemorySegment buffer, boolean input) {
        (input ? freeInput : freeOutput).add(buffer);
    }

    @Override
    public void close() {
        arena.close();
    }
}
