package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lifetime: closing a file or an engine with I/O in flight waits (or cancels when asked),
 * later calls fail clearly, descriptors are released exactly once, and closing from a
 * completion callback does not deadlock. Also the sync operations.
 */
class CloseTest {
    private static final int BLOCK = 4096;
    /** Only a deadlock guard: a healthy run takes a fraction of a second. */
    private static final Duration DEADLOCK_GUARD = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void closingAFileWaitsForItsIoInFlightThenLaterCallsFailNamingTheFile() throws Exception {
        Kernel.assumeIoUring(); // stalls an io_uring ring thread
        int rings = 2;
        Path p = dir.resolve("closing");
        Files.write(p, new byte[8 * BLOCK]);
        EngineConfig config = EngineConfig.defaults().withRings(rings).withCompletionMode(CompletionMode.INLINE)
                .withSubmission(Submission.RING_THREADS); // RingStall stalls a ring thread
        try (IoEngine engine = IoEngine.create(config)) {
            DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            int fd = f.fd();
            MemorySegment src = engine.buffers().allocate(BLOCK);
            src.fill((byte) 0x5A);
            assertTimeoutPreemptively(DEADLOCK_GUARD, () -> {
                try (RingStall stall = new RingStall(engine, rings, 0, dir)) {
                    CompletableFuture<Long> write = Waits.join(RingStall.onRing(rings, 0, () -> f.write(BLOCK, src)),
                            "the submission of the write on ring 0");
                    Thread closer = Thread.ofPlatform().name("closer").start(f::close);
                    RingStall.awaitBlockedIn(closer, RingStall.frame(DirectFile.class, "close"), "close()");
                    assertTrue(f.isClosed(), "closed to new calls at once");
                    assertFalse(write.isDone(), "the write in flight cannot have finished: its ring is stalled");
                    assertEquals(fd, f.fd(), "descriptor still open while the write is in flight");
                    assertTrue(isOpen(fd, p), "descriptor " + fd + " still open");

                    stall.release();
                    Waits.join(closer, "close() once the ring went on");
                    assertEquals(BLOCK, Waits.get(write, "the write in flight"), "the write in flight completed normally");
                }
            });
            assertFalse(isOpen(fd, p), "descriptor " + fd + " released");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.write(0, src));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            e = assertThrows(IllegalStateException.class, f::fsync);
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> f.preallocate(0, BLOCK, false));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            f.close(); // idempotent
        }
        byte[] disk = Files.readAllBytes(p);
        byte[] expected = new byte[BLOCK];
        Arrays.fill(expected, (byte) 0x5A);
        assertArrayEquals(expected, Arrays.copyOfRange(disk, BLOCK, 2 * BLOCK));
    }

    /**
     * On the owner thread of an OwnedRing nothing but the owner completes the ring's
     * requests: close() drives the ring for the file's requests instead of waiting forever.
     * From one of the ring's handlers it returns at once, and the last request closes the
     * descriptor.
     */
    @BackendTest
    void closingAFileOnItsOwnedRingsThreadDrivesTheRing(Backend backend) throws Exception {
        Path p = dir.resolve("owned");
        Files.write(p, new byte[8 * BLOCK]);
        // The whole body runs on the guard's thread, which creates (and so owns) the ring.
        assertTimeoutPreemptively(DEADLOCK_GUARD, () -> closeOnOwnedRingThread(p, backend));
    }

    private void closeOnOwnedRingThread(Path p, Backend backend) throws Exception {
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend)); OwnedRing ring = engine.ownedRing(8)) {
            DirectFile f = engine.open(p, StandardOpenOption.READ);
            int fd = f.fd();
            long[] read = {-1, -1};
            CompletionHandler<Integer> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer i) {
                    read[i] = bytes;
                }

                @Override
                public void failed(Throwable t, Integer i) {
                    read[i] = -2;
                }
            };
            ring.read(f, 0, engine.buffers().allocateFor(f, BLOCK), 0, handler);
            f.close();
            assertEquals(BLOCK, read[0], "the queued read completed before close returned");
            assertFalse(isOpen(fd, p), "descriptor " + fd + " released");

            DirectFile g = engine.open(p, StandardOpenOption.READ);
            int gfd = g.fd();
            boolean[] closedInHandler = {false};
            ring.read(g, 0, engine.buffers().allocateFor(g, BLOCK), null, new CompletionHandler<Object>() {
                @Override
                public void completed(long bytes, Object a) {
                    g.close();
                    closedInHandler[0] = true;
                }

                @Override
                public void failed(Throwable t, Object a) {
                    g.close();
                    closedInHandler[0] = true;
                }
            });
            ring.read(g, BLOCK, engine.buffers().allocateFor(g, BLOCK), 1, handler);
            ring.drain();
            assertTrue(closedInHandler[0], "close() from the ring's own handler returned");
            assertEquals(BLOCK, read[1], "the read behind it completed");
            assertFalse(isOpen(gfd, p), "descriptor " + gfd + " released by the last request");
        }
    }

    @Test
    void closingTheEngineWithCancelFailsQueuedAndInFlightRequests() throws Exception {
        Kernel.assumeIoUring(); // ASYNC_CANCEL and a stalled ring thread
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        if (mkfifo.waitFor() != 0) {
            String why = new String(mkfifo.getInputStream().readAllBytes()).trim();
            System.out.println("SKIPPED: mkfifo failed: " + why);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "mkfifo: " + why);
        }
        // One ring: the stall below must hold the ring the queued reads go to.
        EngineConfig config = EngineConfig.defaults().withRings(1).withCompletionMode(CompletionMode.INLINE)
                .withSubmission(Submission.RING_THREADS); // RingStall stalls a ring thread
        IoEngine engine = IoEngine.create(config);
        // A pipe nobody writes to: reads from it stay in flight until cancelled.
        DirectFile pipe = engine.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, DirectIoPolicy.OFF);
        List<CompletableFuture<Long>> inFlight = new ArrayList<>();
        List<CompletableFuture<Long>> queued = new ArrayList<>();
        assertTimeoutPreemptively(DEADLOCK_GUARD, () -> {
            long before = engine.slicesIssued();
            for (int i = 0; i < 4; i++) {
                inFlight.add(pipe.read(0, engine.buffers().allocate(BLOCK)));
            }
            while (engine.slicesIssued() - before < 4) {
                Thread.sleep(1); // until the ring has issued them all
            }
            // Stall the ring so that further requests stay queued, then close with cancel.
            RingStall stall = new RingStall(engine, 1, 0, dir);
            for (int i = 0; i < 3; i++) {
                queued.add(pipe.read(0, engine.buffers().allocate(BLOCK)));
            }
            Thread closer = Thread.ofPlatform().name("closer").start(() -> engine.close(true));
            RingStall.awaitBlockedIn(closer, RingStall.frame(Thread.class, "join"), "close(true)");
            assertTrue(inFlight.stream().noneMatch(CompletableFuture::isDone), "pipe reads are still in flight");
            stall.release();
            Waits.join(closer, "close(true)");
        });
        for (CompletableFuture<Long> f : inFlight) {
            Throwable cause = failureOf(f);
            assertTrue(cause instanceof CancellationException c && c.getCause() instanceof DirectIoException d
                    && d.errnoName().equals("ECANCELED"),
                    "in flight, cancelled by ASYNC_CANCEL: a CancellationException with the slice's ECANCELED as its "
                    + "cause: " + cause);
        }
        for (CompletableFuture<Long> f : queued) {
            assertTrue(failureOf(f) instanceof CancellationException, "queued, never issued: " + failureOf(f));
        }
        System.out.println("close(true): in flight -> " + failureOf(inFlight.get(0)).getMessage() + "; queued -> "
                + failureOf(queued.get(0)).getMessage());
        assertTrue(engine.isClosed());
        assertTrue(pipe.isClosed(), "the engine closed its files");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pipe.read(0, MemorySegment.NULL));
        assertTrue(e.getMessage().contains(fifo.toString()), e.getMessage());
        assertThrows(IllegalStateException.class, () -> engine.open(fifo));
        engine.close(true); // again: a no-op
    }

    @Test
    void aRequestHeldBehindAWriteIsFailedNotLostWhenItsRingClosedFirst() throws Exception {
        Kernel.assumeIoUring(); // stalls an io_uring ring thread
        int rings = 2;
        Path p = dir.resolve("held");
        Files.write(p, new byte[4 * BLOCK]);
        EngineConfig config = EngineConfig.defaults().withRings(rings).withCompletionMode(CompletionMode.INLINE)
                .withSubmission(Submission.RING_THREADS); // RingStall stalls a ring thread
        IoEngine engine = IoEngine.create(config);
        DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        MemorySegment src = engine.buffers().allocate(BLOCK);
        MemorySegment dst = engine.buffers().allocate(BLOCK);
        Thread ring0 = liveThread("dioring-ring-0");
        assertTimeoutPreemptively(DEADLOCK_GUARD, () -> {
            RingStall stall = new RingStall(engine, rings, 1, dir);
            // The write waits on stalled ring 1; the read, meant for ring 0, is held behind it.
            CompletableFuture<Long> write = Waits.join(RingStall.onRing(rings, 1, () -> f.write(0, src)),
                    "the submission of the write on ring 1");
            long holds = f.orderingHolds();
            CompletableFuture<Long> read = Waits.join(RingStall.onRing(rings, 0, () -> f.read(0, dst)),
                    "the submission of the read on ring 0");
            assertEquals(holds + 1, f.orderingHolds(), "the read is held");
            Thread closer = Thread.ofPlatform().name("closer").start(() -> engine.close(true));
            Waits.join(ring0, "ring 0's close"); // ring 0 has nothing to do: it closes first
            stall.release(); // ring 1 now fails the write, which releases the read towards closed ring 0
            Waits.join(closer, "close(true)");
            // Whether ring 1 saw the cancel before it got to the write is a race; either outcome is right.
            assertTrue(write.isDone(), "the write is completed or failed, not lost");
            if (write.isCompletedExceptionally()) {
                Throwable writeFailure = failureOf(write);
                assertTrue(writeFailure instanceof CancellationException
                        || (writeFailure instanceof DirectIoException d && d.errnoName().equals("ECANCELED")),
                        "write: " + writeFailure);
            } else {
                assertEquals(BLOCK, write.join());
            }
            Throwable readFailure = failureOf(read);
            assertTrue(readFailure instanceof CancellationException, "read: " + readFailure);
            assertTrue(readFailure.getMessage().contains(p.toString()), readFailure.getMessage());
        });
        assertTrue(f.isClosed());
    }

    /** The one live thread of that name (the engine's under test: earlier ones are closed). */
    private static Thread liveThread(String name) {
        List<Thread> found = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.isAlive()).toList();
        assertEquals(1, found.size(), "live threads named " + name + ": " + found);
        return found.get(0);
    }

    static Stream<Arguments> backendsAndModes() {
        return BackendSuite.ALL.stream().flatMap(b -> Arrays.stream(CompletionMode.values()).map(m -> Arguments.of(b, m)));
    }

    @ParameterizedTest
    @MethodSource("backendsAndModes")
    void anEngineClosedFromInsideACallbackDoesNotDeadlock(Backend backend, CompletionMode mode) throws Exception {
        if (backend == Backend.IO_URING) {
            Kernel.assumeIoUring();
        }
        Path p = dir.resolve("callback-" + mode);
        Files.write(p, new byte[BLOCK]);
        IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withCompletionMode(mode));
        DirectFile f = engine.open(p);
        CountDownLatch closedInCallback = new CountDownLatch(1);
        AtomicReference<Throwable> problem = new AtomicReference<>();
        assertTimeoutPreemptively(DEADLOCK_GUARD, () -> {
            f.read(0, engine.buffers().allocate(BLOCK), null, new CompletionHandler<Void>() {
                @Override
                public void completed(long bytes, Void attachment) {
                    try {
                        engine.close();
                    } catch (Throwable t) {
                        problem.set(t);
                    }
                    closedInCallback.countDown();
                }

                @Override
                public void failed(Throwable failure, Void attachment) {
                    problem.set(failure);
                    closedInCallback.countDown();
                }
            });
            Waits.await(closedInCallback, "the close from the callback");
            while (!f.isClosed()) {
                Thread.sleep(1); // the engine finishes closing off the callback's thread
            }
            engine.close(); // from outside too: returns once everything is released
        });
        if (problem.get() != null) {
            throw new AssertionError("closing from a " + mode + " callback failed", problem.get());
        }
        assertTrue(engine.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> f.read(0, MemorySegment.NULL));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @BackendTest
    void fsyncFdatasyncAndDurableWritesComplete(Backend backend) throws Exception {
        Path p = dir.resolve("durable");
        byte[] expected = new byte[4 * BLOCK];
        new Random(9).nextBytes(expected);
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            MemorySegment[] bufs = new MemorySegment[4];
            for (int i = 0; i < 4; i++) {
                bufs[i] = engine.buffers().allocate(BLOCK);
                MemorySegment.copy(expected, i * BLOCK, bufs[i], ValueLayout.JAVA_BYTE, 0, BLOCK);
            }
            assertEquals(BLOCK, f.writeDurably(0, bufs[0], true).get(10, java.util.concurrent.TimeUnit.SECONDS),
                    "extending, with fsync");
            assertEquals(BLOCK, Waits.get(f.writeDurably(BLOCK, bufs[1], false), "the extending durable write"),
                    "extending, with fdatasync");
            f.preallocate(0, 4L * BLOCK, false);
            long sqesBefore = engine.slicesIssued();
            assertEquals(BLOCK, Waits.get(f.writeDurably(2L * BLOCK, bufs[2], false), "the durable write inside"),
                    "inside, with fdatasync");
            assertEquals(1, engine.slicesIssued() - sqesBefore,
                    "a durable write is one SQE (RWF_DSYNC), one round trip, no separate fdatasync");
            assertEquals(BLOCK, Waits.get(f.write(3L * BLOCK, bufs[3]), "the write of block 3"));
            assertEquals(0, Waits.get(f.fsync(), "fsync"));
            assertEquals(0, Waits.get(f.fdatasync(), "fdatasync"));
            assertEquals(2, f.extendingWrites());
            assertEquals(2, f.asyncWrites());
        }
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @BackendTest
    void openingAndClosingFilesAndEnginesLeaksNoDescriptor(Backend backend) throws Exception {
        openAndCloseMany(2, backend); // loads every class and opens whatever the JVM keeps open
        long before = openDescriptors();
        openAndCloseMany(100, backend);
        long after = openDescriptors();
        System.out.printf("descriptors: %d before, %d after opening and closing 100 files, an owned ring "
                + "and an engine%n", before, after);
        assertEquals(before, after, "descriptors leaked");
    }

    private void openAndCloseMany(int files, Backend backend) throws IOException {
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend))) {
            MemorySegment buf = engine.buffers().allocate(BLOCK);
            for (int i = 0; i < files; i++) {
                DirectFile f = engine.open(dir.resolve("fd-" + i), StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE);
                assertEquals(BLOCK, f.writeFully(0, buf));
                f.close();
            }
            try (OwnedRing ring = engine.ownedRing()) {
                ring.poll();
            }
            // One left open: the engine closes it.
            engine.open(dir.resolve("fd-0"));
        }
    }

    /** What a failed future failed with (a CancellationException is not wrapped by get()). */
    private static Throwable failureOf(CompletableFuture<Long> f) {
        assertTrue(f.isDone(), "completed by close");
        try {
            f.get();
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("completed normally: " + f.join());
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static boolean isOpen(int fd, Path p) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).equals(p);
        } catch (IOException e) {
            return false;
        }
    }
}
