package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.testing.Waits;
import io.dioring.ffi.Errno;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each ring feature the engine asks for either takes effect, observed through a counter or
 * the set-up the kernel returned, or is reported as refused with the kernel's answer; which
 * one happened is printed.
 */
class RingFeaturesTest {
    private static final int FILE_BYTES = 256 * 1024;
    /** A bound against hangs in spin loops, not a performance assertion. */
    private static final long HANG_GUARD_NANOS = 20_000_000_000L;

    @TempDir
    Path dir;
    IoEngine engine;
    Path path;
    byte[] content;

    @BeforeEach
    void setUp() throws IOException {
        Kernel.assumeIoUring();
        engine = IoEngine.create(EngineConfig.defaults().withMaxIoBytes(4096));
        path = dir.resolve("data");
        content = new byte[FILE_BYTES];
        new Random(7).nextBytes(content);
        Files.write(path, content);
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Completion handler that remembers the last outcome. */
    static final class Outcome implements CompletionHandler<Object> {
        long bytes = -1;
        Throwable failure;
        int completions;

        @Override
        public void completed(long result, Object attachment) {
            bytes = result;
            completions++;
        }

        @Override
        public void failed(Throwable t, Object attachment) {
            failure = t;
            completions++;
        }
    }

    private static void fill(MemorySegment s, int seed) {
        byte[] b = new byte[(int) s.byteSize()];
        new Random(seed).nextBytes(b);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
    }

    private byte[] contentAt(long offset, int length) {
        byte[] b = new byte[length];
        System.arraycopy(content, (int) offset, b, 0, length);
        return b;
    }

    @Test
    void registeredBuffersGoOutAsReadFixedAndWriteFixed() throws Exception {
        try (DirectFile f = engine.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                OwnedRing ring = engine.ownedRing(16)) {
            MemorySegment registered = engine.buffers().allocateFor(f, 64 * 1024);
            ring.registerBuffers(registered);

            // A 16 KiB write from a slice of the registered buffer: 4 slices of 4 KiB
            // (maxIoBytes 4096), each inside the buffer, each WRITE_FIXED.
            MemorySegment src = registered.asSlice(8192, 16384);
            fill(src, 11);
            Outcome w = new Outcome();
            ring.write(f, 32768, src, null, w);
            ring.drain();
            assertEquals(16384, w.bytes, () -> "write failed: " + w.failure);
            assertEquals(4, ring.fixedIssued(), "each of the 4 write slices was a WRITE_FIXED");

            // Read it back into another part of the registered buffer: READ_FIXED.
            MemorySegment dst = registered.asSlice(32768, 16384);
            Outcome r = new Outcome();
            ring.read(f, 32768, dst, null, r);
            ring.drain();
            assertEquals(16384, r.bytes, () -> "read failed: " + r.failure);
            assertEquals(8, ring.fixedIssued(), "each of the 4 read slices was a READ_FIXED");
            assertArrayEquals(src.toArray(ValueLayout.JAVA_BYTE), dst.toArray(ValueLayout.JAVA_BYTE));

            // Memory outside the registered buffer goes out as a plain READ.
            MemorySegment plain = engine.buffers().allocateFor(f, 4096);
            Outcome p = new Outcome();
            ring.read(f, 0, plain, null, p);
            ring.drain();
            assertEquals(4096, p.bytes);
            assertEquals(8, ring.fixedIssued(), "an unregistered buffer is not issued fixed");
            assertArrayEquals(contentAt(0, 4096), plain.toArray(ValueLayout.JAVA_BYTE));

            // Same addresses, another memory scope: not trusted to be the registered pages.
            MemorySegment alias = MemorySegment.ofAddress(registered.address()).reinterpret(4096);
            Outcome a = new Outcome();
            ring.read(f, 4096, alias, null, a);
            ring.drain();
            assertEquals(4096, a.bytes);
            assertEquals(8, ring.fixedIssued(), "a segment of another scope is not issued fixed");

            ring.unregisterBuffers();
            Outcome after = new Outcome();
            ring.read(f, 0, dst.asSlice(0, 4096), null, after);
            ring.drain();
            assertEquals(4096, after.bytes);
            assertEquals(8, ring.fixedIssued(), "after unregisterBuffers the read is plain");
            System.out.println("registered buffers: " + ring.fixedIssued() + " READ_FIXED/WRITE_FIXED SQEs of "
                    + ring.slicesIssued());
        }
        byte[] disk = Files.readAllBytes(path);
        byte[] written = new byte[16384];
        System.arraycopy(disk, 32768, written, 0, written.length);
        MemorySegment expected = Arena.ofAuto().allocate(16384);
        fill(expected, 11);
        assertArrayEquals(expected.toArray(ValueLayout.JAVA_BYTE), written, "the fixed write reached the disk");
    }

    /**
     * Eight reads complete together; each handler queues a follow-up read. Inside every
     * handler we look at how many SQEs the ring has submitted: with submitBatch 1 every
     * earlier handler's follow-up is out already; with 4 they go out four at a time; with 0
     * none goes out until all eight handlers ran. Every read still returns the file's bytes.
     */
    @Test
    void submitBatchDecidesWhenHandlersRequestsGoOut() throws Exception {
        assertEquals(OwnedRing.DEFAULT_SUBMIT_BATCH, 1);
        assertEquals(List.of(8, 8, 8, 8, 8, 8, 8, 8), sqesOutBesidesFollowUps(1),
                "with 1, each follow-up is submitted before the next handler runs");
        assertEquals(List.of(8, 7, 6, 5, 8, 7, 6, 5), sqesOutBesidesFollowUps(4),
                "with 4, the follow-ups go out four at a time");
        assertEquals(List.of(8, 7, 6, 5, 4, 3, 2, 1), sqesOutBesidesFollowUps(0),
                "with 0, the follow-ups wait for the end of the reap");
        try (OwnedRing ring = engine.ownedRing(16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ring.submitBatch(-1));
            assertEquals("submitBatch = -1: must be 0 (submit after each reap) or positive (submit once that many "
                    + "requests are queued)", e.getMessage());
        }
    }

    /**
     * The thread-safe API with DEFERRED callbacks: handlers run on executor threads and their
     * follow-up reads reach the ring thread through its inbox. The ring thread drains the
     * inbox between the CQEs of one reap and submits at once, so every handler finds each
     * earlier handler's follow-up issued already. The executor here runs each handler on a
     * helper thread and returns when it is done (so a {@link RingStall} holds the ring thread
     * while the eight are queued); the first handler of the eight also
     * sleeps, so the other seven complete meanwhile and come back in one reap.
     */
    @Test
    void deferredCallbacksRequestsGoOutBeforeTheReapEnds() throws Exception {
        ExecutorService helper = Executors.newSingleThreadExecutor();
        Executor handOff = task -> {
            try {
                Waits.get(helper.submit(task), "the deferred callback on the helper thread");
            } catch (InterruptedException | ExecutionException e) {
                throw new IllegalStateException(e);
            }
        };
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger bad = new AtomicInteger();
        CountDownLatch followUpsDone = new CountDownLatch(8);
        try (IoEngine deferred = IoEngine.create(EngineConfig.defaults().withRings(1) // the stall holds the one ring
                .withSubmission(Submission.RING_THREADS) // ... thread
                .withCompletionMode(CompletionMode.DEFERRED)
                .withCompletionExecutor(handOff));
                DirectFile f = deferred.open(path, StandardOpenOption.READ)) {
            long base = deferred.slicesIssued();
            AtomicInteger queued = new AtomicInteger();
            CompletionHandler<MemorySegment> followUp = new CompletionHandler<>() {
                @Override
                public void completed(long result, MemorySegment b) {
                    if (result != 4096 || !Arrays.equals(b.toArray(ValueLayout.JAVA_BYTE), contentAt(8192, 4096))) {
                        bad.incrementAndGet();
                    }
                    followUpsDone.countDown();
                }

                @Override
                public void failed(Throwable t, MemorySegment b) {
                    bad.incrementAndGet();
                    followUpsDone.countDown();
                }
            };
            CompletionHandler<MemorySegment> first = new CompletionHandler<>() {
                @Override
                public void completed(long result, MemorySegment b) {
                    // SQEs written besides the stall's read and the follow-ups queued so far.
                    seen.add((int) (deferred.slicesIssued() - base - 1 - queued.get()));
                    if (seen.size() == 1) {
                        sleep(200);
                    }
                    queued.incrementAndGet();
                    f.read(8192, b, b, followUp);
                }

                @Override
                public void failed(Throwable t, MemorySegment b) {
                    bad.incrementAndGet();
                }
            };
            // Hold the ring thread while the eight are queued, so they go out together.
            try (RingStall stall = new RingStall(deferred, 1, 0, dir)) {
                for (int i = 0; i < 8; i++) {
                    MemorySegment b = deferred.buffers().allocateFor(f, 4096);
                    f.read(0, b, b, first);
                }
            }
            assertTrue(followUpsDone.await(20, TimeUnit.SECONDS), "the follow-up reads completed");
        } finally {
            helper.shutdown();
        }
        assertEquals(0, bad.get(), "every read returned the file's bytes");
        assertEquals(List.of(8, 8, 8, 8, 8, 8, 8, 8), seen,
                "each handler found the follow-ups of the handlers before it issued");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For each of the 8 handlers: SQEs submitted when it ran, minus the follow-ups queued before it. */
    private List<Integer> sqesOutBesidesFollowUps(int batch) throws Exception {
        List<Integer> seen = new ArrayList<>();
        try (DirectFile f = engine.open(path, StandardOpenOption.READ); OwnedRing ring = engine.ownedRing(16)) {
            ring.submitBatch(batch);
            assertEquals(batch, ring.submitBatch());
            long base = ring.ring().sqesSubmitted();
            int[] queued = {0};
            int[] bad = {0};
            CompletionHandler<MemorySegment> followUp = new CompletionHandler<>() {
                @Override
                public void completed(long result, MemorySegment b) {
                    if (result != 4096) {
                        bad[0]++;
                    }
                }

                @Override
                public void failed(Throwable t, MemorySegment b) {
                    bad[0]++;
                }
            };
            CompletionHandler<MemorySegment> first = new CompletionHandler<>() {
                @Override
                public void completed(long result, MemorySegment b) {
                    seen.add((int) (ring.ring().sqesSubmitted() - base - queued[0]));
                    if (result != 4096 || !Arrays.equals(b.toArray(ValueLayout.JAVA_BYTE),
                            contentAt(0, 4096))) {
                        bad[0]++;
                    }
                    queued[0]++;
                    ring.read(f, 8192, b, b, followUp);
                }

                @Override
                public void failed(Throwable t, MemorySegment b) {
                    bad[0]++;
                }
            };
            for (int i = 0; i < 8; i++) {
                MemorySegment b = engine.buffers().allocateFor(f, 4096);
                ring.read(f, 0, b, b, first);
            }
            ring.poll(); // submits the eight, reaps what is there (with DEFER_TASKRUN: nothing yet)
            Thread.sleep(200); // all eight complete; the next reap finds them together
            ring.drain();
            assertEquals(0, bad[0], "every read returned the file's bytes");
        }
        return seen;
    }

    @Test
    void registrationErrorsAreClear() throws Exception {
        try (OwnedRing ring = engine.ownedRing(8)) {
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> ring.registerBuffers(MemorySegment.ofArray(new byte[4096])));
            assertTrue(heap.getMessage().contains("Java heap"), heap.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ring.registerBuffers());

            // Unmapped memory cannot be pinned: the kernel's EFAULT comes back as a RingSetupException.
            MemorySegment unmapped = MemorySegment.ofAddress(4096).reinterpret(4096);
            RingSetupException e = assertThrows(RingSetupException.class, () -> ring.registerBuffers(unmapped));
            assertEquals(Errno.EFAULT, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("IORING_REGISTER_BUFFERS") && e.getMessage().contains("pinned"),
                    e.getMessage());
            System.out.println("registration of unmapped memory: " + e.getMessage());

            MemorySegment b = engine.buffers().allocate(4096);
            ring.registerBuffers(b);
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> ring.registerBuffers(b));
            assertTrue(twice.getMessage().contains("unregisterBuffers"), twice.getMessage());
            ring.unregisterBuffers();
            ring.registerBuffers(b); // allowed again once unregistered
            assertTrue(ring.ring().buffersRegistered());
        }
    }

    @Test
    void registeredFileGoesOutWithFixedFileFlag() throws Exception {
        try (DirectFile f = engine.open(path, StandardOpenOption.READ);
                OwnedRing ring = engine.ownedRing(16)) {
            int index = ring.registerFile(f);
            assertEquals(0, index);
            assertEquals(index, ring.registerFile(f), "registering twice gives the same index");
            MemorySegment dst = engine.buffers().allocateFor(f, 8192);
            Outcome r = new Outcome();
            ring.read(f, 8192, dst, null, r);
            ring.drain();
            assertEquals(8192, r.bytes, () -> "read failed: " + r.failure);
            assertArrayEquals(contentAt(8192, 8192), dst.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(2, ring.fixedFileIssued(), "both 4 KiB slices used the registered file index");

            ring.unregisterFile(f);
            Outcome again = new Outcome();
            ring.read(f, 0, dst.asSlice(0, 4096), null, again);
            ring.drain();
            assertEquals(4096, again.bytes);
            assertEquals(2, ring.fixedFileIssued(), "after unregisterFile the fd is used");
            System.out.println("registered file: index " + index + ", " + ring.fixedFileIssued()
                    + " SQEs with IOSQE_FIXED_FILE");
        }
    }

    @Test
    void ringFdIsRegistered() throws Exception {
        assumeKernelAtLeast(5, 18, "IORING_REGISTER_RING_FDS");
        try (OwnedRing ring = engine.ownedRing(8)) {
            assertTrue(ring.ring().ringFdRegistered(), "owned ring enters through its registered fd");
        }
        System.out.println("registered ring fd: taken");
    }

    @Test
    void singleIssuerAndDeferTaskrunAreTaken() throws Exception {
        assumeKernelAtLeast(6, 1, "IORING_SETUP_DEFER_TASKRUN");
        try (IoEngine threads = IoEngine.create(EngineConfig.defaults().withSubmission(Submission.RING_THREADS))) {
            RingSetup threadRing = threads.ringSetup();
            assertTrue(threadRing.singleIssuer() && threadRing.deferTaskrun(),
                    () -> "ring thread set-up: " + RingSetup.flagNames(threadRing.flags()) + ", refused: "
                            + threadRing.refusals());
        }
        // Rings their callers enter have many submitters, so neither; nor COOP_TASKRUN (a
        // completion's task work must reach a submitter parked in the scheduler).
        RingSetup shared = engine.ringSetup();
        assertFalse(shared.singleIssuer() || shared.deferTaskrun() || (shared.flags() & RingSetup.COOP_TASKRUN) != 0,
                () -> "caller-driven ring set-up: " + RingSetup.flagNames(shared.flags()));
        try (OwnedRing ring = engine.ownedRing(8)) {
            RingSetup owned = ring.ring().setup();
            assertTrue(owned.singleIssuer() && owned.deferTaskrun(),
                    () -> "owned ring set-up: " + RingSetup.flagNames(owned.flags()) + ", refused: "
                            + owned.refusals());
        }
        System.out.println("SINGLE_ISSUER + DEFER_TASKRUN: taken on ring threads and owned rings; caller-driven rings: "
                + RingSetup.flagNames(shared.flags()));
    }

    @Test
    void sqpollTakesEffectOrIsReported() throws Exception {
        try (DirectFile f = engine.open(path, StandardOpenOption.READ);
                OwnedRing ring = engine.ownedRing(64, RingOptions.defaults().withSqpoll(true))) {
            RingSetup setup = ring.ring().setup();
            boolean dropped = setup.wasDropped(RingSetup.sqpollFlag());
            assertTrue(setup.sqpoll() != dropped, "SQPOLL is either taken or recorded as dropped");
            if (dropped) {
                assertTrue(setup.refusals().contains("SQPOLL"), setup.refusals());
                System.out.println("SQPOLL: dropped: " + setup.refusals());
                return;
            }
            int reads = 64;
            MemorySegment[] buffers = new MemorySegment[reads];
            Outcome[] outcomes = new Outcome[reads];
            long entersBefore = ring.ring().enterCalls();
            for (int i = 0; i < reads; i++) {
                buffers[i] = engine.buffers().allocateFor(f, 4096);
                outcomes[i] = new Outcome();
                ring.read(f, 4096L * i, buffers[i], null, outcomes[i]);
            }
            long deadline = System.nanoTime() + HANG_GUARD_NANOS;
            while (ring.busy()) {
                ring.poll(); // publishes the SQ tail; enters the kernel only to wake the SQ thread
                Thread.onSpinWait();
                if (System.nanoTime() - deadline > 0) {
                    fail("SQPOLL reads did not complete (hang guard)");
                }
            }
            for (int i = 0; i < reads; i++) {
                assertEquals(4096, outcomes[i].bytes, "read " + i + ": " + outcomes[i].failure);
                assertArrayEquals(contentAt(4096L * i, 4096), buffers[i].toArray(ValueLayout.JAVA_BYTE));
            }
            long enters = ring.ring().enterCalls() - entersBefore;
            assertEquals(ring.ring().sqWakeups(), enters,
                    "with SQPOLL and poll(), io_uring_enter is called only to wake the SQ thread");
            assertTrue(enters < reads, "fewer io_uring_enter calls (" + enters + ") than reads (" + reads + ")");
            System.out.println("SQPOLL: taken; " + reads + " reads with " + enters + " io_uring_enter calls ("
                    + ring.ring().sqWakeups() + " SQ thread wake-ups)");
        }
    }

    @Test
    void sqpollOnTheEngineRingThread() throws Exception {
        try (IoEngine sq = IoEngine.create(EngineConfig.defaults()
                .withRingOptions(RingOptions.defaults().withSqpoll(true)));
                DirectFile f = sq.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            RingSetup setup = sq.ringSetup();
            assertTrue(setup.sqpoll() != setup.wasDropped(RingSetup.sqpollFlag()));
            MemorySegment src = sq.buffers().allocateFor(f, 8192);
            fill(src, 3);
            assertEquals(8192, f.writeFully(65536, src));
            MemorySegment dst = sq.buffers().allocateFor(f, 8192);
            assertEquals(8192, Waits.get(f.read(65536, dst), "the read with SQPOLL"));
            assertArrayEquals(src.toArray(ValueLayout.JAVA_BYTE), dst.toArray(ValueLayout.JAVA_BYTE));
            System.out.println("SQPOLL on the ring thread: " + (setup.sqpoll() ? "taken" : "dropped: "
                    + setup.refusals()) + "; round trip ok");
        }
    }

    @Test
    void iopollTakesEffectOrIsReported() throws Exception {
        try (DirectFile f = engine.open(path, StandardOpenOption.READ);
                OwnedRing ring = engine.ownedRing(8, RingOptions.defaults().withIopoll(true))) {
            RingSetup setup = ring.ring().setup();
            boolean dropped = setup.wasDropped(RingSetup.iopollFlag());
            assertTrue(setup.iopoll() != dropped, "IOPOLL is either taken or recorded as dropped");
            if (dropped) {
                assertTrue(setup.refusals().contains("IOPOLL"), setup.refusals());
                System.out.println("IOPOLL: dropped at set-up: " + setup.refusals());
                return;
            }
            MemorySegment dst = engine.buffers().allocateFor(f, 8192);
            Outcome r = new Outcome();
            ring.read(f, 16384, dst, null, r);
            ring.drain(); // IOPOLL completions are reaped by io_uring_enter(GETEVENTS) polling
            assertEquals(1, r.completions, "the read completed exactly once");
            if (r.failure == null) {
                assertEquals(8192, r.bytes);
                assertArrayEquals(contentAt(16384, 8192), dst.toArray(ValueLayout.JAVA_BYTE));
                System.out.println("IOPOLL: taken; a polled O_DIRECT read completed with the right bytes");
            } else {
                DirectIoException e = assertInstanceOf(r.failure);
                assertTrue(e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EINVAL, e.getMessage());
                System.out.println("IOPOLL: taken by the ring, refused by the device: " + e.getMessage());
            }
        }
    }

    @Test
    void iopollIsRefusedForTheEngineRingThreads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoEngine.create(
                EngineConfig.defaults().withRingOptions(RingOptions.defaults().withIopoll(true))));
        assertTrue(e.getMessage().contains("iopoll") && e.getMessage().contains("ownedRing"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }

    private static DirectIoException assertInstanceOf(Throwable t) {
        if (t instanceof DirectIoException d) {
            return d;
        }
        throw new AssertionError("expected a DirectIoException, got " + t, t);
    }

    private static void assumeKernelAtLeast(int major, int minor, String feature) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        boolean ok = ma > major || (ma == major && mi >= minor);
        if (!ok) {
            System.out.println("SKIPPED: " + feature + " needs Linux >= " + major + "." + minor + ", this is "
                    + System.getProperty("os.version"));
        }
        assumeTrue(ok, feature + " needs Linux >= " + major + "." + minor);
    }
}
