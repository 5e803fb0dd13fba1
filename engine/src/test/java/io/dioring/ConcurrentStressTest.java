package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many submitters on one file: each thread writes its own distinct 4 KiB blocks at random,
 * then reads them back; every block carries its block number, a version and a CRC32 of
 * its payload, so a lost, torn or misplaced write shows. Also back-pressure: a tiny
 * submit queue and ring with a thousand requests at once.
 */
class ConcurrentStressTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    IoEngine engine;
    Backend backend;

    @BeforeEach
    void setUp(Backend backend) {
        this.backend = backend;
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Fills a block: [block number][version][crc of the rest][payload from a seeded random]. */
    private static void fill(MemorySegment buf, long block, int version) {
        Random r = new Random(block * 1_000_003L + version);
        for (int i = 16; i < BLOCK; i += 8) {
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, block);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, 8, version);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, 12, crc(buf));
    }

    private static int crc(MemorySegment buf) {
        CRC32 c = new CRC32();
        c.update(buf.asSlice(16, BLOCK - 16).asByteBuffer());
        return (int) c.getValue();
    }

    /** Null when the block holds version {@code version} of itself, intact; else what is wrong. */
    private static String verify(MemorySegment buf, long block, int version) {
        long b = buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        int v = buf.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
        int c = buf.get(ValueLayout.JAVA_INT_UNALIGNED, 12);
        if (b != block || v != version) {
            return "block " + block + " holds block " + b + " version " + v + ", expected version " + version;
        }
        if (c != crc(buf)) {
            return "block " + block + " version " + v + " is torn (checksum mismatch)";
        }
        return null;
    }

    private DirectFile openSized(String name, long blocks) throws IOException {
        DirectFile f = engine.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        f.truncate(blocks * BLOCK);
        return f;
    }

    /**
     * Each worker owns blocks {@code w, w + workers, ...}; it writes each of them (in random
     * order, several versions of some), then reads them all and checks the last version.
     */
    private long runWorkers(DirectFile f, int workers, int blocksPerWorker, boolean virtual, int inFlightPerWorker)
            throws Exception {
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong ops = new AtomicLong();
        CountDownLatch done = new CountDownLatch(workers);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Runnable body = () -> {
                try {
                    Random rnd = new Random(worker);
                    int[] version = new int[blocksPerWorker];
                    MemorySegment[] bufs = new MemorySegment[inFlightPerWorker];
                    for (int i = 0; i < bufs.length; i++) {
                        bufs[i] = engine.buffers().allocateFor(f, BLOCK);
                    }
                    // Writes: a random order over the worker's blocks, some twice.
                    int writes = blocksPerWorker + blocksPerWorker / 2;
                    List<CompletableFuture<Long>> batch = new ArrayList<>();
                    for (int i = 0; i < writes; i++) {
                        int k = i < blocksPerWorker ? i : rnd.nextInt(blocksPerWorker);
                        long block = (long) k * workers + worker;
                        MemorySegment buf = bufs[batch.size()];
                        fill(buf, block, ++version[k]);
                        batch.add(f.write(block * BLOCK, buf));
                        if (batch.size() == bufs.length || i == writes - 1) {
                            for (CompletableFuture<Long> c : batch) {
                                if (Waits.get(c, "a write of worker " + worker) != BLOCK) {
                                    problems.add("short write");
                                }
                            }
                            ops.addAndGet(batch.size());
                            batch.clear();
                        }
                    }
                    // Reads: every block, blocking, checked against its last version.
                    for (int k = 0; k < blocksPerWorker; k++) {
                        long block = (long) k * workers + worker;
                        MemorySegment buf = bufs[0];
                        buf.fill((byte) 0);
                        long n = f.readFully(block * BLOCK, buf);
                        ops.incrementAndGet();
                        String bad = n != BLOCK ? "block " + block + ": read " + n + " bytes" : verify(buf, block,
                                version[k]);
                        if (bad != null) {
                            problems.add(bad);
                        }
                    }
                } catch (Throwable t) {
                    problems.add("worker " + worker + ": " + t);
                } finally {
                    done.countDown();
                }
            };
            threads.add(virtual ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body));
        }
        threads.forEach(Thread::start);
        Waits.await(done, "the workers");
        for (Thread t : threads) {
            Waits.join(t, "a worker");
        }
        assertTrue(problems.isEmpty(), problems.size() + " problems, first: " + problems.peek());
        return ops.get();
    }

    @BackendTest
    void sixteenPlatformThreadsWriteAndReadDistinctBlocksWithoutLossOrTearing() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend).withRings(2));
        int workers = 16;
        int perWorker = 128;
        try (DirectFile f = openSized("platform", (long) workers * perWorker)) {
            long start = System.nanoTime();
            long ops = runWorkers(f, workers, perWorker, false, 8);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            System.out.println("stress, 16 platform threads: " + ops + " ops (4 KiB) in " + elapsedMs
                    + " ms, " + engine.slicesIssued() + " SQEs");
            assertEquals((long) workers * (perWorker + perWorker / 2 + perWorker), ops);
            verifyWholeFile(f, workers, perWorker);
        }
    }

    @BackendTest
    void thousandVirtualThreadsWriteAndReadDistinctBlocksWithoutLossOrTearing() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend).withRings(2));
        int workers = 1000;
        int perWorker = 4;
        try (DirectFile f = openSized("virtual", (long) workers * perWorker)) {
            long start = System.nanoTime();
            long ops = runWorkers(f, workers, perWorker, true, 2);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            System.out.println("stress, 1000 virtual threads: " + ops + " ops (4 KiB) in " + elapsedMs
                    + " ms, " + engine.slicesIssued() + " SQEs");
            assertEquals((long) workers * (perWorker + perWorker / 2 + perWorker), ops);
        }
    }

    /** Reads the whole file in one split request and checks each block against its header. */
    private void verifyWholeFile(DirectFile f, int workers, int perWorker) throws Exception {
        long blocks = (long) workers * perWorker;
        MemorySegment all = engine.buffers().allocateFor(f, blocks * BLOCK);
        assertEquals(blocks * BLOCK, Waits.get(f.read(0, all), "the read of the whole file"));
        for (long b = 0; b < blocks; b++) {
            MemorySegment block = all.asSlice(b * BLOCK, BLOCK);
            int version = block.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
            assertEquals(null, verify(block, b, version), "block " + b);
            assertTrue(version >= 1, "block " + b + " was written");
        }
    }

    @BackendTest
    void backPressureWithTinyQueuesCompletesEveryOneOfAThousandRequests() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend).withSubmitQueueCapacity(2).withQueueDepth(4));
        int requests = 1000;
        try (DirectFile f = openSized("pressure", requests)) {
            MemorySegment src = engine.buffers().allocateFor(f, (long) requests * BLOCK);
            for (int b = 0; b < requests; b++) {
                fill(src.asSlice((long) b * BLOCK, BLOCK), b, 1);
            }
            // 1000 requests in flight from 50 threads at once; submitters block on the full inbox.
            ConcurrentLinkedQueue<CompletableFuture<Long>> all = new ConcurrentLinkedQueue<>();
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 50; t++) {
                int first = t * (requests / 50);
                submitters.add(Thread.ofVirtual().start(() -> {
                    for (int b = first; b < first + requests / 50; b++) {
                        all.add(f.write((long) b * BLOCK, src.asSlice((long) b * BLOCK, BLOCK)));
                    }
                }));
            }
            for (Thread t : submitters) {
                Waits.join(t, "a submitter");
            }
            assertEquals(requests, all.size(), "every submission accepted");
            long bytes = 0;
            for (CompletableFuture<Long> c : all) {
                bytes += Waits.get(c, "a write under back-pressure");
            }
            assertEquals((long) requests * BLOCK, bytes);
            MemorySegment dst = engine.buffers().allocateFor(f, BLOCK);
            List<CompletableFuture<Long>> reads = new ArrayList<>();
            MemorySegment back = engine.buffers().allocateFor(f, (long) requests * BLOCK);
            for (int b = 0; b < requests; b++) {
                reads.add(f.read((long) b * BLOCK, back.asSlice((long) b * BLOCK, BLOCK)));
            }
            for (CompletableFuture<Long> c : reads) {
                assertEquals(BLOCK, Waits.get(c, "a read back under back-pressure"));
            }
            for (int b = 0; b < requests; b++) {
                assertEquals(null, verify(back.asSlice((long) b * BLOCK, BLOCK), b, 1));
            }
            assertEquals(BLOCK, f.readFully(0, dst));
        }
        assertEquals((long) requests * BLOCK, Files.size(dir.resolve("pressure")));
    }
}
