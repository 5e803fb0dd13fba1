package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.libc_h;
import io.dioring.file.FileState;
import io.dioring.reap.RingLoop;
import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 004: contiguous requests of one direction waiting in the same batch go out as one
 * READV/WRITEV SQE, and each still gets its own result and its own error.
 */
@org.junit.jupiter.api.Timeout(60) // the simulated rings complete every future inside run(); a bug must not hang CI
class CoalesceTest {
    private static final int BLOCK = 4096;
    private static final int COUNT = 64;
    private static final int OP_READ = io_uring_h.IORING_OP_READ();
    private static final int OP_WRITE = io_uring_h.IORING_OP_WRITE();
    private static final int OP_READV = io_uring_h.IORING_OP_READV();
    private static final int OP_WRITEV = io_uring_h.IORING_OP_WRITEV();

    @TempDir
    Path dir;

    /** Results by request index, filled by the handlers (inline, on the owner thread). */
    private final long[] results = new long[COUNT];
    private final Throwable[] failures = new Throwable[COUNT];
    private final CompletionHandler<Integer> record = new CompletionHandler<>() {
        @Override
        public void completed(long bytes, Integer index) {
            results[index] = bytes;
        }

        @Override
        public void failed(Throwable failure, Integer index) {
            failures[index] = failure;
        }
    };

    // ---- on the kernel ------------------------------------------------------------------

    /*
     * On both backends: each request's own result and the bytes on disk. The SQE counts are
     * io_uring's (everything queued goes out in the one poll); on THREADS which requests
     * wait together for a worker depends on timing (ThreadPoolBackendTest pins it down).
     */

    @BackendTest
    void sixtyFourContiguousWritesQueuedTogetherGoOutAsOneSqeAndReadsToo(Backend backend) throws Exception {
        byte[] expected = new byte[COUNT * BLOCK];
        new Random(4).nextBytes(expected);
        Path p = dir.resolve("coalesced");
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            f.preallocate(0, expected.length, false); // the writes are not extending: they queue
            int expectedSqes = sqesFor(f);
            try (OwnedRing ring = engine.ownedRing()) {
                long sqes = queueAndPollOnce(ring, f, IoRequest.WRITE, buffers(engine, expected));
                System.out.printf("%s, coalescing on: %d contiguous %d-byte writes -> %d SQE(s)/calls (maxIoBytes "
                        + "%d), %d saved%n", backend, COUNT, BLOCK, sqes, f.maxIoBytes(), ring.coalescedRequests());
                if (backend == Backend.IO_URING) {
                    assertEquals(expectedSqes, sqes, "SQEs for " + COUNT + " contiguous writes");
                    assertEquals(COUNT - expectedSqes, ring.coalescedRequests(), "SQEs saved");
                }
                assertEach(BLOCK);

                MemorySegment[] readBufs = buffers(engine, new byte[expected.length]);
                long readSqes = queueAndPollOnce(ring, f, IoRequest.READ, readBufs);
                if (backend == Backend.IO_URING) {
                    assertEquals(expectedSqes, readSqes, "SQEs for " + COUNT + " contiguous reads");
                }
                assertEach(BLOCK);
                for (int i = 0; i < COUNT; i++) {
                    assertArrayEquals(Arrays.copyOfRange(expected, i * BLOCK, (i + 1) * BLOCK),
                            readBufs[i].toArray(ValueLayout.JAVA_BYTE), "block " + i + " read back");
                }
            }
            assertEquals(0, f.extendingWrites());
            assertEquals(COUNT, f.asyncWrites());
        }
        assertArrayEquals(expected, Files.readAllBytes(p), "bytes on disk");
    }

    @BackendTest
    void withCoalescingOffEachRequestIsItsOwnSqe(Backend backend) throws Exception {
        byte[] expected = new byte[COUNT * BLOCK];
        new Random(5).nextBytes(expected);
        Path p = dir.resolve("uncoalesced");
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withCoalescing(false));
                DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            f.preallocate(0, expected.length, false);
            try (OwnedRing ring = engine.ownedRing()) {
                long sqes = queueAndPollOnce(ring, f, IoRequest.WRITE, buffers(engine, expected));
                System.out.printf("coalescing off: %d contiguous %d-byte writes -> %d SQEs%n", COUNT, BLOCK, sqes);
                assertEquals(COUNT, sqes);
                assertEquals(0, ring.coalescedRequests());
                assertEach(BLOCK);
            }
        }
        assertArrayEquals(expected, Files.readAllBytes(p), "bytes on disk");
    }

    @BackendTest
    void aFailedMergedWriteFailsEachRequestWithItsErrno(Backend backend) throws Exception {
        Path p = dir.resolve("read-only");
        Files.write(p, new byte[COUNT * BLOCK]);
        // The engine is told the descriptor may be written; the kernel knows better (EBADF).
        int fd = Libc.open(p.toString(), libc_h.O_RDONLY() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        assertTrue(fd >= 0, "open " + p + ": " + Errno.describe(fd));
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = engine.adopt(fd, p, true, true, true)) {
            int n = 8;
            try (OwnedRing ring = engine.ownedRing()) {
                long sqes = queueAndPollOnce(ring, f, IoRequest.WRITE, buffers(engine, new byte[n * BLOCK]));
                if (backend == Backend.IO_URING) {
                    assertEquals(1 + n, sqes, "the " + n + " writes went out as one WRITEV, then each on its own "
                            + "after it failed (the error might have been one block's)");
                    assertEquals(n - 1, ring.coalescedRequests());
                }
            }
            for (int i = 0; i < n; i++) {
                DirectIoException e = assertInstanceOf(DirectIoException.class, failures[i], "request " + i);
                assertEquals("EBADF", e.errnoName(), e.getMessage());
                assertEquals("write", e.op());
                assertEquals((long) i * BLOCK, e.offset(), "each failure names its own request's offset");
                assertEquals(BLOCK, e.length());
            }
        } finally {
            Libc.close(fd);
        }
    }

    private static int sqesFor(DirectFile f) {
        int perSqe = Math.min(RingLoop.MAX_IOVECS_PER_SQE, f.maxIoBytes() / BLOCK);
        return (COUNT + perSqe - 1) / perSqe;
    }

    /** Queues one request per buffer, back to back from offset 0, polls once, and drains. */
    private long queueAndPollOnce(OwnedRing ring, DirectFile f, int op, MemorySegment[] bufs) {
        Arrays.fill(results, -1);
        Arrays.fill(failures, null);
        long before = ring.slicesIssued();
        for (int i = 0; i < bufs.length; i++) {
            if (op == IoRequest.WRITE) {
                ring.write(f, (long) i * BLOCK, bufs[i], i, record);
            } else {
                ring.read(f, (long) i * BLOCK, bufs[i], i, record);
            }
        }
        ring.poll();
        long sqes = ring.slicesIssued() - before;
        ring.drain();
        if (ring.backend() == Backend.IO_URING) {
            assertEquals(sqes, ring.slicesIssued() - before, "everything went out in the one poll");
        }
        return ring.slicesIssued() - before;
    }

    private static MemorySegment[] buffers(IoEngine engine, byte[] data) {
        MemorySegment[] bufs = new MemorySegment[data.length / BLOCK];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = engine.buffers().allocate(BLOCK);
            MemorySegment.copy(data, i * BLOCK, bufs[i], ValueLayout.JAVA_BYTE, 0, BLOCK);
        }
        return bufs;
    }

    private void assertEach(long expected) {
        for (int i = 0; i < COUNT; i++) {
            assertNull(failures[i], "request " + i);
            assertEquals(expected, results[i], "result of request " + i);
        }
    }

    // ---- on a simulated ring: the split-back rules --------------------------------------

    @Test
    void aShortMergedWriteCompletesWhatItCoveredAndResubmitsTheRestUnmerged() {
        try (Arena arena = Arena.ofConfined()) {
            ScriptedRing ring = new ScriptedRing(sqe -> sqe.opcode == OP_WRITEV ? BLOCK + BLOCK / 2 : sqe.length);
            Sim sim = new Sim(ring, arena, IoRequest.WRITE, 4);
            sim.run();
            assertEquals(List.of(OP_WRITEV, OP_WRITE, OP_WRITE, OP_WRITE), ring.opcodes());
            ScriptedRing.Sqe merged = ring.log.get(0);
            assertEquals(4, merged.iovLengths.length, "one iovec per request");
            for (int i = 0; i < 4; i++) {
                assertEquals(sim.buffers[i].address(), merged.iovBases[i], "iovec " + i + " base");
                assertEquals(BLOCK, merged.iovLengths[i], "iovec " + i + " length");
            }
            // Request 1 got half: its remainder goes out alone; 2 and 3 go out whole.
            assertEquals(BLOCK + BLOCK / 2, ring.log.get(1).offset);
            assertEquals(BLOCK / 2, ring.log.get(1).length);
            assertEquals(sim.buffers[1].address() + BLOCK / 2, ring.log.get(1).address);
            assertEquals(2L * BLOCK, ring.log.get(2).offset);
            assertEquals(3L * BLOCK, ring.log.get(3).offset);
            for (int i = 0; i < 4; i++) {
                assertEquals(BLOCK, Waits.join(sim.futures[i], "write " + i), "write " + i);
            }
            assertEquals(3, sim.loop.coalescedRequests());
        }
    }

    @Test
    void aMergedReadShortAtEndOfFileGivesEachReadItsPrefix() {
        int endOfFile = BLOCK + 1000; // not on the O_DIRECT alignment: nothing more can be read
        try (Arena arena = Arena.ofConfined()) {
            ScriptedRing ring = new ScriptedRing(sqe -> (int) Math.max(0,
                    Math.min(sqe.length, endOfFile - sqe.offset)));
            Sim sim = new Sim(ring, arena, IoRequest.READ, 4);
            sim.run();
            assertEquals(BLOCK, Waits.join(sim.futures[0], "read 0"));
            assertEquals(1000, Waits.join(sim.futures[1], "read 1"), "the read the file ends inside");
            assertEquals(0, Waits.join(sim.futures[2], "read 2"), "past the end");
            assertEquals(0, Waits.join(sim.futures[3], "read 3"), "past the end");
            assertEquals(List.of(OP_READV, OP_READ, OP_READ), ring.opcodes(),
                    "the reads wholly past the end are asked again on their own, and the file says 0");
        }
    }

    @Test
    void anErrorOnAMergedSqeUnmergesItSoEachRequestGetsItsOwnOutcomeAndEagainReissuesIt() {
        try (Arena arena = Arena.ofConfined()) {
            // Block 2 is bad: the merged WRITEV covering it fails, and so does block 2 alone.
            long bad = 2L * BLOCK;
            ScriptedRing ring = new ScriptedRing(sqe -> sqe.offset <= bad && bad < sqe.offset + sqe.length
                    ? -Errno.EIO : sqe.length);
            Sim sim = new Sim(ring, arena, IoRequest.WRITE, 5);
            sim.run();
            assertEquals(List.of(OP_WRITEV, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE), ring.opcodes(),
                    "after the hard error each request goes again on its own, once");
            for (int i = 0; i < 5; i++) {
                if (i != 2) {
                    assertEquals(BLOCK, Waits.join(sim.futures[i], "write " + i),
                            "write " + i + " is not failed by its neighbour's error");
                    continue;
                }
                CompletableFuture<Long> failing = sim.futures[i];
                ExecutionException e = assertThrows(ExecutionException.class, () -> Waits.get(failing, "write 2"));
                DirectIoException d = assertInstanceOf(DirectIoException.class, e.getCause());
                assertEquals(Errno.EIO, d.errno());
                assertEquals((long) i * BLOCK, d.offset());
                assertEquals(BLOCK, d.length());
            }

            int[] calls = {0};
            ScriptedRing flaky = new ScriptedRing(sqe -> calls[0]++ < 2 ? -Errno.EAGAIN : sqe.length);
            Sim again = new Sim(flaky, arena, IoRequest.READ, 3);
            again.run();
            assertEquals(List.of(OP_READV, OP_READV, OP_READV), flaky.opcodes(), "EAGAIN re-issues the whole SQE");
            for (int i = 0; i < 3; i++) {
                assertEquals(BLOCK, Waits.join(again.futures[i], "read " + i + " after EAGAIN"));
            }
        }
    }

    @Test
    void onlyContiguousPlainRequestsOfOneDirectionAndFileMergeUpToTheLimits() {
        try (Arena arena = Arena.ofConfined()) {
            ScriptedRing ring = new ScriptedRing(sqe -> sqe.length);
            FileState file = Sim.file(4 * BLOCK);
            FileState other = Sim.file(4 * BLOCK);
            RingLoop loop = new RingLoop(ring, 32, 0, new io.dioring.deliver.Delivery(null, Runnable::run), null);
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            // 0..4 contiguous but maxIoBytes is 4 blocks: 4 + 1; then a gap; then a read;
            // then another file; then a request larger than maxIoBytes (split, not merged).
            long[] offsets = {0, 1, 2, 3, 4, 6, 7, 7, 8};
            int[] ops = {1, 1, 1, 1, 1, 1, 0, 1, 1};
            for (int i = 0; i < offsets.length; i++) {
                FileState f = i == 7 ? other : file;
                futures.add(Sim.add(loop, arena, ops[i], f, offsets[i] * BLOCK, BLOCK));
            }
            futures.add(Sim.add(loop, arena, IoRequest.WRITE, file, 9L * BLOCK, 5 * BLOCK));
            Sim.drive(loop);
            // WRITEV(0..3); 4 alone (6 does not continue it); 6 alone (a read follows); the read;
            // the other file's write; 8 alone (9 is split, not merged); 9's two slices.
            assertEquals(List.of(OP_WRITEV, OP_WRITE, OP_WRITE, OP_READ, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE),
                    ring.opcodes());
            assertEquals(4, ring.log.get(0).iovLengths.length, "merged up to maxIoBytes");
            assertEquals(3, loop.coalescedRequests());
            for (CompletableFuture<Long> f : futures) {
                assertTrue(Waits.join(f, "a coalesced request") > 0);
            }
            file.setCoalescing(false);
            ring.log.clear();
            Sim.add(loop, arena, IoRequest.WRITE, file, 0, BLOCK);
            Sim.add(loop, arena, IoRequest.WRITE, file, BLOCK, BLOCK);
            Sim.drive(loop);
            assertEquals(List.of(OP_WRITE, OP_WRITE), ring.opcodes(), "the per-file switch turns it off");
        }
    }

    /** A few requests queued back to back on a simulated file, driven to completion. */
    private static final class Sim {
        final RingLoop loop;
        final MemorySegment[] buffers;
        final CompletableFuture<Long>[] futures;

        @SuppressWarnings({"unchecked", "rawtypes"})
        Sim(ScriptedRing ring, Arena arena, int op, int count) {
            loop = new RingLoop(ring, 16, 0, new io.dioring.deliver.Delivery(null, Runnable::run), null);
            FileState file = file(1 << 20);
            buffers = new MemorySegment[count];
            futures = new CompletableFuture[count];
            for (int i = 0; i < count; i++) {
                buffers[i] = arena.allocate(BLOCK, BLOCK);
                IoRequest r = new IoRequest().set(op, file, (long) i * BLOCK, buffers[i], -1);
                r.replyTo(null, null, futures[i] = new CompletableFuture<>(), false);
                loop.add(r);
            }
        }

        void run() {
            drive(loop);
        }

        static FileState file(int maxIoBytes) {
            return new FileState(-1, Path.of("/simulated"), true, true, true, new DioAlignment(512, 512, "test"),
                    maxIoBytes, 1L << 30);
        }

        static CompletableFuture<Long> add(RingLoop loop, Arena arena, int op, FileState file, long offset,
                long length) {
            IoRequest r = new IoRequest().set(op, file, offset, arena.allocate(length, BLOCK), -1);
            CompletableFuture<Long> f = new CompletableFuture<>();
            r.replyTo(null, null, f, false);
            loop.add(r);
            return f;
        }

        static void drive(RingLoop loop) {
            for (int rounds = 0; loop.busy(); rounds++) {
                assertTrue(rounds < 1000, "the loop made no progress");
                loop.prepare();
                loop.submit(false);
                loop.reap();
            }
            assertEquals(0, loop.staleCompletions());
        }
    }

    /** Completes every submitted SQE, in order, with what the script says. */
    private static final class ScriptedRing implements IoRing {
        record Sqe(int opcode, long offset, long address, int length, long userData, long[] iovBases,
                long[] iovLengths) {}

        final List<Sqe> log = new ArrayList<>();
        private final ArrayDeque<Sqe> prepared = new ArrayDeque<>();
        private final ArrayDeque<Sqe> submitted = new ArrayDeque<>();
        private final ToIntFunction<Sqe> script;

        ScriptedRing(ToIntFunction<Sqe> script) {
            this.script = script;
        }

        List<Integer> opcodes() {
            return log.stream().map(Sqe::opcode).toList();
        }

        @Override
        public int sqEntries() {
            return 32;
        }

        @Override
        public int cqEntries() {
            return 64;
        }

        @Override
        public int sqSpace() {
            return sqEntries() - prepared.size();
        }

        @Override
        public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length,
                int opFlags, int bufIndex, long userData) {
            long[] bases = new long[0];
            long[] lengths = new long[0];
            int bytes = length;
            if (opcode == OP_READV || opcode == OP_WRITEV) {
                MemorySegment iov = MemorySegment.ofAddress(address).reinterpret(16L * length);
                bases = new long[length];
                lengths = new long[length];
                bytes = 0;
                for (int i = 0; i < length; i++) {
                    bases[i] = iov.get(ValueLayout.JAVA_LONG, 16L * i);
                    lengths[i] = iov.get(ValueLayout.JAVA_LONG, 16L * i + 8);
                    bytes += (int) lengths[i];
                }
            } else {
                assertTrue(opcode == OP_READ || opcode == OP_WRITE, "opcode " + opcode);
            }
            Sqe sqe = new Sqe(opcode, fileOffset, address, bytes, userData, bases, lengths);
            prepared.add(sqe);
            log.add(sqe);
        }

        @Override
        public int submit(boolean waitForOne) {
            int n = prepared.size();
            submitted.addAll(prepared);
            prepared.clear();
            return n;
        }

        @Override
        public int reap(long[] userData, int[] result, int max) {
            int n = 0;
            while (n < max && !submitted.isEmpty()) {
                Sqe sqe = submitted.poll();
                userData[n] = sqe.userData;
                result[n] = script.applyAsInt(sqe);
                n++;
            }
            return n;
        }

        @Override
        public void close() {}
    }
}
