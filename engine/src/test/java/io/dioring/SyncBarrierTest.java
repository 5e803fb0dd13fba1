package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsync/fdatasync are delivery barriers across rings: writes submitted from several threads
 * (so on several rings, each driven by its caller and reaped by its own reaper), then a sync;
 * when the sync's future completes, every earlier write's INLINE callback has returned, or
 * its future has completed (DEFERRED: on a FIFO executor, its callback has run).
 */
class SyncBarrierTest {
    private static final int BLOCK = 4096;
    private static final int WRITERS = 3;
    private static final int ROUNDS = 1500;
    /** The loop stops early after this long (a loaded machine); the rounds made are reported. */
    private static final long LOOP_NANOS = 20_000_000_000L;
    /**
     * Writer 0's callback runs this long (the others return at once): still running when the
     * sync, released by another writer's completion, completes is what the barrier forbids.
     */
    private static final long CALLBACK_SPIN_NANOS = 3_000_000;

    @TempDir
    Path dir;

    @BackendTest
    void anInlineCallbackOfEveryEarlierWriteHasReturnedWhenTheSyncCompletes(Backend backend) throws Exception {
        assertNoViolations(BackendSuite.defaults(backend).withRings(WRITERS + 1)
                .withCompletionMode(CompletionMode.INLINE), true, CALLBACK_SPIN_NANOS);
    }

    @BackendTest
    void theFutureOfEveryEarlierWriteIsDoneWhenTheSyncCompletes(Backend backend) throws Exception {
        assertNoViolations(BackendSuite.defaults(backend).withRings(WRITERS + 1)
                .withCompletionMode(CompletionMode.INLINE), false, 0);
    }

    @BackendTest
    void aDeferredCallbackOfEveryEarlierWriteRanBeforeTheSyncsOnAFifoExecutor(Backend backend) throws Exception {
        ExecutorService fifo = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fifo-completions");
            t.setDaemon(true);
            return t;
        });
        try {
            assertNoViolations(BackendSuite.defaults(backend).withRings(WRITERS + 1)
                    .withCompletionMode(CompletionMode.DEFERRED).withCompletionExecutor(fifo), true, 0);
        } finally {
            fifo.shutdown();
        }
    }

    @BackendTest
    void aSyncIssuedFromAWritesInlineCallbackCompletesOnceThatCallbackReturned(Backend backend) throws Exception {
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withRings(2)
                        .withCompletionMode(CompletionMode.INLINE));
                DirectFile f = engine.open(dir.resolve("inline-sync"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            f.preallocate(0, BLOCK, false);
            MemorySegment src = engine.buffers().allocate(BLOCK);
            CompletableFuture<CompletableFuture<Long>> syncOfCallback = new CompletableFuture<>();
            AtomicInteger returned = new AtomicInteger();
            f.write(0, src, null, new CompletionHandler<Object>() {
                @Override
                public void completed(long bytes, Object ignored) {
                    // The sync waits for this callback's return (it is not blocked on here).
                    syncOfCallback.complete(f.fsync().whenComplete((n, t) -> returned.incrementAndGet()));
                    returned.addAndGet(10);
                }

                @Override
                public void failed(Throwable t, Object ignored) {
                    syncOfCallback.completeExceptionally(t);
                }
            });
            CompletableFuture<Long> sync = Waits.join(syncOfCallback, "the write's callback");
            assertEquals(0L, Waits.join(sync, "the sync issued from the write's callback"));
            assertEquals(11, returned.get(), "the callback returned before the sync completed");
        }
    }

    @BackendTest
    void aDeferredCallbackThatWaitsForASyncIsNotWaitedForByIt(Backend backend) throws Exception {
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withRings(2)
                        .withCompletionMode(CompletionMode.DEFERRED));
                DirectFile f = engine.open(dir.resolve("deferred-sync"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            f.preallocate(0, 2 * BLOCK, false);
            MemorySegment src = engine.buffers().allocate(BLOCK);
            CompletableFuture<Long> syncResult = new CompletableFuture<>();
            CompletionHandler<Object> waitsForSync = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Object ignored) {
                    try {
                        syncResult.complete(f.fdatasync().get(Waits.LIMIT_SECONDS, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        syncResult.completeExceptionally(e);
                    }
                }

                @Override
                public void failed(Throwable t, Object ignored) {
                    syncResult.completeExceptionally(t);
                }
            };
            f.write(0, src, null, waitsForSync);
            f.write(BLOCK, src); // another write in flight beside it, delivered on its own
            assertEquals(0L, Waits.join(syncResult, "the sync a DEFERRED write callback waits for"));
        }
    }

    /**
     * Rounds of: {@link #WRITERS} threads each write a block (callbacks or futures) and meet
     * the test thread, which then fdatasyncs (fsyncs on odd rounds); the sync's completion
     * checks that every write of the round was delivered. Writer 0's callback runs {@code spinNanos}.
     */
    private void assertNoViolations(EngineConfig config, boolean callbacks, long spinNanos) throws Exception {
        Path p = dir.resolve("synced");
        AtomicInteger violations = new AtomicInteger();
        AtomicReference<String> firstViolation = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int rounds = 0;
        try (IoEngine engine = IoEngine.create(config);
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            f.preallocate(0, (long) WRITERS * BLOCK, false); // the writes stay asynchronous
            CyclicBarrier submitted = new CyclicBarrier(WRITERS + 1);
            CyclicBarrier nextRound = new CyclicBarrier(WRITERS + 1);
            // Per writer: the round whose write was last delivered, and that write's future.
            AtomicInteger[] deliveredRound = new AtomicInteger[WRITERS];
            AtomicReferenceArray<CompletableFuture<Long>> futures = new AtomicReferenceArray<>(WRITERS);
            CountDownLatch[] callbacksOfRound = new CountDownLatch[1];
            int[] round = new int[1];
            boolean[] stop = new boolean[1];
            CompletionHandler<Integer> markDelivered = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer writer) {
                    long until = System.nanoTime() + (writer == 0 ? spinNanos : 0);
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait(); // still running: the sync must not be seen done yet
                    }
                    deliveredRound[writer].incrementAndGet();
                    callbacksOfRound[0].countDown();
                }

                @Override
                public void failed(Throwable t, Integer writer) {
                    failure.compareAndSet(null, t);
                    deliveredRound[writer].incrementAndGet();
                    callbacksOfRound[0].countDown();
                }
            };
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                deliveredRound[w] = new AtomicInteger();
                writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
                    MemorySegment src = engine.buffers().allocate(BLOCK);
                    try {
                        while (true) {
                            Waits.await(nextRound, "the next round");
                            if (stop[0]) {
                                return;
                            }
                            src.fill((byte) (round[0] + writer));
                            if (callbacks) {
                                f.write((long) writer * BLOCK, src, writer, markDelivered);
                            } else {
                                futures.set(writer, f.write((long) writer * BLOCK, src));
                            }
                            Waits.await(submitted, "the other writers' submissions");
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        submitted.reset();
                    }
                }));
            }
            long deadline = System.nanoTime() + LOOP_NANOS;
            while (rounds < ROUNDS && System.nanoTime() - deadline < 0 && failure.get() == null) {
                int r = ++rounds;
                round[0] = r;
                callbacksOfRound[0] = new CountDownLatch(callbacks ? WRITERS : 0);
                Waits.await(nextRound, "the writers at round " + r);
                Waits.await(submitted, "the writers' submissions of round " + r);
                CompletableFuture<Long> sync = r % 2 == 0 ? f.fdatasync() : f.fsync();
                CompletableFuture<Void> checked = sync.whenComplete((n, t) -> {
                    for (int w = 0; w < WRITERS; w++) {
                        boolean delivered = callbacks ? deliveredRound[w].get() == r : futures.get(w).isDone();
                        if (!delivered) {
                            violations.incrementAndGet();
                            firstViolation.compareAndSet(null, "round " + r + ": the sync completed before writer "
                                    + w + "'s write was delivered, on " + Thread.currentThread().getName());
                        }
                    }
                }).thenRun(() -> {});
                Waits.join(checked, "the sync of round " + r);
                Waits.await(callbacksOfRound[0], "the write callbacks of round " + r);
                for (int w = 0; w < WRITERS && !callbacks; w++) {
                    assertEquals(BLOCK, Waits.join(futures.get(w), "writer " + w + "'s write of round " + r));
                }
            }
            stop[0] = true;
            Waits.await(nextRound, "the writers' last round");
            for (Thread t : writers) {
                Waits.join(t, t.getName());
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a write or a writer failed", failure.get());
        }
        assertEquals(0, violations.get(), "syncs completed before an earlier write was delivered, out of "
                + rounds + " rounds; first: " + firstViolation.get());
    }
}
