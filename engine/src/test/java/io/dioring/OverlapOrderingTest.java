package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SynchronousQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 002: a request overlapping a write still in flight on the same file waits for it,
 * so a read issued after a write never returns the old bytes; a request overlapping
 * nothing is never held.
 */
class OverlapOrderingTest {
    private static final int BLOCK = 4096;
    private static final int ITERATIONS = 10_000;
    private static final int RANGES = 4;

    @TempDir
    Path dir;

    /** A write's range and the bytes it puts there, handed to the reading thread. */
    private record Written(long offset, byte[] bytes) {}

    @BackendTest
    void aReadIssuedRightAfterAWriteFromAnotherThreadNeverReturnsTheOldBytes(Backend backend) throws Exception {
        Path p = dir.resolve("ordered");
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            f.preallocate(0, (long) RANGES * BLOCK, false); // writes stay asynchronous: in flight when read
            SynchronousQueue<Written> handOff = new SynchronousQueue<>();
            SynchronousQueue<String> verdicts = new SynchronousQueue<>();
            Thread reader = Thread.ofPlatform().name("reader").start(() -> {
                MemorySegment dst = engine.buffers().allocate(BLOCK);
                try {
                    for (int i = 0; i < ITERATIONS; i++) {
                        Written w = Waits.take(handOff, "the next write from the test thread");
                        long n = Waits.get(f.read(w.offset(), dst), "the read after write " + i);
                        long mismatch = n != BLOCK ? 0 : dst.mismatch(MemorySegment.ofArray(w.bytes()));
                        Waits.put(verdicts, mismatch < 0 ? "" : "iteration " + i + ": read " + n + " bytes at "
                                + w.offset() + ", differing from what was just written at byte " + mismatch,
                                "the test thread's taking of verdict " + i);
                    }
                } catch (Throwable t) {
                    try {
                        Waits.put(verdicts, "reader failed: " + t, "the test thread's taking of the failure");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            long holdsBefore = f.orderingHolds();
            Random random = new Random(2);
            MemorySegment src = engine.buffers().allocate(BLOCK);
            for (int i = 0; i < ITERATIONS; i++) {
                byte[] fresh = new byte[BLOCK];
                random.nextBytes(fresh);
                stamp(fresh, i);
                MemorySegment.copy(fresh, 0, src, ValueLayout.JAVA_BYTE, 0, BLOCK);
                long offset = (long) random.nextInt(RANGES) * BLOCK;
                CompletableFuture<Long> write = f.write(offset, src);
                Waits.put(handOff, new Written(offset, fresh), "the reader's taking of write " + i);
                String verdict = Waits.take(verdicts, "the reader's verdict on iteration " + i);
                assertEquals("", verdict);
                assertEquals(BLOCK, Waits.get(write, "write " + i));
            }
            Waits.join(reader, "the reader");
            long holds = f.orderingHolds() - holdsBefore;
            System.out.printf("%d write-then-read pairs from two threads: never old bytes; %d reads held behind "
                    + "their write%n", ITERATIONS, holds);
            assertTrue(holds > 0, "some reads came while their write was in flight and were held");
            assertEquals(0, f.extendingWrites());
        }
    }

    @Test
    void aNonOverlappingReadIsNotHeldBySlowWriteButAnOverlappingOneIs() throws Exception {
        Kernel.assumeIoUring(); // stalls an io_uring ring thread
        int rings = 2;
        Path p = dir.resolve("slow-write");
        byte[] old = new byte[8 * BLOCK];
        Arrays.fill(old, (byte) 0x11);
        Files.write(p, old);
        EngineConfig config = EngineConfig.defaults().withRings(rings).withCompletionMode(CompletionMode.INLINE)
                .withSubmission(Submission.RING_THREADS); // RingStall stalls a ring thread
        try (IoEngine engine = IoEngine.create(config);
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            byte[] fresh = new byte[BLOCK];
            Arrays.fill(fresh, (byte) 0x22);
            MemorySegment src = engine.buffers().allocate(BLOCK);
            MemorySegment.copy(fresh, 0, src, ValueLayout.JAVA_BYTE, 0, BLOCK);
            MemorySegment far = engine.buffers().allocate(BLOCK);
            MemorySegment near = engine.buffers().allocate(BLOCK);
            try (RingStall stall = new RingStall(engine, rings, 0, dir)) {
                // A write to block 0 that cannot finish: its ring is stalled.
                CompletableFuture<Long> write = Waits.join(RingStall.onRing(rings, 0, () -> f.write(0, src)),
                        "the submission of the write on ring 0");
                long holds = f.orderingHolds();

                long n = Waits.join(RingStall.onRing(rings, 1,
                        () -> Waits.join(f.read(5L * BLOCK, far), "the read elsewhere")), "the read elsewhere, on ring 1");
                assertEquals(BLOCK, n, "a read elsewhere in the file completes while the write is in flight");
                assertEquals(holds, f.orderingHolds(), "and was not held");
                assertFalse(write.isDone(), "the write cannot have finished: its ring is stalled");
                assertArrayEquals(Arrays.copyOf(old, BLOCK), far.toArray(ValueLayout.JAVA_BYTE));

                CompletableFuture<Long> overlapping = Waits.join(RingStall.onRing(rings, 1, () -> f.read(0, near)),
                        "the submission of the overlapping read on ring 1");
                assertEquals(holds + 1, f.orderingHolds(), "a read of the written range is held at submission");
                assertFalse(overlapping.isDone());

                stall.release();
                assertEquals(BLOCK, Waits.get(write, "the write once its ring went on"));
                assertEquals(BLOCK, Waits.get(overlapping, "the held read"));
                assertArrayEquals(fresh, near.toArray(ValueLayout.JAVA_BYTE), "the held read sees the new bytes");
            }
        }
    }

    /** Puts the iteration number in the first bytes, so every write differs from the one before. */
    private static void stamp(byte[] bytes, int iteration) {
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) (iteration >>> (8 * i));
        }
    }
}
