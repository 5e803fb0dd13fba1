package io.dioring.soak;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.DirectIoException;
import io.dioring.OwnedRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The doors into the engine, one lane operation each: a write and a read overlapping it,
 * issued back to back (the read must see the write: ordering against in-flight writes),
 * the read checked against the model. Each method runs with the lane and the file's read
 * lock held by the caller, and reports through {@link Tally}.
 */
final class Doors {
    static final long TIMEOUT_S = 30;
    private static final int BLOCK = 4096;

    enum Door { FUTURES, CALLBACKS, VIRTUAL_BLOCKING, OWNED_RING, CHANNEL }

    private final Tally tally;

    Doors(Tally tally) {
        this.tally = tally;
    }

    /** A block-aligned write in the lane and an aligned read overlapping it. */
    record Plan(long writeAt, int writeLength, long readAt, int readLength) {
        static Plan aligned(SplittableRandom rnd, int lane) {
            int blocks = SoakFile.LANE / BLOCK;
            int a = rnd.nextInt(blocks);
            int b = 1 + rnd.nextInt(Math.min(4, blocks - a));
            int c = Math.max(0, a - 1 + rnd.nextInt(b + 1));
            int d = 1 + rnd.nextInt(Math.min(4, blocks - c));
            long base = (long) lane * SoakFile.LANE;
            return new Plan(base + (long) a * BLOCK, b * BLOCK, base + (long) c * BLOCK, d * BLOCK);
        }
    }

    /** Buffers of one worker: page-aligned, reused across operations. */
    static final class Buffers {
        final MemorySegment src;
        final MemorySegment dst;
        final byte[] data = new byte[4 * BLOCK];

        Buffers(Arena arena) {
            src = arena.allocate(4 * BLOCK, BLOCK);
            dst = arena.allocate(4 * BLOCK, BLOCK);
        }

        void fill(SplittableRandom rnd, int length) {
            for (int i = 0; i < length; i += 8) {
                long v = rnd.nextLong();
                for (int k = 0; k < 8 && i + k < length; k++) {
                    data[i + k] = (byte) (v >>> (8 * k));
                }
            }
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, length);
        }
    }

    /**
     * One operation; false when it needs the file to itself (a channel write that may reach the
     * end of the file): the caller then calls again holding the file's write lock.
     */
    boolean run(Door door, SoakFile f, int lane, SplittableRandom rnd, Buffers b, OwnedRing ring, boolean exclusive)
            throws Exception {
        if (door == Door.CHANNEL) {
            return channel(f, lane, rnd, exclusive);
        }
        Plan p = Plan.aligned(rnd, lane);
        if (f.fuse && p.writeAt() + p.writeLength() > SoakFile.POISON) {
            poisoned(f, p, b);
            return true;
        }
        b.fill(rnd, p.writeLength());
        MemorySegment src = b.src.asSlice(0, p.writeLength());
        MemorySegment dst = b.dst.asSlice(0, p.readLength());
        dst.fill((byte) 0x77);
        long low = Math.max(f.sizeLow.get(), p.writeAt() + p.writeLength());
        f.sizeHigh.accumulateAndGet(p.writeAt() + p.writeLength(), Math::max);
        // The model takes the write before the read is issued: the read must see it.
        System.arraycopy(b.data, 0, f.model, (int) p.writeAt(), p.writeLength());
        DirectFile file = f.file;
        long[] results;
        String op = door.name().toLowerCase();
        switch (door) {
            case FUTURES -> {
                CompletableFuture<Long> w = file.write(p.writeAt(), src);
                CompletableFuture<Long> r = file.read(p.readAt(), dst);
                results = new long[] {w.get(TIMEOUT_S, TimeUnit.SECONDS), r.get(TIMEOUT_S, TimeUnit.SECONDS)};
            }
            case CALLBACKS -> {
                CompletableFuture<long[]> both = new CompletableFuture<>();
                file.write(p.writeAt(), src, null, new CompletionHandler<Object>() {
                    @Override
                    public void completed(long written, Object a) {
                        // A read issued from the write's own callback.
                        file.read(p.readAt(), dst, null, new CompletionHandler<Object>() {
                            @Override
                            public void completed(long read, Object a2) {
                                both.complete(new long[] {written, read});
                            }

                            @Override
                            public void failed(Throwable e, Object a2) {
                                both.completeExceptionally(e);
                            }
                        });
                    }

                    @Override
                    public void failed(Throwable e, Object a) {
                        both.completeExceptionally(e);
                    }
                });
                results = both.get(TIMEOUT_S, TimeUnit.SECONDS);
            }
            case VIRTUAL_BLOCKING -> results = new long[] {file.writeFully(p.writeAt(), src),
                    file.readFully(p.readAt(), dst)};
            case OWNED_RING -> results = owned(ring, file, p, src, dst);
            default -> throw new AssertionError(door);
        }
        f.sizeLow.accumulateAndGet(p.writeAt() + p.writeLength(), Math::max);
        tally.ops(2);
        if (results[0] != p.writeLength()) {
            tally.lost(f.name + " offset " + p.writeAt() + " " + op + " write: wrote " + results[0] + " of "
                    + p.writeLength());
        }
        String wrong = f.check(op + " read after write", p.readAt(), p.readLength(), results[1], low,
                f.sizeHigh.get(), dst);
        if (wrong != null) {
            tally.corrupt(wrong);
        }
        return true;
    }

    private static long[] owned(OwnedRing ring, DirectFile file, Plan p, MemorySegment src, MemorySegment dst)
            throws TimeoutException {
        long[] results = {-1, -1};
        Throwable[] failure = new Throwable[1];
        CompletionHandler<Integer> handler = new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Integer which) {
                results[which] = bytes;
            }

            @Override
            public void failed(Throwable e, Integer which) {
                failure[0] = e;
                results[which] = -2;
            }
        };
        ring.write(file, p.writeAt(), src, 0, handler);
        ring.read(file, p.readAt(), dst, 1, handler);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (results[0] == -1 || results[1] == -1) {
            ring.await(1);
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("owned ring: write " + results[0] + ", read " + results[1]);
            }
        }
        if (failure[0] != null) {
            throw new IllegalStateException("owned ring request failed", failure[0]);
        }
        return results;
    }

    /** FUSE share: a write over the poisoned last block must fail with EIO and change nothing. */
    private void poisoned(SoakFile f, Plan p, Buffers b) throws Exception {
        b.fill(new SplittableRandom(p.writeAt()), p.writeLength());
        try {
            long n = f.file.write(p.writeAt(), b.src.asSlice(0, p.writeLength())).get(TIMEOUT_S, TimeUnit.SECONDS);
            tally.corrupt(f.name + " offset " + p.writeAt() + " write over the EIO range: succeeded with " + n
                    + " bytes, expected EIO");
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof DirectIoException d) || !d.getMessage().contains("EIO")) {
                tally.lost(f.name + " offset " + p.writeAt() + " write over the EIO range: failed with " + e.getCause()
                        + ", expected EIO");
            }
        }
        tally.ops(1);
        tally.expectedErrors.incrementAndGet();
    }

    /**
     * The channel view: heap buffers at unaligned offsets and lengths inside the lane
     * (bounced). A write whose last unit may reach the end of the file needs the file to
     * itself: the channel writes that unit whole and truncates back to the logical end, which
     * would cut off an extending write made meanwhile through another handle (the channel's
     * documented limit: its lock orders only its own writes).
     */
    private boolean channel(SoakFile f, int lane, SplittableRandom rnd, boolean exclusive) throws Exception {
        long base = (long) lane * SoakFile.LANE;
        int limit = f.fuse && lane == SoakFile.LANES - 1 ? SoakFile.LANE - BLOCK : SoakFile.LANE;
        int at = rnd.nextInt(limit - 1);
        int length = 1 + rnd.nextInt(Math.min(3 * BLOCK, limit - at));
        long unitEnd = (base + at + length + BLOCK - 1) & -BLOCK;
        if (!exclusive && unitEnd > (f.sizeLow.get() & -BLOCK)) {
            return false;
        }
        byte[] data = new byte[length];
        rnd.nextBytes(data);
        long low = Math.max(f.sizeLow.get(), base + at + length);
        f.sizeHigh.accumulateAndGet(base + at + length, Math::max);
        ByteBuffer src = ByteBuffer.wrap(data);
        while (src.hasRemaining()) {
            f.channel.write(src, base + at + src.position());
        }
        f.wrote(base + at, data, 0, length);
        int readAt = Math.max(0, at - rnd.nextInt(BLOCK));
        int readLength = Math.min(SoakFile.LANE - readAt, length + rnd.nextInt(BLOCK));
        ByteBuffer dst = ByteBuffer.allocate(readLength);
        int n = 0;
        while (dst.hasRemaining()) {
            int r = f.channel.read(dst, base + readAt + dst.position());
            if (r <= 0) {
                break;
            }
            n += r;
        }
        tally.ops(2);
        String wrong = f.check("channel read after write", base + readAt, readLength, n, low, f.sizeHigh.get(),
                MemorySegment.ofArray(dst.array()));
        if (wrong != null) {
            tally.corrupt(wrong);
        }
        return true;
    }
}
