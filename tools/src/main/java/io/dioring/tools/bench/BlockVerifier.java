package io.dioring.tools.bench;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32C;

/**
 * {@code bench --verify} / {@code --verify-only}, as fio's {@code verify=crc32c}: every block
 * carries a header at its start and is checked when read back.
 *
 * <pre>
 *  0  magic     8 bytes  "dioVRFY1"
 *  8  offset    8 bytes  the block's offset in the file
 * 16  seed      8 bytes  the run's --seed
 * 24  crc32c    4 bytes  of the whole block with this field zeroed
 * 28  length    4 bytes  the block size
 * 32  payload            pseudo-random bytes from (seed, offset)
 * </pre>
 *
 * Little-endian. Blocks are split among the jobs (contiguous ranges), each keeping up to
 * --qd reads or writes in flight through the engine's thread-safe futures (either backend).
 */
final class BlockVerifier {
    static final long MAGIC = 0x3159465256_6f6964L; // "dioVRFY1" little-endian
    static final int HEADER = 32;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long TIMEOUT_S = 60;

    /** The first bad block: its offset, what was expected and what was found. */
    static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;
        final long offset;

        Mismatch(long offset, String message) {
            super(message);
            this.offset = offset;
        }
    }

    private final IoEngine engine;
    private final DirectFile file;
    private final int bs;
    private final long blocks;
    private final int qd;
    private final int jobs;
    private final long seed;

    BlockVerifier(IoEngine engine, DirectFile file, int bs, long blocks, int qd, int jobs, long seed) {
        if (bs < HEADER) {
            throw new IllegalArgumentException("--bs " + bs + ": --verify needs blocks of at least " + HEADER
                    + " bytes (the header)");
        }
        this.engine = engine;
        this.file = file;
        this.bs = bs;
        this.blocks = blocks;
        this.qd = qd;
        this.jobs = jobs;
        this.seed = seed;
    }

    /** Writes every block with its header; returns the bytes written. */
    long writeAll() throws Exception {
        runJobs(true);
        return blocks * bs;
    }

    /** Reads every block back and checks it; throws the first mismatch. */
    long checkAll() throws Exception {
        runJobs(false);
        return blocks * bs;
    }

    private void runJobs(boolean write) throws Exception {
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int j = 0; j < jobs; j++) {
            long from = blocks * j / jobs;
            long to = blocks * (j + 1) / jobs;
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread.ofPlatform().name("dioring-verify-" + j).start(() -> {
                try {
                    job(write, from, to);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
            running.add(done);
        }
        Exception first = null;
        for (CompletableFuture<Void> r : running) {
            try {
                r.get();
            } catch (ExecutionException e) {
                Exception cause = e.getCause() instanceof Exception c ? c : e;
                if (first == null || cause instanceof Mismatch m && !(first instanceof Mismatch f && f.offset < m.offset)) {
                    first = cause;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void job(boolean write, long from, long to) throws Exception {
        MemorySegment[] buffers = new MemorySegment[qd];
        @SuppressWarnings("unchecked")
        CompletableFuture<Long>[] inFlight = new CompletableFuture[qd];
        long[] offsets = new long[qd];
        for (int i = 0; i < qd; i++) {
            buffers[i] = engine.buffers().allocateFor(file, bs);
        }
        long next = from;
        int issued = 0;
        for (long done = from; done < to; ) {
            while (next < to && issued < qd) {
                int slot = (int) ((next - from) % qd);
                long offset = next * bs;
                offsets[slot] = offset;
                if (write) {
                    stamp(buffers[slot], offset);
                    inFlight[slot] = file.write(offset, buffers[slot]);
                } else {
                    inFlight[slot] = file.read(offset, buffers[slot]);
                }
                next++;
                issued++;
            }
            int slot = (int) ((done - from) % qd);
            long n;
            try {
                n = inFlight[slot].get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new TimeoutException((write ? "write" : "read") + " at offset " + offsets[slot]
                        + " did not complete in " + TIMEOUT_S + " s");
            }
            if (n != bs) {
                throw new Mismatch(offsets[slot], (write ? "wrote " : "read ") + n + " of " + bs + " bytes at offset "
                        + offsets[slot] + (write ? "" : " (the file is shorter than --size?)"));
            }
            if (!write) {
                check(buffers[slot], offsets[slot]);
            }
            done++;
            issued--;
        }
    }

    /** Fills {@code block} as the block at {@code offset} of this run. */
    void stamp(MemorySegment block, long offset) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ offset);
        for (long i = HEADER; i < bs; i += 8) {
            long v = rnd.nextLong();
            if (i + 8 <= bs) {
                block.set(LONG, i, v);
            } else {
                for (long k = i; k < bs; k++, v >>>= 8) {
                    block.set(ValueLayout.JAVA_BYTE, k, (byte) v);
                }
            }
        }
        block.set(LONG, 0, MAGIC);
        block.set(LONG, 8, offset);
        block.set(LONG, 16, seed);
        block.set(INT, 24, 0);
        block.set(INT, 28, bs);
        block.set(INT, 24, crc(block));
    }

    private int crc(MemorySegment block) {
        CRC32C crc = new CRC32C();
        crc.update(block.asByteBuffer());
        return (int) crc.getValue();
    }

    private void check(MemorySegment block, long offset) throws Mismatch {
        long magic = block.get(LONG, 0);
        long foundOffset = block.get(LONG, 8);
        long foundSeed = block.get(LONG, 16);
        int foundCrc = block.get(INT, 24);
        int foundLength = block.get(INT, 28);
        block.set(INT, 24, 0);
        int actualCrc = crc(block);
        block.set(INT, 24, foundCrc);
        if (magic == MAGIC && foundOffset == offset && foundSeed == seed && foundLength == bs && foundCrc == actualCrc) {
            return;
        }
        throw new Mismatch(offset, "verify failed at offset " + offset + ": expected header magic 0x"
                + Long.toHexString(MAGIC) + ", offset " + offset + ", seed " + seed + ", length " + bs
                + ", crc32c of the block as stored; found magic 0x" + Long.toHexString(magic) + ", offset "
                + foundOffset + ", seed " + foundSeed + ", length " + foundLength + ", crc32c 0x"
                + Integer.toHexString(foundCrc) + " (the block's crc32c is 0x" + Integer.toHexString(actualCrc) + ")");
    }
}
