package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which backend an engine runs on, what the io_uring-only calls do on THREADS, and an owned
 * ring on THREADS (handlers on the owner, registrations accepted and ignored, an extending
 * write queued from a handler). AUTO under a seccomp filter is {@code backend.BlockedIoUringTest}.
 */
class BackendSelectionTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @Test
    void autoIsIoUringWhereAProbeRingCanBeSetUp() throws Exception {
        Kernel.assumeIoUring();
        try (IoEngine engine = IoEngine.create()) {
            assertEquals(Backend.AUTO, engine.config().backend(), "AUTO is the default");
            assertEquals(Backend.IO_URING, engine.backend());
            assertTrue(IoEngine.autoChoice().startsWith("io_uring"), IoEngine.autoChoice());
        }
    }

    @Test
    void onThreadsTheIoUringOnlyCallsSaySoAndTheCauseIsUnchanged() throws Exception {
        String cause = IoEngine.unavailabilityCause();
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS).withThreads(4))) {
            assertEquals(Backend.THREADS, engine.backend());
            assertEquals(4, engine.config().threads());
            IllegalStateException e = assertThrows(IllegalStateException.class, engine::ringSetup);
            assertTrue(e.getMessage().contains("io_uring is not in use"), e.getMessage());
            assertEquals(0, engine.enterCalls());
            assertTrue(engine.isHealthy());
            assertEquals(cause, IoEngine.unavailabilityCause(), "the cause still says why io_uring is (not) usable");
        }
    }

    @Test
    void theOldConstructorsStillWorkAndTheNewComponentsAreChecked() {
        EngineConfig old = new EngineConfig(1, 64, EngineConfig.DEFAULT_MAX_IO_BYTES, CompletionMode.DEFERRED, null,
                RingOptions.defaults(), 16);
        assertEquals(Backend.AUTO, old.backend());
        assertEquals(EngineConfig.DEFAULT_THREADS, old.threads());
        assertEquals(Backend.THREADS, old.withBackend(Backend.THREADS).backend());
        assertEquals(64, old.withBackend(Backend.THREADS).queueDepth(), "a wither keeps the other components");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> old.withThreads(0));
        assertTrue(e.getMessage().contains("threads = 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> old.withBackend(null));
    }

    @Test
    void anOwnedRingOnThreadsRunsHandlersOnItsOwnerAndAcceptsRegistrations() throws Exception {
        Path p = dir.resolve("owned");
        byte[] content = new byte[64 * BLOCK];
        new Random(3).nextBytes(content);
        Files.write(p, content);
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS));
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                OwnedRing ring = engine.ownedRing(16)) {
            assertEquals(Backend.THREADS, ring.backend());
            assertThrows(IllegalStateException.class, ring::ring);
            assertEquals(0, ring.enterCalls());
            MemorySegment buf = engine.buffers().allocateFor(f, content.length);
            ring.registerBuffers(buf); // accepted, nothing to register with
            assertEquals(-1, ring.registerFile(f));
            List<String> threads = new ArrayList<>();
            long[] total = {0};
            boolean[] insideSubmit = {false};
            CompletionHandler<Integer> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer i) {
                    assertFalse(insideSubmit[0], "a handler never runs inside the call that submitted");
                    threads.add(Thread.currentThread().getName());
                    total[0] += bytes;
                    if (i == 0) {
                        // From a handler: an extending write, carried out once the handlers have returned.
                        MemorySegment tail = buf.asSlice(0, BLOCK);
                        ring.write(f, content.length, tail, -1, this);
                    }
                }

                @Override
                public void failed(Throwable t, Integer i) {
                    throw new AssertionError("request " + i, t);
                }
            };
            for (int i = 0; i < 64; i++) {
                insideSubmit[0] = true;
                ring.read(f, (long) i * BLOCK, buf.asSlice((long) i * BLOCK, BLOCK), i, handler);
                insideSubmit[0] = false;
            }
            ring.drain();
            assertFalse(ring.busy());
            assertEquals(65, threads.size(), "64 reads and the write from a handler, each once");
            assertEquals(List.of(Thread.currentThread().getName()), threads.stream().distinct().toList(),
                    "handlers run on the owner");
            assertEquals(65L * BLOCK, total[0]);
            assertEquals(65L * BLOCK, f.size(), "the extending write grew the file");
            assertEquals(1, f.extendingWrites());
            ring.unregisterBuffers();
            ring.unregisterFile(f);
        }
        byte[] disk = Files.readAllBytes(p);
        assertEquals(65 * BLOCK, disk.length);
        for (int i = 0; i < BLOCK; i++) {
            assertEquals(content[i], disk[64 * BLOCK + i], "byte " + i + " of the appended block");
        }
    }

    @Test
    void blockingCallsFromAnInlineCallbackOnAOneThreadPoolRunOnThatThreadInsteadOfWaitingForIt() throws Exception {
        Path p = dir.resolve("nested");
        Files.write(p, new byte[4 * BLOCK]);
        EngineConfig config = EngineConfig.defaults().withBackend(Backend.THREADS).withThreads(1)
                .withCompletionMode(CompletionMode.INLINE);
        try (IoEngine engine = IoEngine.create(config);
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment buf = engine.buffers().allocateFor(f, BLOCK);
            MemorySegment other = engine.buffers().allocateFor(f, BLOCK);
            java.util.concurrent.CompletableFuture<String> outcome = new java.util.concurrent.CompletableFuture<>();
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
                f.read(0, buf, null, new CompletionHandler<Object>() {
                    @Override
                    public void completed(long bytes, Object a) {
                        try {
                            // The only pool thread runs this callback: both calls wait for their result.
                            long read = f.readFully(BLOCK, other);
                            long appended = f.writeFully(4L * BLOCK, other); // extending: synchronous
                            outcome.complete(Thread.currentThread().getName() + " read " + read + " appended "
                                    + appended);
                        } catch (Throwable t) {
                            outcome.completeExceptionally(t);
                        }
                    }

                    @Override
                    public void failed(Throwable t, Object a) {
                        outcome.completeExceptionally(t);
                    }
                });
                String done = Waits.get(outcome, "the callback's outcome");
                assertTrue(done.startsWith("dioring-io-0 read 4096 appended 4096"), done);
            });
            assertEquals(5L * BLOCK, f.size());
            assertEquals(1, f.extendingWrites());
        }
    }

    @Test
    void closingAFileFromAnInlineCallbackOnAOneThreadPoolReturnsAndTheLastRequestClosesIt() throws Exception {
        Path p = dir.resolve("close-in-callback");
        Files.write(p, new byte[4 * BLOCK]);
        EngineConfig config = EngineConfig.defaults().withBackend(Backend.THREADS).withThreads(1)
                .withCompletionMode(CompletionMode.INLINE);
        try (IoEngine engine = IoEngine.create(config)) {
            DirectFile f = engine.open(p);
            MemorySegment a = engine.buffers().allocateFor(f, BLOCK);
            MemorySegment b = engine.buffers().allocateFor(f, BLOCK);
            java.util.concurrent.CompletableFuture<Boolean> closed = new java.util.concurrent.CompletableFuture<>();
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
                java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
                f.read(0, a, null, new CompletionHandler<Object>() {
                    @Override
                    public void completed(long bytes, Object attachment) {
                        try {
                            Waits.await(queued, "the second read's submission"); // the second read waits in the queue for this, the only thread
                            f.close();
                            closed.complete(f.isClosed());
                        } catch (Throwable t) {
                            closed.completeExceptionally(t);
                        }
                    }

                    @Override
                    public void failed(Throwable t, Object attachment) {
                        closed.completeExceptionally(t);
                    }
                });
                java.util.concurrent.CompletableFuture<Long> second = f.read(BLOCK, b);
                queued.countDown();
                assertTrue(Waits.get(closed, "close() from the callback"), "close() from the callback returned");
                assertEquals(BLOCK, Waits.get(second, "the request behind it"), "the request behind it completed");
            });
        }
    }

    /**
     * close(true) on THREADS: what waits in the queue is failed with CancellationException;
     * the call already made (held 1 s by a FUSE delay) cannot be cancelled, finishes with its
     * bytes, and close returns only after it.
     */
    @Test
    void closeWithCancelOnThreadsFailsTheQueuedAndWaitsForTheCallInFlight() throws Exception {
        try (io.dioring.testing.FaultFs fs = io.dioring.testing.FaultFs.mountOrSkip()) {
            byte[] data = new byte[8 * BLOCK];
            new Random(21).nextBytes(data);
            Files.write(fs.backing().resolve("slow"), data);
            fs.configure(io.dioring.testing.FaultFs.delayMs(1000));
            IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS).withThreads(1));
            DirectFile f = engine.open(fs.file("slow"), StandardOpenOption.READ);
            java.lang.foreign.Arena mine = java.lang.foreign.Arena.ofShared(); // outlives the engine's memory
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
                MemorySegment first = mine.allocate(BLOCK, BLOCK);
                java.util.concurrent.CompletableFuture<Long> inFlight = f.read(0, first);
                awaitInCall("dioring-io-0");
                List<java.util.concurrent.CompletableFuture<Long>> queued = new ArrayList<>();
                for (int i = 1; i <= 3; i++) { // every other block: nothing to coalesce
                    queued.add(f.read(2L * i * BLOCK, engine.buffers().allocate(BLOCK)));
                }
                engine.close(true);
                assertTrue(Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().equals("dioring-io-0") && t.isAlive()),
                        "close(true) returned only after the pool thread finished the call in flight");
                // Its result is delivered on the completion executor (DEFERRED), perhaps just after close.
                assertEquals(BLOCK, Waits.get(inFlight, "the call in flight"), "the call in flight was not cancelled");
                assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOf(data, 16)),
                        java.util.Arrays.toString(first.asSlice(0, 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                for (java.util.concurrent.CompletableFuture<Long> q : queued) {
                    // get() throws a CancellationException failure as one of its own, the failure its cause.
                    java.util.concurrent.CancellationException e = assertThrows(
                            java.util.concurrent.CancellationException.class, q::get);
                    Throwable failure = e.getCause() != null ? e.getCause() : e;
                    assertTrue(failure.getMessage().contains("cancelled: the engine was closed"), failure.getMessage());
                }
            });
            assertTrue(engine.isClosed() && f.isClosed());
            mine.close();
        }
    }

    /** Until the named pool thread is inside a read call (not idle in the queue). */
    private static void awaitInCall(String threadName) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (var e : Thread.getAllStackTraces().entrySet()) {
                if (e.getKey().getName().equals(threadName) && java.util.Arrays.stream(e.getValue())
                        .anyMatch(f -> f.getMethodName().equals("pread"))) {
                    return;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError(threadName + " never got into its read call");
    }
}
