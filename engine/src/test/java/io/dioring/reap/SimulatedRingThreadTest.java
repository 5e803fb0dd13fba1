package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.CompletionHandler;
import io.dioring.DirectIoException;
import io.dioring.deliver.Delivery;
import io.dioring.DioAlignment;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.RingFailedException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seeded simulated ring under a real {@link RingThread}, and under a {@link SharedRing}
 * its submitters drive themselves: many submitter threads, the
 * ring completing short, failing, out of order, with EAGAIN and partial submits, and
 * io_uring_enter failing for good. Every request completes exactly once with the
 * outcome its faults call for.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulatedRingThreadTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 256;
    private static final int FD = 5;
    /** The one bad block: reads covering it fail with EIO. */
    private static final int BAD_BLOCK = 77;

    private static byte[] contents() {
        byte[] data = new byte[BLOCKS * BLOCK];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + i / BLOCK);
        }
        return data;
    }

    private static FileState file() {
        return new FileState(FD, Path.of("/sim/thread"), true, true, true, new DioAlignment(512, 512, "simulated"),
                2 * BLOCK, (long) BLOCKS * BLOCK);
    }

    @Test
    void faultsOnASimulatedRingStillCompleteEveryRequestOnceFromManyThreads() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            run(seed, false);
        }
    }

    @Test
    void aFatalEnterErrorMidRunFailsWhatIsLeftOnceAndRefusesNewWork() throws Exception {
        run(11, true);
    }

    @Test
    void faultsOnACallerDrivenRingStillCompleteEveryRequestOnceFromManyThreads() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            run(seed, false, true);
        }
    }

    @Test
    void aFatalEnterErrorOnACallerDrivenRingFailsWhatIsLeftOnceAndRefusesNewWork() throws Exception {
        run(11, true, true);
    }

    /**
     * io_uring_enter fails for good on the submit a ring thread makes between two requests it
     * takes from its inbox (the first submitted as soon as the second is seen not to continue
     * it): the second, taken but not yet queued on the loop, must fail with the rest, not be
     * dropped. The ring is held inside io_uring_enter until both requests are in the inbox.
     */
    @Test
    void aFatalEnterBetweenTwoRequestsTakenFromTheInboxFailsBothOnce() throws Exception {
        SimulatedRing sim = new SimulatedRing(5, 16, 32);
        sim.partialSubmit = 0;
        sim.file(FD).setContents(contents());
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        IoRing gated = new IoRing() {
            @Override public int sqEntries() { return sim.sqEntries(); }
            @Override public int cqEntries() { return sim.cqEntries(); }
            @Override public int sqSpace() { return sim.sqSpace(); }
            @Override public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address,
                    int length, int opFlags, int bufIndex, long userData) {
                sim.prepare(opcode, sqeFlags, fd, fileOffset, address, length, opFlags, bufIndex, userData);
            }
            @Override public int submit(boolean waitForOne) {
                if (waitForOne && entered.getCount() > 0) {
                    entered.countDown(); // the ring thread waits in io_uring_enter, idle
                    try {
                        assertTrue(proceed.await(30, TimeUnit.SECONDS), "the test never let the ring go on");
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
                return sim.submit(waitForOne);
            }
            @Override public int reap(long[] userData, int[] result, int max) { return sim.reap(userData, result, max); }
            @Override public void close() { sim.close(); }
        };
        ExecutorService deferred = Executors.newFixedThreadPool(2);
        Delivery delivery = new Delivery(deferred, Runnable::run);
        RingThread ring = new RingThread("sim-ring-drain", () -> gated, 0, delivery, 16);
        FileState file = file();
        AtomicIntegerArray deliveries = new AtomicIntegerArray(2);
        AtomicReferenceArray<Object> outcome = new AtomicReferenceArray<>(2);
        CountDownLatch done = new CountDownLatch(2);
        CompletionHandler<Object> handler = new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Object i) {
                record((Integer) i, bytes);
            }

            @Override
            public void failed(Throwable e, Object i) {
                record((Integer) i, e);
            }

            private void record(int i, Object o) {
                deliveries.incrementAndGet(i);
                outcome.set(i, o);
                done.countDown();
            }
        };
        try (Arena arena = Arena.ofShared()) {
            assertTrue(entered.await(30, TimeUnit.SECONDS), "the ring thread never waited in io_uring_enter");
            for (int i = 0; i < 2; i++) {
                // Blocks 0 and 8: the second does not continue the first, so the first goes out alone.
                IoRequest r = new IoRequest().set(IoRequest.READ, file, 8L * i * BLOCK, arena.allocate(BLOCK, BLOCK), -1);
                r.replyTo(handler, i, null, false);
                r.givenTo(ring);
                ring.accept(r);
            }
            sim.failSubmitAfter = 1; // the held enter goes through; the next one, made in the drain, fails
            proceed.countDown();
            assertTrue(done.await(30, TimeUnit.SECONDS), done.getCount() + " of the 2 requests never completed");
            for (int i = 0; i < 2; i++) {
                assertEquals(1, deliveries.get(i), "request " + i + " completed once");
                DirectIoException e = assertInstanceOf(DirectIoException.class, outcome.get(i), "request " + i);
                assertEquals("EBADF", e.errnoName());
            }
            assertInstanceOf(RingFailedException.class, ring.failure());
        } finally {
            proceed.countDown();
            ring.close(false);
            deferred.shutdown();
            assertTrue(deferred.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    private void run(long seed, boolean breakIt) throws Exception {
        run(seed, breakIt, false);
    }

    private void run(long seed, boolean breakIt, boolean callerDriven) throws Exception {
        SimulatedRing sim = new SimulatedRing(seed, 16, 32);
        // No stale or unknown CQEs here: a real kernel posts none, and they take CQ room the
        // engine cannot know of (the RingLoop property test covers ignoring them).
        byte[] expected = contents();
        SimulatedRing.SimFile f = sim.file(FD);
        f.setContents(expected);
        f.eioAt = new long[] {(long) BAD_BLOCK * BLOCK + 10};
        f.eagain = 0.05;
        f.shortAt = 40L * BLOCK + 512;
        if (breakIt) {
            // Callers' turns submit what they drained in one call: fewer calls for the same work.
            sim.failSubmitAfter = callerDriven ? 40 : 200;
        }
        ExecutorService deferred = Executors.newFixedThreadPool(2);
        Delivery delivery = new Delivery(deferred, Runnable::run);
        EngineRing thread = callerDriven ? SharedRing.of("sim-shared-" + seed, sim, 0, delivery, 16)
                : new RingThread("sim-ring-" + seed, () -> sim, 0, delivery, 16);
        int threads = 4;
        int perThread = 300;
        int n = threads * perThread;
        AtomicIntegerArray deliveries = new AtomicIntegerArray(n);
        AtomicReferenceArray<Object> outcome = new AtomicReferenceArray<>(n);
        CountDownLatch done = new CountDownLatch(n);
        FileState file = file();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] buffers = new MemorySegment[n];
            CompletionHandler<Object> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Object i) {
                    record((Integer) i, bytes);
                }

                @Override
                public void failed(Throwable e, Object i) {
                    record((Integer) i, e);
                }

                private void record(int i, Object o) {
                    deliveries.incrementAndGet(i);
                    outcome.set(i, o);
                    done.countDown();
                }
            };
            Thread[] submitters = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int first = t * perThread;
                submitters[t] = Thread.ofPlatform().start(() -> {
                    for (int i = first; i < first + perThread; i++) {
                        int blocks = 1 + i % 3;
                        int start = (i * 7) % (BLOCKS - blocks);
                        buffers[i] = arena.allocate((long) blocks * BLOCK, BLOCK);
                        IoRequest r = new IoRequest().set(IoRequest.READ, file, (long) start * BLOCK, buffers[i], -1);
                        r.replyTo(handler, i, null, false);
                        r.givenTo(thread);
                        try {
                            thread.accept(r);
                        } catch (IllegalStateException refused) {
                            handler.failed(refused, i); // the ring had failed: refused at the call
                        } catch (java.io.InterruptedIOException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
            }
            for (Thread t : submitters) {
                t.join(30_000);
            }
            assertTrue(done.await(30, TimeUnit.SECONDS), "seed " + seed + ": " + done.getCount() + " never completed");
            int failedByRing = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(1, deliveries.get(i), "seed " + seed + ": request " + i + " completed once");
                int blocks = 1 + i % 3;
                int start = (i * 7) % (BLOCKS - blocks);
                Object o = outcome.get(i);
                boolean coversBad = start <= BAD_BLOCK && BAD_BLOCK < start + blocks;
                if (o instanceof DirectIoException e && e.errno() == io.dioring.ffi.Errno.EBADF) {
                    assertTrue(breakIt, "EBADF only from the broken ring");
                    failedByRing++;
                    continue;
                }
                if (o instanceof IllegalStateException refused) {
                    assertTrue(breakIt && refused.getMessage().contains("failed"), refused.getMessage());
                    failedByRing++;
                    continue;
                }
                if (coversBad) {
                    DirectIoException e = assertInstanceOf(DirectIoException.class, o, "request " + i);
                    assertEquals("EIO", e.errnoName());
                    continue;
                }
                if (o instanceof DirectIoException e && e.errno() == io.dioring.ffi.Errno.EAGAIN) {
                    continue; // retried MAX_RETRIES times and still EAGAIN: rare, and the rule
                }
                assertEquals((long) blocks * BLOCK, o, "seed " + seed + ": request " + i + " (a short read is resubmitted)");
                byte[] got = buffers[i].toArray(ValueLayout.JAVA_BYTE);
                for (int b = 0; b < got.length; b++) {
                    if (got[b] != expected[start * BLOCK + b]) {
                        throw new AssertionError("seed " + seed + ": request " + i + " byte " + b + " differs");
                    }
                }
            }
            if (breakIt) {
                assertTrue(failedByRing > 0, "the broken ring failed some requests");
                assertInstanceOf(RingFailedException.class, thread.failure());
                IoRequest late = new IoRequest().set(IoRequest.READ, file, 0, buffers[0], -1);
                assertThrows(IllegalStateException.class, () -> thread.accept(late));
            } else {
                assertNull(thread.failure());
                assertNotNull(thread.loop());
                if (thread instanceof SharedRing shared) {
                    assertTrue(shared.callerTurns() > 0, "submitters drove the ring themselves");
                }
            }
        } finally {
            thread.close(false);
            deferred.shutdown();
            assertTrue(deferred.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
