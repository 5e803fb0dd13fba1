package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** One aligned read and write on a real file, and the checks at the call; on every backend. */
class DirectFileTest {
    @TempDir
    Path dir;
    IoEngine engine;

    @BeforeEach
    void setUp(Backend backend) throws IOException {
        engine = IoEngine.create(BackendSuite.defaults(backend));
        assertEquals(backend, engine.backend(), "the backend asked for is the one in use");
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    @BackendTest
    void writeThenReadRoundTripsRandomData() throws Exception {
        Path p = dir.resolve("data");
        byte[] expected = new byte[64 * 1024];
        new Random(42).nextBytes(expected);
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            assertTrue(f.isDirect(), "O_DIRECT on the project's filesystem");
            MemorySegment src = engine.buffers().allocate(expected.length);
            MemorySegment.copy(expected, 0, src, ValueLayout.JAVA_BYTE, 0, expected.length);
            assertEquals(expected.length, Waits.get(f.write(0, src), "the write"));
            MemorySegment dst = engine.buffers().allocate(expected.length);
            assertEquals(expected.length, Waits.get(f.read(0, dst), "the read"));
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
        }
        assertArrayEquals(expected, Files.readAllBytes(p), "bytes on disk");
    }

    @BackendTest
    void alignmentComesFromTheKernel() throws Exception {
        Path p = dir.resolve("aligned");
        try (DirectFile f = engine.open(p, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            assertEquals("statx", f.alignment().source(), "ext4 reports STATX_DIOALIGN");
            assertTrue(f.offsetAlignment() >= 512 && f.offsetAlignment() <= 4096, "offset alignment "
                    + f.offsetAlignment());
            assertTrue(f.memoryAlignment() >= 1 && f.memoryAlignment() <= 4096, "memory alignment "
                    + f.memoryAlignment());
            System.out.println("alignment of " + p + ": " + f.alignment());
        }
    }

    @BackendTest
    void misalignedInputsAreRejectedAtTheCallWithTheValueTheRuleAndThePath() throws Exception {
        Path p = dir.resolve("misaligned");
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            int align = f.offsetAlignment();
            MemorySegment buf = engine.buffers().allocate(2L * align);
            var offset = assertThrows(IllegalArgumentException.class, () -> f.read(align / 2, buf));
            assertTrue(offset.getMessage().contains("offset " + (align / 2)), offset.getMessage());
            assertTrue(offset.getMessage().contains(String.valueOf(align)), offset.getMessage());
            assertTrue(offset.getMessage().contains(p.toString()), offset.getMessage());

            var length = assertThrows(IllegalArgumentException.class, () -> f.write(0, buf.asSlice(0, align - 1)));
            assertTrue(length.getMessage().contains("length " + (align - 1)), length.getMessage());

            if (f.memoryAlignment() > 1) {
                var address = assertThrows(IllegalArgumentException.class,
                        () -> f.read(0, buf.asSlice(1, align)));
                assertTrue(address.getMessage().contains("address 0x"), address.getMessage());
            }
            var negative = assertThrows(IllegalArgumentException.class, () -> f.read(-align, buf));
            assertTrue(negative.getMessage().contains("negative"), negative.getMessage());
            var heap = assertThrows(IllegalArgumentException.class,
                    () -> f.read(0, MemorySegment.ofArray(new byte[align])));
            assertTrue(heap.getMessage().contains("heap"), heap.getMessage());
        }
    }

    @BackendTest
    void openErrorsCarryErrnoAndPath() {
        Path missing = dir.resolve("missing");
        DirectIoException e = assertThrows(DirectIoException.class, () -> engine.open(missing));
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @BackendTest
    void closedFileAndEngineFailLaterCallsClearly() throws Exception {
        Path p = dir.resolve("closed");
        DirectFile f = engine.open(p, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
        MemorySegment buf = engine.buffers().allocate(4096);
        f.close();
        f.close(); // idempotent
        var e = assertThrows(IllegalStateException.class, () -> f.write(0, buf));
        assertTrue(e.getMessage().contains("closed") && e.getMessage().contains(p.toString()), e.getMessage());
        engine.close();
        engine.close();
        assertThrows(IllegalStateException.class, () -> engine.open(p));
    }

    @BackendTest
    void blockingReadPastEndOfFileReturnsThePrefix() throws Exception {
        Path p = dir.resolve("short");
        Files.write(p, new byte[8192]);
        try (DirectFile f = engine.open(p)) {
            MemorySegment buf = engine.buffers().allocate(16384);
            assertEquals(8192, f.readFully(0, buf));
            assertEquals(0, f.readFully(16384, buf));
        }
    }
}
