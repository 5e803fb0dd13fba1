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
