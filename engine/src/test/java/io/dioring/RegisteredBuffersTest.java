package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.ffi.Errno;
import io.dioring.ring.RingRegistrations;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine pool's memory is registered with every engine ring: I/O on pooled buffers (and
 * the channel's bounce buffers) goes out as READ_FIXED/WRITE_FIXED, counted by the encoder;
 * where the kernel refuses, it goes out plain and nothing else changes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisteredBuffersTest {
    private static final int FILE_BYTES = 4 << 20;

    @TempDir
    Path dir;
    Path data;
    byte[] content;

    @BeforeEach
    void setUp() throws IOException {
        Kernel.assumeIoUring();
        content = new byte[FILE_BYTES];
        new Random(7).nextBytes(content);
        data = dir.resolve("data");
        Files.write(data, content);
    }

    private static IoEngine engine(Submission submission) throws IOException {
        return IoEngine.create(EngineConfig.defaults().withBackend(Backend.IO_URING).withRings(2)
                .withSubmission(submission));
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @EnumSource(Submission.class)
    void pooledBuffersGoOutFixedAndCarryTheRightBytes(Submission submission) throws Exception {
        try (IoEngine engine = engine(submission); DirectFile f = engine.open(data, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertTrue(engine.registeredBuffers(), () -> "refused: " + engine.registeredBuffersRefusal());
            assertNull(engine.registeredBuffersRefusal());
            long before = engine.fixedBufferSlices();
            MemorySegment buf = engine.buffers().take(4096);
            for (int i = 0; i < 16; i++) {
                long at = 4096L * (i * 37 % 1024);
                assertEquals(4096, f.readFully(at, buf));
                assertArrayEquals(java.util.Arrays.copyOfRange(content, (int) at, (int) at + 4096), bytes(buf));
            }
            assertEquals(16, engine.fixedBufferSlices() - before, "every 4 KiB read on a pooled buffer is READ_FIXED");

            // Writes inside the file (not extending: those go out as syscalls on the caller).
            MemorySegment src = engine.buffers().take(64 * 1024);
            src.fill((byte) 0x5a);
            long mid = engine.fixedBufferSlices();
            assertEquals(64 * 1024, f.writeFully(1 << 20, src));
            assertEquals(1, engine.fixedBufferSlices() - mid, "the write went out as WRITE_FIXED");
            MemorySegment back = engine.buffers().take(64 * 1024);
            f.readFully(1 << 20, back);
            assertArrayEquals(bytes(src), bytes(back));

            // Memory outside the pool goes out plain.
            MemorySegment own = engine.buffers().allocate(4096);
            long plain = engine.fixedBufferSlices();
            f.readFully(0, own);
            assertEquals(plain, engine.fixedBufferSlices(), "allocate()d memory is not registered");
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 0, 4096), bytes(own));
            engine.buffers().give(buf);
            engine.buffers().give(src);
            engine.buffers().give(back);
        }
    }

    @Test
    void theChannelsBounceBuffersGoOutFixed() throws Exception {
        try (IoEngine engine = engine(Submission.CALLERS);
                FileChannel ch = engine.openChannel(data, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long before = engine.fixedBufferSlices();
            ByteBuffer heap = ByteBuffer.allocate(1000);
            assertEquals(1000, ch.read(heap, 12345));
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 12345, 13345), heap.array());
            assertTrue(engine.fixedBufferSlices() > before, "the bounce buffer's read was READ_FIXED");

            long w = engine.fixedBufferSlices();
            byte[] text = "registered".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            assertEquals(text.length, ch.write(ByteBuffer.wrap(text), 70000));
            assertTrue(engine.fixedBufferSlices() - w >= 2, "read-modify-write: READ_FIXED then WRITE_FIXED");
            ByteBuffer check = ByteBuffer.allocate(text.length);
            ch.read(check, 70000);
            assertArrayEquals(text, check.array());
        }
    }

    @Test
    void slabsAddedAfterSetUpAreRegisteredOnFirstUse() throws Exception {
        try (IoEngine engine = engine(Submission.RING_THREADS); DirectFile f = engine.open(data)) {
            int slabsAtStart = engine.buffers().slabs().count();
            List<MemorySegment> big = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                big.add(engine.buffers().take(1 << 20)); // more than half a slab: a slab each
            }
            assertEquals(slabsAtStart + 3, engine.buffers().slabs().count());
            long before = engine.fixedBufferSlices();
            for (int i = 0; i < big.size(); i++) {
                f.readFully((long) i << 20, big.get(i));
                assertArrayEquals(java.util.Arrays.copyOfRange(content, i << 20, (i + 1) << 20), bytes(big.get(i)));
            }
            assertEquals(3, engine.fixedBufferSlices() - before, "each new slab was registered before its read");
            assertTrue(engine.registeredBuffers());
        }
    }

    @ParameterizedTest
    @EnumSource(Submission.class)
    void refusedRegistrationFallsBackToPlainReadsSilently(Submission submission) throws Exception {
        RingRegistrations.refuseForTest(Errno.ENOMEM);
        try (IoEngine engine = engine(submission); DirectFile f = engine.open(data, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertFalse(engine.registeredBuffers());
            String why = engine.registeredBuffersRefusal();
            assertNotNull(why);
            assertTrue(why.contains("ENOMEM") && why.contains("RLIMIT_MEMLOCK"), why);
            System.out.println("refused registration: " + why);
            MemorySegment buf = engine.buffers().take(8192);
            f.readFully(8192, buf);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 8192, 16384), bytes(buf));
            buf.fill((byte) 1);
            f.writeFully(8192, buf);
            f.readFully(8192, buf);
            assertEquals(1, buf.get(ValueLayout.JAVA_BYTE, 100));
            assertEquals(0, engine.fixedBufferSlices(), "nothing went out fixed");
        } finally {
            RingRegistrations.refuseForTest(0);
        }
    }

    @Test
    void aSlabRefusedAfterSetUpLeavesTheEarlierOnesRegistered() throws Exception {
        try (IoEngine engine = engine(Submission.CALLERS); DirectFile f = engine.open(data)) {
            MemorySegment early = engine.buffers().take(4096);
            f.readFully(0, early);
            long fixed = engine.fixedBufferSlices();
            assertEquals(1, fixed);
            RingRegistrations.refuseForTest(Errno.ENOMEM);
            try {
                MemorySegment late = engine.buffers().take(1 << 20); // a new slab, refused
                f.readFully(0, late);
                assertArrayEquals(java.util.Arrays.copyOfRange(content, 0, 1 << 20), bytes(late));
                assertEquals(fixed, engine.fixedBufferSlices(), "the refused slab's read went out plain");
            } finally {
                RingRegistrations.refuseForTest(0);
            }
            f.readFully(4096, early);
            assertEquals(fixed + 1, engine.fixedBufferSlices(), "the first slab stays registered");
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 4096, 8192), bytes(early));
        }
    }

    @Test
    void aBufferGivenBackWhileItsReadIsInFlightIsTheSameCallerBugAsBefore() throws Exception {
        try (IoEngine engine = engine(Submission.CALLERS); DirectFile f = engine.open(data)) {
            for (int i = 0; i < 50; i++) {
                MemorySegment buf = engine.buffers().take(4096);
                CompletableFuture<Long> read = f.read(4096L * i, buf);
                engine.buffers().give(buf); // misuse: the read may still be in flight
                MemorySegment again = engine.buffers().take(4096);
                assertEquals(4096L, read.get(10, TimeUnit.SECONDS));
                engine.buffers().give(again);
            }
            assertTrue(engine.isHealthy());
        }
        // The engine closed its rings (unregistering the slabs) before it freed them: nothing
        // the kernel holds points at freed memory, whatever the caller did.
    }

    @Test
    void closeUnpinsTheRegisteredSlabs() throws Exception {
        long baseline = vmPinKb();
        assertTrue(baseline >= 0, "VmPin readable");
        IoEngine engine = engine(Submission.CALLERS);
        try (DirectFile f = engine.open(data)) {
            MemorySegment buf = engine.buffers().take(4096);
            f.readFully(0, buf);
            long pinned = vmPinKb() - baseline;
            assertTrue(pinned >= IoBuffers.SLAB_BYTES / 1024, "the slab is pinned by the ring that read into it: "
                    + pinned + " KiB");
        } finally {
            engine.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (vmPinKb() > baseline && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(baseline, vmPinKb(), "the pinned pages were released");
    }

    @Test
    void threadsBackendIsUnaffected() throws Exception {
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS));
                DirectFile f = engine.open(data)) {
            assertFalse(engine.registeredBuffers());
            assertNull(engine.registeredBuffersRefusal());
            MemorySegment buf = engine.buffers().take(4096);
            f.readFully(4096, buf);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 4096, 8192), bytes(buf));
            assertEquals(0, engine.fixedBufferSlices());
        }
    }

    /** The process's pinned memory in KiB (VmPin in /proc/self/status; io_uring accounts registered buffers there). */
    private static long vmPinKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmPin:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }
}
