package io.dioring.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.CompletionHandler;
import io.dioring.DirectIoException;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.RwFlags;
import io.dioring.ffi.linux.libc_h;
import io.dioring.DioAlignment;
import io.dioring.file.FileState;
import io.dioring.reap.Aggregator;
import io.dioring.request.IoRequest;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thread-pool backend's own rules, with faults injected at the syscall boundary
 * ({@link PositionalIo}): short calls in the middle, EIO, EAGAIN, writes that make no
 * progress, merged calls that fail or come back short, back-pressure and close with cancel.
 * The behaviour shared with io_uring is covered by the engine's {@code @BackendTest} suite.
 */
class ThreadPoolSinkTest {
    private static final int BLOCK = 4096;
    private static final int SLICE = 64 * 1024;
    private static final int SLICES = 8;
    private static final long TIMEOUT_S = 10;

    @TempDir
    Path dir;
    private final Arena arena = Arena.ofShared();
    private byte[] content;
    private Path path;
    private int fd = -1;
    private FileState file;
    private ThreadPoolSink pool;
    private final Faults faults = new Faults();

    @BeforeEach
    void setUp() throws Exception {
        content = new byte[SLICE * SLICES];
        new Random(11).nextBytes(content);
        path = dir.resolve("data");
        Files.write(path, content);
        fd = Libc.open(path.toString(), libc_h.O_RDWR() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        assertTrue(fd >= 0, "open " + path + ": " + Errno.describe(fd));
        file = new FileState(fd, path, true, true, true, new DioAlignment(BLOCK, BLOCK, "test"), SLICE,
                content.length);
    }

    @AfterEach
    void tearDown() {
        faults.gate.countDown();
        if (pool != null) {
            pool.close(true);
        }
        if (fd >= 0) {
            Libc.close(fd);
        }
        arena.close();
    }

    // ---- split and aggregate ----------------------------------------------------------

    @Test
    void aShortReadInTheMiddleIsMadeAgainForTheRestAndTheRequestGetsEveryByte() throws Exception {
        faults.shortAt = off -> off == 3L * SLICE;
        pool = pool(4, 16);
        MemorySegment buf = buffer(content.length);
        assertEquals(content.length, submit(IoRequest.READ, 0, buf).get(TIMEOUT_S, TimeUnit.SECONDS));
        assertArrayEquals(content, buf.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(SLICES + 1, faults.calls.get(), "one pread per slice, one more for the short one's rest");
    }

    @Test
    void anEioOnOneSliceFailsTheRequestWithThatErrnoAndOffsetAndStopsTheSlicesAfterIt() throws Exception {
        faults.errnoAt = off -> off == 5L * SLICE ? Errno.EIO : 0;
        pool = pool(4, 16);
        Throwable t = failureOf(submit(IoRequest.READ, 0, buffer(content.length)));
        DirectIoException e = assertInstanceOf(DirectIoException.class, t);
        assertEquals("EIO", e.errnoName());
        assertEquals("read", e.op());
        assertEquals(5L * SLICE, e.offset(), "the failing slice's offset");
        assertEquals(SLICE, e.length(), "the failing slice's length");
        assertEquals(6, faults.calls.get(), "slices after the error are not made");
    }

    @Test
    void eagainIsRetriedABoundedNumberOfTimesThenCountsAsTheError() throws Exception {
        AtomicInteger eagains = new AtomicInteger(3);
        faults.errnoAt = off -> off == 0 && eagains.getAndDecrement() > 0 ? Errno.EAGAIN : 0;
        pool = pool(1, 16);
        MemorySegment buf = buffer(SLICE);
        assertEquals(SLICE, submit(IoRequest.READ, 0, buf).get(TIMEOUT_S, TimeUnit.SECONDS));
        assertArrayEquals(Arrays.copyOf(content, SLICE), buf.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(4, faults.calls.get(), "three EAGAINs, then the call that worked");

        faults.calls.set(0);
        faults.errnoAt = off -> Errno.EAGAIN;
        DirectIoException e = assertInstanceOf(DirectIoException.class, failureOf(submit(IoRequest.READ, 0, buf)));
        assertEquals("EAGAIN", e.errnoName());
        assertEquals(Aggregator.MAX_RETRIES + 1, faults.calls.get(), "retried MAX_RETRIES times, then it stands");
    }

    @Test
    void aWriteThatMakesNoProgressFailsWithEio() throws Exception {
        faults.zeroAt = off -> off == 2L * SLICE;
        pool = pool(2, 16);
        DirectIoException e = assertInstanceOf(DirectIoException.class,
                failureOf(submit(IoRequest.WRITE, 0, buffer(4L * SLICE))));
        assertEquals("EIO", e.errnoName());
        assertEquals(2L * SLICE, e.offset());
        assertTrue(e.getMessage().contains("short write"), e.getMessage());
    }

    @Test
    void withRawOutcomesAShortReadIsTheResultAsItCame() throws Exception {
        file.setRawOutcomes(true);
        faults.shortAt = off -> off == 3L * SLICE;
        pool = pool(2, 16);
        long n = submit(IoRequest.READ, 0, buffer(content.length)).get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(3L * SLICE + SLICE / 2, n, "the prefix up to where the short read stopped");
    }

    @Test
    void aDurableWriteIsOneFlaggedCallPerSliceAndAZeroLengthOneIsASync() throws Exception {
        pool = pool(2, 16);
        IoRequest ok = request(IoRequest.WRITE, 0, buffer(2L * SLICE));
        ok.durable(IoRequest.FDATASYNC);
        assertEquals(2L * SLICE, submit(ok).get(TIMEOUT_S, TimeUnit.SECONDS));
        assertEquals(List.of(RwFlags.RWF_DSYNC, RwFlags.RWF_DSYNC), faults.durableFlags, "pwritev2 per slice");
        assertEquals(0, faults.syncs.get(), "no separate sync");

        faults.durableErrno = Errno.EIO;
        IoRequest failing = request(IoRequest.WRITE, 0, buffer(SLICE));
        failing.durable(IoRequest.FSYNC);
        DirectIoException e = assertInstanceOf(DirectIoException.class, failureOf(submit(failing)));
        assertEquals("EIO", e.errnoName());
        assertEquals("write", e.op());
        assertEquals(RwFlags.RWF_SYNC, faults.durableFlags.get(2), "with metadata: RWF_SYNC");

        IoRequest empty = request(IoRequest.WRITE, 0, buffer(SLICE)).set(IoRequest.WRITE, file, 0,
                new MemorySegment[0], null);
        empty.durable(IoRequest.FDATASYNC);
        assertEquals(0, submit(empty).get(TIMEOUT_S, TimeUnit.SECONDS));
        assertEquals(1, faults.syncs.get(), "a zero-length durable write is a sync");
    }

    // ---- coalescing -------------------------------------------------------------------

    @Test
    void contiguousReadsWaitingTogetherGoOutAsOnePreadvAndEachGetsItsBytes() throws Exception {
        pool = pool(1, 64);
        CompletableFuture<Long> blocker = holdTheOnlyWorker();
        MemorySegment[] bufs = new MemorySegment[8];
        CompletableFuture<?>[] reads = new CompletableFuture<?>[8];
        for (int i = 0; i < 8; i++) {
            bufs[i] = buffer(BLOCK);
            reads[i] = submit(IoRequest.READ, (long) i * BLOCK, bufs[i]);
        }
        faults.gate.countDown();
        assertEquals(BLOCK, blocker.get(TIMEOUT_S, TimeUnit.SECONDS));
        for (int i = 0; i < 8; i++) {
            assertEquals((long) BLOCK, reads[i].get(TIMEOUT_S, TimeUnit.SECONDS));
            assertArrayEquals(Arrays.copyOfRange(content, i * BLOCK, (i + 1) * BLOCK),
                    bufs[i].toArray(ValueLayout.JAVA_BYTE), "block " + i);
        }
        assertEquals(7, pool.coalescedRequests(), "eight reads, one preadv");
        assertEquals(1, faults.vectorCalls.get());
    }

    @Test
    void anErrorOnAMergedCallUnmergesItAndEachRequestGetsItsOwnOutcome() throws Exception {
        faults.vectorErrno = Errno.EIO;
        faults.errnoAt = off -> off == 2L * BLOCK ? Errno.EIO : 0; // the bad block, alone
        pool = pool(1, 64);
        CompletableFuture<Long> blocker = holdTheOnlyWorker();
        CompletableFuture<?>[] writes = new CompletableFuture<?>[4];
        for (int i = 0; i < 4; i++) {
            writes[i] = submit(IoRequest.WRITE, (long) i * BLOCK, buffer(BLOCK));
        }
        faults.gate.countDown();
        assertEquals(BLOCK, blocker.get(TIMEOUT_S, TimeUnit.SECONDS));
        for (int i = 0; i < 4; i++) {
            if (i == 2) {
                DirectIoException e = assertInstanceOf(DirectIoException.class, failureOf(writes[i]));
                assertEquals("EIO", e.errnoName());
                assertEquals(2L * BLOCK, e.offset(), "its own offset, not the merged call's");
                assertEquals(BLOCK, e.length());
            } else {
                assertEquals((long) BLOCK, writes[i].get(TIMEOUT_S, TimeUnit.SECONDS), "write " + i);
            }
        }
        assertEquals(1, faults.vectorCalls.get(), "one pwritev, then each write alone");
    }

    @Test
    void aShortMergedReadCompletesWhatItCoveredAndRunsTheRestAlone() throws Exception {
        faults.vectorShortBytes = 2 * BLOCK + BLOCK / 2; // ends inside the third
        pool = pool(1, 64);
        CompletableFuture<Long> blocker = holdTheOnlyWorker();
        MemorySegment[] bufs = new MemorySegment[4];
        CompletableFuture<?>[] reads = new CompletableFuture<?>[4];
        for (int i = 0; i < 4; i++) {
            bufs[i] = buffer(BLOCK);
            reads[i] = submit(IoRequest.READ, (long) i * BLOCK, bufs[i]);
        }
        int before = faults.calls.get();
        faults.gate.countDown();
        blocker.get(TIMEOUT_S, TimeUnit.SECONDS);
        for (int i = 0; i < 4; i++) {
            assertEquals((long) BLOCK, reads[i].get(TIMEOUT_S, TimeUnit.SECONDS), "read " + i);
            assertArrayEquals(Arrays.copyOfRange(content, i * BLOCK, (i + 1) * BLOCK),
                    bufs[i].toArray(ValueLayout.JAVA_BYTE), "block " + i);
        }
        assertEquals(1, faults.vectorCalls.get());
        assertEquals(2, faults.calls.get() - before, "the two it did not cover went alone, one pread each");
    }

    // ---- back-pressure, close, exactly once -------------------------------------------

    @Test
    void aFullQueueBlocksTheSubmitterAndAnInterruptRefusesItsRequestButAnInterruptedCallerWithRoomIsTaken()
            throws Exception {
        pool = pool(1, 2);
        CompletableFuture<Long> blocker = holdTheOnlyWorker();
        CompletableFuture<Long> first = submit(IoRequest.READ, BLOCK, buffer(BLOCK));
        CompletableFuture<Long> second = submit(IoRequest.READ, 2L * BLOCK, buffer(BLOCK));
        AtomicReference<Throwable> refused = new AtomicReference<>();
        IoRequest third = request(IoRequest.READ, 3L * BLOCK, buffer(BLOCK));
        Thread submitter = Thread.ofPlatform().start(() -> {
            try {
                pool.accept(third);
            } catch (Throwable t) {
                refused.set(t);
            }
        });
        awaitState(submitter, Thread.State.WAITING);
        submitter.interrupt();
        submitter.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        InterruptedIOException e = assertInstanceOf(InterruptedIOException.class, refused.get());
        assertTrue(e.getMessage().contains("was not submitted"), e.getMessage());
        assertFalse(third.completed(), "not taken: it never completes");

        faults.gate.countDown();
        blocker.get(TIMEOUT_S, TimeUnit.SECONDS);
        first.get(TIMEOUT_S, TimeUnit.SECONDS);
        second.get(TIMEOUT_S, TimeUnit.SECONDS);
        Thread.currentThread().interrupt();
        CompletableFuture<Long> withFlag;
        try {
            withFlag = submit(IoRequest.READ, 0, buffer(BLOCK)); // room: taken despite the flag
        } finally {
            assertTrue(Thread.interrupted(), "the flag is left as it was");
        }
        assertEquals(BLOCK, withFlag.get(TIMEOUT_S, TimeUnit.SECONDS));
    }

    @Test
    void closeWithCancelFailsQueuedRequestsOnceEachAndWaitsForTheCallInFlight() throws Exception {
        pool = pool(1, 16);
        AtomicInteger[] outcomes = new AtomicInteger[4];
        AtomicReference<Throwable>[] failures = newFailures(4);
        CountDownLatch done = new CountDownLatch(4);
        CompletionHandler<Object> counting = new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Object index) {
                outcomes[(int) index].incrementAndGet();
                done.countDown();
            }

            @Override
            public void failed(Throwable t, Object index) {
                outcomes[(int) index].incrementAndGet();
                failures[(int) index].set(t);
                done.countDown();
            }
        };
        faults.gateAt = off -> off == 0;
        for (int i = 0; i < 4; i++) {
            outcomes[i] = new AtomicInteger();
            IoRequest r = request(IoRequest.READ, (long) i * 2 * BLOCK, buffer(BLOCK)); // not contiguous: no merge
            r.replyTo(counting, i, null, false);
            pool.accept(r);
            if (i == 0) {
                assertTrue(faults.entered.await(TIMEOUT_S, TimeUnit.SECONDS), "the first read is in its call");
            }
        }
        Thread closer = Thread.ofPlatform().start(() -> pool.close(true));
        awaitTrue(() -> done.getCount() <= 1, "the queued requests are cancelled while the call is in flight");
        assertEquals(0, outcomes[0].get(), "the call in flight cannot be cancelled");
        assertTrue(closer.isAlive(), "close waits for it");
        faults.gate.countDown();
        closer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        assertFalse(closer.isAlive());
        assertTrue(done.await(TIMEOUT_S, TimeUnit.SECONDS));
        for (int i = 0; i < 4; i++) {
            assertEquals(1, outcomes[i].get(), "request " + i + " completed exactly once");
        }
        assertEquals(null, failures[0].get(), "the one in flight finished normally");
        for (int i = 1; i < 4; i++) {
            assertInstanceOf(CancellationException.class, failures[i].get(), "queued request " + i);
        }
        assertTrue(pool.isTerminated());
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> pool.accept(request(IoRequest.READ, 0, buffer(BLOCK))));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());

        // Released after every worker ended: still completes, once (cancelled).
        CompletableFuture<Long> late = new CompletableFuture<>();
        IoRequest r = request(IoRequest.READ, 0, buffer(BLOCK));
        r.replyTo(null, null, late, false);
        pool.release(r);
        assertInstanceOf(CancellationException.class, failureOf(late));
    }

    // ---- helpers ------------------------------------------------------------------------

    private ThreadPoolSink pool(int threads, int capacity) {
        return new ThreadPoolSink("test-io", threads, capacity, new Delivery(null, Runnable::run), faults);
    }

    /** Occupies the only worker with a read (of the last block) that waits on the gate. */
    private CompletableFuture<Long> holdTheOnlyWorker() throws Exception {
        long last = content.length - BLOCK;
        faults.gateAt = off -> off == last;
        CompletableFuture<Long> f = submit(IoRequest.READ, last, buffer(BLOCK));
        assertTrue(faults.entered.await(TIMEOUT_S, TimeUnit.SECONDS), "the worker is in its call");
        faults.calls.set(0);
        return f;
    }

    private MemorySegment buffer(long size) {
        return arena.allocate(size, BLOCK);
    }

    private IoRequest request(int op, long offset, MemorySegment buf) {
        IoRequest r = new IoRequest().set(op, file, offset, buf, -1);
        r.givenTo(pool);
        return r;
    }

    private CompletableFuture<Long> submit(int op, long offset, MemorySegment buf) throws InterruptedIOException {
        return submit(request(op, offset, buf));
    }

    private CompletableFuture<Long> submit(IoRequest r) throws InterruptedIOException {
        CompletableFuture<Long> f = new CompletableFuture<>();
        r.replyTo(null, null, f, false);
        r.givenTo(pool);
        pool.accept(r);
        return f;
    }

    private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        try {
            Object v = f.get(TIMEOUT_S, TimeUnit.SECONDS);
            throw new AssertionError("completed normally with " + v);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (CancellationException e) {
            return e;
        }
    }

    @SuppressWarnings("unchecked")
    private static AtomicReference<Throwable>[] newFailures(int n) {
        AtomicReference<Throwable>[] a = new AtomicReference[n];
        for (int i = 0; i < n; i++) {
            a[i] = new AtomicReference<>();
        }
        return a;
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        awaitTrue(() -> t.getState() == state, t.getName() + " " + state);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(1);
        }
    }

    /** The real calls, with faults where the predicates say (by file offset). */
    private static final class Faults implements PositionalIo {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger vectorCalls = new AtomicInteger();
        final AtomicInteger syncs = new AtomicInteger();
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        volatile LongPredicate gateAt = off -> false;
        /** Returns half of what was asked (really transferring it) at these offsets, once each. */
        volatile LongPredicate shortAt = off -> false;
        /** Returns 0 (no progress) at these offsets. */
        volatile LongPredicate zeroAt = off -> false;
        volatile java.util.function.LongToIntFunction errnoAt = off -> 0;
        volatile int vectorErrno;
        volatile long vectorShortBytes;
        volatile int syncErrno;
        volatile int durableErrno;
        final List<Integer> durableFlags = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.Set<Long> shortened = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public long pread(int fd, MemorySegment buffer, long offset) {
            return call(fd, buffer, offset, false);
        }

        @Override
        public long pwrite(int fd, MemorySegment buffer, long offset) {
            return call(fd, buffer, offset, true);
        }

        private long call(int fd, MemorySegment buffer, long offset, boolean write) {
            calls.incrementAndGet();
            if (gateAt.test(offset)) {
                entered.countDown();
                try {
                    gate.await(TIMEOUT_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int errno = errnoAt.applyAsInt(offset);
            if (errno != 0) {
                return -errno;
            }
            if (zeroAt.test(offset)) {
                return 0;
            }
            MemorySegment part = buffer;
            if (shortAt.test(offset) && shortened.add(offset)) {
                part = buffer.asSlice(0, buffer.byteSize() / 2);
            }
            return write ? PositionalIo.LIBC.pwrite(fd, part, offset) : PositionalIo.LIBC.pread(fd, part, offset);
        }

        @Override
        public long preadv(int fd, MemorySegment iovecs, int count, long offset) {
            return vector(fd, iovecs, count, offset, false);
        }

        @Override
        public long pwritev(int fd, MemorySegment iovecs, int count, long offset) {
            return vector(fd, iovecs, count, offset, true);
        }

        private long vector(int fd, MemorySegment iovecs, int count, long offset, boolean write) {
            vectorCalls.incrementAndGet();
            if (vectorErrno != 0) {
                return -vectorErrno;
            }
            long n = write ? PositionalIo.LIBC.pwritev(fd, iovecs, count, offset)
                    : PositionalIo.LIBC.preadv(fd, iovecs, count, offset);
            // A short result: the kernel may report fewer bytes than it moved for the later buffers.
            return vectorShortBytes > 0 && n > vectorShortBytes ? vectorShortBytes : n;
        }

        @Override
        public long pwritev2(int fd, MemorySegment iovecs, int count, long offset, int flags) {
            calls.incrementAndGet();
            durableFlags.add(flags);
            return durableErrno != 0 ? -durableErrno : PositionalIo.LIBC.pwritev2(fd, iovecs, count, offset, flags);
        }

        @Override
        public int fsync(int fd) {
            syncs.incrementAndGet();
            return syncErrno != 0 ? -syncErrno : PositionalIo.LIBC.fsync(fd);
        }

        @Override
        public int fdatasync(int fd) {
            syncs.incrementAndGet();
            return syncErrno != 0 ? -syncErrno : PositionalIo.LIBC.fdatasync(fd);
        }
    }
}
