package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import io.dioring.deliver.CompletionThreads;
import io.dioring.deliver.LazyExecutor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where and how results reach the caller (seed 001): callbacks that throw or block do not
 * stall or kill the ring; inline completion runs on the ring thread; owner-driven rings;
 * the completion executor is made lazily, once.
 */
@ExtendWith(BackendSuite.class)
class CompletionDeliveryTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    IoEngine engine;
    Backend backend;
    final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeEach
    void setUp(Backend backend) {
        this.backend = backend;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (engine != null) {
            engine.close();
        }
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    private Path fileOf(int blocks, long seed) throws IOException {
        byte[] b = new byte[blocks * BLOCK];
        new Random(seed).nextBytes(b);
        Path p = dir.resolve("data-" + seed);
        Files.write(p, b);
        return p;
    }

    /** Records each outcome; optionally throws from completed(). */
    static final class Recorder implements CompletionHandler<Integer> {
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final CountDownLatch all;
        final boolean throwing;

        Recorder(int expected, boolean throwing) {
            this.all = new CountDownLatch(expected);
            this.throwing = throwing;
        }

        @Override
        public void completed(long n, Integer attachment) {
            completed.incrementAndGet();
            bytes.addAndGet(n);
            threads.add(Thread.currentThread().getName());
            all.countDown();
            if (throwing) {
                throw new IllegalStateException("callback bug for request " + attachment);
            }
        }

        @Override
        public void failed(Throwable failure, Integer attachment) {
            failed.incrementAndGet();
            all.countDown();
        }
    }

    @BackendTest
    void aThrowingCallbackIsReportedAndTheEngineKeepsWorking() throws Exception {
        List<Throwable> reported = new ArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-completion");
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((th, e) -> {
                synchronized (reported) {
                    reported.add(e);
                }
            });
            return t;
        });
        closeLater.add(executor::shutdownNow);
        engine = IoEngine.create(BackendSuite.defaults(backend).withCompletionExecutor(executor));
        Path p = fileOf(64, 1);
        try (DirectFile f = engine.open(p)) {
            MemorySegment buf = engine.buffers().allocateFor(f, BLOCK);
            Recorder thrower = new Recorder(10, true);
            for (int i = 0; i < 10; i++) {
                f.read((long) i * BLOCK, buf, i, thrower);
            }
            Waits.await(thrower.all, "the 10 throwing callbacks");
            // Later requests, both APIs, still complete.
            Recorder later = new Recorder(54, false);
            MemorySegment many = engine.buffers().allocateFor(f, 54L * BLOCK);
            for (int i = 10; i < 64; i++) {
                f.read((long) i * BLOCK, many.asSlice((long) (i - 10) * BLOCK, BLOCK), i, later);
            }
            Waits.await(later.all, "the 54 later reads");
            assertEquals(54, later.completed.get());
            assertEquals(54L * BLOCK, later.bytes.get());
            assertEquals(BLOCK, Waits.get(f.read(0, buf), "a future read after the throwing callbacks"));
            assertEquals(10, thrower.completed.get(), "each throwing callback ran exactly once");
        }
        executor.shutdown();
        executor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        synchronized (reported) {
            assertEquals(10, reported.size(), "each callback exception reached the uncaught-exception handler");
            assertTrue(reported.get(0).getMessage().startsWith("callback bug"), reported.get(0).toString());
        }
    }

    @BackendTest
    void aBlockingCallbackDoesNotHoldUpOtherCompletionsInDeferredMode() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend)); // DEFERRED, the engine's own lazy executor
        Path p = fileOf(16, 2);
        try (DirectFile f = engine.open(p)) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<String> blockerThread = new AtomicReference<>();
            CountDownLatch blockerDone = new CountDownLatch(1);
            MemorySegment buf = engine.buffers().allocateFor(f, BLOCK);
            f.read(0, buf, null, new CompletionHandler<Object>() {
                @Override
                public void completed(long bytes, Object attachment) {
                    blockerThread.set(Thread.currentThread().getName());
                    entered.countDown();
                    try {
                        Waits.await(release, "the test's release of the blocking callback"); // blocks until the test has seen other requests complete
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    blockerDone.countDown();
                }

                @Override
                public void failed(Throwable failure, Object attachment) {
                    entered.countDown();
                    blockerDone.countDown();
                }
            });
            Waits.await(entered, "the blocking callback");
            // The blocker sits in its callback now. Others must still complete, callback and future.
            Recorder others = new Recorder(15, false);
            MemorySegment many = engine.buffers().allocateFor(f, 15L * BLOCK);
            for (int i = 1; i < 16; i++) {
                f.read((long) i * BLOCK, many.asSlice((long) (i - 1) * BLOCK, BLOCK), i, others);
            }
            Waits.await(others.all, "the 15 reads beside the blocked callback");
            assertEquals(BLOCK, Waits.get(f.read(BLOCK, buf.asSlice(0, BLOCK)), "a future read beside the blocked callback"));
            assertEquals(1, blockerDone.getCount(), "the blocking callback is still blocked");
            assertEquals(15, others.completed.get());
            assertFalse(BackendSuite.isEngineThread(blockerThread.get()), "deferred callbacks run off the ring thread: "
                    + blockerThread.get());
            for (String t : others.threads) {
                assertFalse(BackendSuite.isEngineThread(t), "deferred callback on " + t);
            }
            release.countDown();
            Waits.await(blockerDone, "the released blocking callback");
        }
    }

    @BackendTest
    void inlineCompletionRunsCallbacksOnTheRingThread() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend).withCompletionMode(CompletionMode.INLINE));
        Path p = fileOf(32, 3);
        byte[] expected = Files.readAllBytes(p);
        try (DirectFile f = engine.open(p)) {
            MemorySegment dst = engine.buffers().allocateFor(f, 32L * BLOCK);
            Recorder r = new Recorder(32, false);
            for (int i = 0; i < 32; i++) {
                f.read((long) i * BLOCK, dst.asSlice((long) i * BLOCK, BLOCK), i, r);
            }
            Waits.await(r.all, "the 32 inline callbacks");
            assertEquals(32L * BLOCK, r.bytes.get());
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
            for (String t : r.threads) {
                assertTrue(BackendSuite.isEngineThread(t), "inline callback ran on " + t);
            }
            assertEquals(BLOCK, Waits.get(f.read(0, dst.asSlice(0, BLOCK)), "a future read, inline"),
                    "futures complete inline too");
            assertFalse(engine.completionExecutorCreated(), "inline mode never needs the executor");
        }
    }

    @BackendTest
    void ownedRingDrivesManyRequestsWithPollAndAwait() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend));
        int blocks = 512;
        Path p = fileOf(blocks, 4);
        byte[] expected = Files.readAllBytes(p);
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                OwnedRing ring = engine.ownedRing(32)) {
            MemorySegment dst = engine.buffers().allocateFor(f, (long) blocks * BLOCK);
            Recorder r = new Recorder(blocks, false);
            String me = Thread.currentThread().getName();
            for (int i = 0; i < blocks; i++) {
                ring.read(f, (long) i * BLOCK, dst.asSlice((long) i * BLOCK, BLOCK), i, r);
            }
            int polls = 0;
            while (r.completed.get() + r.failed.get() < blocks / 2) {
                ring.poll();
                polls++;
            }
            while (r.completed.get() + r.failed.get() < blocks) {
                ring.await(1);
            }
            assertEquals(0, r.failed.get());
            assertEquals(Set.of(me), r.threads, "handlers run on the owner thread");
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
            // Writes back through the same ring, then drain.
            MemorySegment src = engine.buffers().allocateFor(f, BLOCK);
            src.fill((byte) 7);
            Recorder w = new Recorder(blocks, false);
            for (int i = 0; i < blocks; i++) {
                ring.write(f, (long) i * BLOCK, src, i, w);
            }
            ring.drain();
            assertFalse(ring.busy());
            assertEquals(blocks, w.completed.get());
            System.out.println("owned ring: " + blocks + " reads (" + polls + " polls) and " + blocks
                    + " writes, " + ring.slicesIssued() + " SQEs");
        }
        byte[] after = Files.readAllBytes(p);
        for (byte b : after) {
            if (b != 7) {
                throw new AssertionError("owned-ring write lost");
            }
        }
    }

    @BackendTest
    void theCompletionExecutorIsCreatedOnlyOnTheFirstDeferredCompletion() throws Exception {
        engine = IoEngine.create(BackendSuite.defaults(backend));
        Path p = fileOf(4, 5);
        try (DirectFile f = engine.open(p)) {
            MemorySegment buf = engine.buffers().allocateFor(f, BLOCK);
            assertFalse(engine.completionExecutorCreated(), "not created with the engine");
            assertEquals(BLOCK, f.readFully(0, buf));
            assertFalse(engine.completionExecutorCreated(), "a blocking call is woken directly, no executor");
            assertEquals(BLOCK, Waits.get(f.read(BLOCK, buf), "the first deferred read"));
            assertTrue(engine.completionExecutorCreated(), "created for the first deferred completion");
        }
    }

    @Test // no engine: runs once
    void racingFirstUsersOfTheLazyExecutorGetExactlyOne() throws Exception {
        for (int round = 0; round < 20; round++) {
            LazyExecutor lazy = new LazyExecutor("race-" + round);
            int racers = 8;
            CyclicBarrier barrier = new CyclicBarrier(racers);
            Set<CompletionThreads> seen = ConcurrentHashMap.newKeySet();
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> error = new AtomicReference<>();
            for (int i = 0; i < racers; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        Waits.await(barrier, "the other racers");
                        seen.add(lazy.get());
                    } catch (Throwable t) {
                        error.set(t);
                    }
                }));
            }
            for (Thread t : threads) {
                Waits.join(t, "a racer for the lazy executor");
            }
            assertNull(error.get());
            assertEquals(1, seen.size(), "every racer got the same executor");
            assertEquals(1, lazy.createdCount(), "exactly one executor installed");
            CompletionThreads e = seen.iterator().next();
            assertSame(e, lazy.get());
            assertFalse(e.isShutdown(), "the winner is not the one shut down");
            lazy.shutdown();
            assertTrue(e.isShutdown());
        }
    }

    @Test
    void aBlockingCallFromAnInlineCallbackIsRefusedNotLeftWaitingForItself() throws Exception {
        Kernel.assumeIoUring();
        for (Submission mode : Submission.values()) {
            try (IoEngine e = IoEngine.create(EngineConfig.defaults().withSubmission(mode)
                    .withCompletionMode(CompletionMode.INLINE))) {
                Path p = fileOf(2, 5);
                try (DirectFile f = e.open(p)) {
                    MemorySegment dst = e.buffers().allocateFor(f, 2L * BLOCK);
                    AtomicReference<Throwable> refused = new AtomicReference<>();
                    CountDownLatch done = new CountDownLatch(1);
                    f.read(0, dst.asSlice(0, BLOCK), null, new CompletionHandler<Void>() {
                        @Override
                        public void completed(long n, Void a) {
                            try {
                                f.readFully(BLOCK, dst.asSlice(BLOCK, BLOCK));
                            } catch (Throwable t) {
                                refused.set(t);
                            }
                            done.countDown();
                        }

                        @Override
                        public void failed(Throwable t, Void a) {
                            done.countDown();
                        }
                    });
                    assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS), mode + ": the callback returned");
                    Throwable t = refused.get();
                    assertTrue(t instanceof IllegalStateException && t.getMessage().contains("INLINE completion callback"),
                            mode + ": " + t);
                    assertEquals(BLOCK, f.readFully(BLOCK, dst.asSlice(BLOCK, BLOCK)), mode + ": the ring still works");
                }
            }
        }
    }
}
