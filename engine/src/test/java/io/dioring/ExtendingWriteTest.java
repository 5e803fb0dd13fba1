package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 000: a write ending beyond the file's size is carried out synchronously under the
 * file's size lock; writes inside the file stay asynchronous and never wait for it.
 */
class ExtendingWriteTest {
    private static final int BLOCK = 4096;
    private static final int THREADS = 8;
    private static final int BLOCKS = 512;

    @TempDir
    Path dir;

    @BackendTest
    void manyThreadsAppendingLeaveEveryBlockAndTheRightSizeThenPreallocatedWritesGoAsynchronous(Backend backend)
            throws Exception {
        Path p = dir.resolve("appended");
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.open(p, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            appendConcurrently(engine, f, 1);
            long extending = f.extendingWrites();
            long async = f.asyncWrites();
            System.out.printf("%d appends from %d threads: %d extending (serialized under the size lock), "
                    + "%d found inside the file by the time they were judged%n", BLOCKS, THREADS, extending, async);
            assertEquals(BLOCKS, extending + async, "every write is counted once, on one path");
            assertTrue(extending >= 1, "the write that ends last is always extending");
            assertEquals((long) BLOCKS * BLOCK, f.size(), "tracked size");
            assertEquals((long) BLOCKS * BLOCK, Files.size(p), "size on disk");
            assertEveryBlock(p, 1);

            // The same writes into space preallocated beforehand are not extending.
            f.truncate(0);
            assertEquals(0, f.size());
            f.preallocate(0, (long) BLOCKS * BLOCK, false);
            assertEquals((long) BLOCKS * BLOCK, f.size(), "preallocate grows the tracked size");
            appendConcurrently(engine, f, 2);
            System.out.printf("after preallocate: %d more asynchronous writes, extending still %d%n",
                    f.asyncWrites() - async, f.extendingWrites());
            assertEquals(extending, f.extendingWrites(), "no extending write after preallocate");
            assertEquals(async + BLOCKS, f.asyncWrites(), "every write went asynchronous");
            assertEveryBlock(p, 2);
        }
    }

    @Test
    void aWriteInsideTheFileDoesNotWaitForASlowExtendingWriteAndExtendingWritesAreSerialized()
            throws Exception {
        Kernel.assumeIoUring(); // stalls an io_uring ring thread
        int rings = 2;
        Path p = dir.resolve("slow-extend");
        Files.write(p, new byte[16 * BLOCK]);
        EngineConfig config = EngineConfig.defaults().withRings(rings).withCompletionMode(CompletionMode.INLINE)
                .withSubmission(Submission.RING_THREADS); // RingStall stalls a ring thread
        try (IoEngine engine = IoEngine.create(config);
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment slowBuf = stamped(engine, 16, 3);
            MemorySegment secondBuf = stamped(engine, 17, 3);
            MemorySegment insideBuf = stamped(engine, 3, 3);
            try (RingStall stall = new RingStall(engine, rings, 0, dir)) {
                // An extending write whose I/O cannot finish: ring 0 is stalled.
                CompletableFuture<Long> slow = new CompletableFuture<>();
                // From a virtual thread: its extending write goes through the (stalled) ring.
                Thread extender = RingStall.startVirtualOnRing(rings, 0, () -> complete(slow, () -> Waits.join(f.write(16L * BLOCK,
                        slowBuf), "the extending write on the stalled ring")));
                RingStall.awaitBlockedIn(extender, RingStall.frame(FileExtension.class, "extend"),
                        "the extending write");
                assertEquals(1, f.extendingWrites(), "the extending write holds the size lock");

                // A write inside the file, on the other ring, completes meanwhile.
                long inside = Waits.join(RingStall.onRing(rings, 1,
                        () -> Waits.join(f.write(3L * BLOCK, insideBuf), "the write inside the file")),
                        "the write inside the file, on ring 1");
                assertEquals(BLOCK, inside);
                assertFalse(slow.isDone(), "the extending write cannot have finished: its ring is stalled");
                assertEquals(16L * BLOCK, f.size(), "the size moves only when the extending write is done");

                // A second extending write waits for the first, even on the free ring.
                CompletableFuture<Long> second = new CompletableFuture<>();
                Thread follower = RingStall.startVirtualOnRing(rings, 1, () -> complete(second, () -> Waits.join(f.write(17L * BLOCK,
                        secondBuf), "the second extending write")));
                RingStall.awaitBlockedIn(follower, RingStall.frame(FileExtension.class, "extend"),
                        "the second extending write");
                assertEquals(1, f.extendingWrites(), "the second extending write is waiting for the size lock");
                assertFalse(second.isDone());

                stall.release();
                assertEquals(BLOCK, Waits.get(slow, "the first extending write"));
                assertEquals(BLOCK, Waits.get(second, "the second extending write"));
                Waits.join(extender, "the first extending writer");
                Waits.join(follower, "the second extending writer");
            }
            assertEquals(2, f.extendingWrites());
            assertEquals(1, f.asyncWrites());
            assertEquals(18L * BLOCK, f.size());
        }
        ByteBuffer disk = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder());
        assertEquals(18 * BLOCK, disk.capacity());
        for (int block : new int[] {3, 16, 17}) {
            assertEquals(stamp(block, 3), disk.getLong(block * BLOCK), "block " + block);
        }
    }

    /**
     * On io_uring, an extending write from a platform thread is made with pwrite on that
     * thread (no SQE; the ring would only punt it to io-wq), durable ones with pwritev2 and
     * their flag; from a virtual thread it goes through the ring, so the carrier is not pinned;
     * writes inside the file go through the ring from any thread. Same bytes and size either way.
     */
    @Test
    void extendingWritesAreMadeOnAPlatformCallerAndThroughTheRingFromAVirtualThread() throws Exception {
        Kernel.assumeIoUring();
        Path p = dir.resolve("caller-writes");
        try (IoEngine engine = IoEngine.create();
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            long sqes = engine.slicesIssued();
            assertEquals(BLOCK, f.writeFully(0, stamped(engine, 0, 5)));
            assertEquals(BLOCK, f.write(BLOCK, stamped(engine, 1, 5)).get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(BLOCK, f.writeDurably(2L * BLOCK, stamped(engine, 2, 5), false)
                    .get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(sqes, engine.slicesIssued(), "three extending writes from this platform thread: no SQE");
            assertEquals(3, f.extendingWrites());
            assertEquals(3L * BLOCK, f.size());

            AtomicLong fromVirtual = new AtomicLong();
            Thread v = Thread.ofVirtual().start(() -> {
                try {
                    fromVirtual.set(f.writeFully(3L * BLOCK, stamped(engine, 3, 5)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(v.join(java.time.Duration.ofSeconds(10)), "the virtual thread's write finished");
            assertEquals(BLOCK, fromVirtual.get());
            assertEquals(sqes + 1, engine.slicesIssued(), "the virtual thread's extending write took the ring");

            assertEquals(BLOCK, f.writeFully(BLOCK, stamped(engine, 1, 6)), "inside the file");
            assertEquals(sqes + 2, engine.slicesIssued(), "a write inside the file takes the ring");
            assertEquals(4, f.extendingWrites());
            assertEquals(4L * BLOCK, f.size());
        }
        ByteBuffer disk = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder());
        assertEquals(4 * BLOCK, disk.capacity());
        for (int block = 0; block < 4; block++) {
            assertEquals(stamp(block, block == 1 ? 6 : 5), disk.getLong(block * BLOCK), "block " + block);
            assertEquals(stamp(block, block == 1 ? 6 : 5), disk.getLong(block * BLOCK + BLOCK - 8), "block " + block);
        }
    }

    @BackendTest
    void aFileGrownBySomeoneElseIsReReadAndTruncateMakesWritesExtendingAgain(Backend backend) throws Exception {
        Path p = dir.resolve("grown");
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.open(p, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            assertEquals(0, f.size());
            try (RandomAccessFile other = new RandomAccessFile(p.toFile(), "rw")) {
                other.setLength(16L * BLOCK); // grown behind the engine's back
            }
            MemorySegment buf = stamped(engine, 8, 1);
            assertEquals(BLOCK, Waits.get(f.write(8L * BLOCK, buf), "the write into the grown file"));
            assertEquals(0, f.extendingWrites(), "the size was re-read: the write is inside the file");
            assertEquals(1, f.asyncWrites());
            assertEquals(16L * BLOCK, f.size());

            f.truncate(4L * BLOCK);
            assertEquals(4L * BLOCK, f.size());
            assertEquals(BLOCK, Waits.get(f.write(8L * BLOCK, buf), "the write past the truncated end"));
            assertEquals(1, f.extendingWrites(), "beyond the truncated size: extending again");
            assertEquals(9L * BLOCK, f.size());
            assertEquals(9L * BLOCK, Files.size(p));
        }
    }

    /** {@value #THREADS} threads take the next block from a shared counter and write it. */
    private static void appendConcurrently(IoEngine engine, DirectFile f, int round) throws Exception {
        AtomicLong next = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            MemorySegment buf = engine.buffers().allocate(BLOCK);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (long block = next.getAndIncrement(); block < BLOCKS; block = next.getAndIncrement()) {
                        fill(buf, block, round);
                        assertEquals(BLOCK, Waits.get(f.write(block * BLOCK, buf), "the write of block " + block));
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            Waits.join(t, "an appending writer");
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("an appending thread failed", failures.get(0));
        }
    }

    private static void assertEveryBlock(Path p, int round) throws Exception {
        ByteBuffer disk = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder());
        assertEquals(BLOCKS * BLOCK, disk.capacity());
        for (int block = 0; block < BLOCKS; block++) {
            for (int i = 0; i < BLOCK; i += 8) {
                if (disk.getLong(block * BLOCK + i) != stamp(block, round)) {
                    throw new AssertionError("block " + block + " of round " + round + " is missing or torn at byte "
                            + i);
                }
            }
        }
    }

    private static MemorySegment stamped(IoEngine engine, long block, int round) {
        MemorySegment buf = engine.buffers().allocate(BLOCK);
        fill(buf, block, round);
        return buf;
    }

    private static void fill(MemorySegment buf, long block, int round) {
        for (int i = 0; i < BLOCK; i += 8) {
            buf.set(ValueLayout.JAVA_LONG, i, stamp(block, round));
        }
    }

    private static long stamp(long block, int round) {
        return (long) round << 48 | block;
    }

    private static <T> void complete(CompletableFuture<T> f, java.util.concurrent.Callable<T> body) {
        try {
            f.complete(body.call());
        } catch (Throwable t) {
            f.completeExceptionally(t);
        }
    }
}
