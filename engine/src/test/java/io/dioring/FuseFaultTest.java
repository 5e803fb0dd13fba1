package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.FaultFs;
import io.dioring.testing.FuseDataFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine over a filesystem that returns short reads and EIO (the FUSE fault filesystem,
 * {@link FaultFs}): results follow the rules of {@code reap/Aggregator} (seed 003) and do
 * not depend on coalescing (seed 004). Every file here is opened with O_DIRECT, which FUSE
 * accepts without reporting an alignment; short reads and errors reach the CQE as the
 * daemon returned them.
 */
class FuseFaultTest {
    private static final int BLOCK = 64 << 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    final FuseDataFile fuse = new FuseDataFile(16 * BLOCK, 13);
    private Backend backend;

    @BeforeEach
    void backend(Backend backend) {
        this.backend = backend;
    }

    /** A read of four 64 KiB slices whose second comes back short, then at end of file. */
    @BackendTest
    void aShortMiddleSliceCapsTheResultAtItsPositionWhateverLaterSlicesDid() throws Exception {
        long cut = BLOCK + 4096;
        fuse.fs().configure(FaultFs.cut(cut), FaultFs.zero(cut));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withMaxIoBytes(BLOCK));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                MemorySegment buf = engine.buffers().allocate(4 * BLOCK);
                long n = f.read(0, buf).get(10, TimeUnit.SECONDS);
                assertEquals(cut, n, "the result is the prefix before the short slice");
                assertArrayEquals(Arrays.copyOf(fuse.data(), (int) cut), buf.asSlice(0, cut).toArray(ValueLayout.JAVA_BYTE));
            }
        });
    }

    /** A read of four slices whose third fails: the request fails, naming the failed slice. */
    @BackendTest
    void aFailedMiddleSliceFailsTheRequestWithItsErrnoOffsetAndLength() throws Exception {
        fuse.fs().configure(FaultFs.readEio(2L * BLOCK + 10, 2L * BLOCK + 11));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withMaxIoBytes(BLOCK));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                MemorySegment buf = engine.buffers().allocate(4 * BLOCK);
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> f.read(0, buf).get(10, TimeUnit.SECONDS));
                DirectIoException d = assertInstanceOf(DirectIoException.class, e.getCause());
                assertEquals("EIO", d.errnoName(), d.getMessage());
                assertEquals(5, d.errno());
                assertEquals("read", d.op());
                assertEquals(fuse.file(), d.path());
                assertEquals(2L * BLOCK, d.offset(), "the failed slice's offset");
                assertEquals(BLOCK, d.length(), "the failed slice's length");
            }
        });
    }

    /** Short at a 4096-aligned offset mid-file: resubmitted, the read completes in full. */
    @BackendTest
    void aShortReadMidFileAtAnAlignedOffsetIsResubmittedAndCompletesInFull() throws Exception {
        assertShortReadCompletesInFull(3L * BLOCK + 8192);
    }

    /**
     * Short at an offset no alignment divides: FUSE reports no DIO alignment and accepts any
     * offset, so the engine must resubmit the remainder there, not take it for end of file.
     */
    @BackendTest
    void aShortReadMidFileAtAnUnalignedOffsetIsResubmittedAndCompletesInFull() throws Exception {
        assertShortReadCompletesInFull(200_000);
    }

    private void assertShortReadCompletesInFull(long cut) throws Exception {
        fuse.fs().configure(FaultFs.cut(cut));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend)); DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                MemorySegment buf = engine.buffers().allocate(fuse.data().length);
                long n = f.read(0, buf).get(10, TimeUnit.SECONDS);
                assertEquals(fuse.data().length, n, "short at " + cut + ", then the rest");
                assertArrayEquals(fuse.data(), buf.toArray(ValueLayout.JAVA_BYTE));
            }
        });
    }

    @BackendTest
    void aReadEioCarriesErrnoOffsetAndLength() throws Exception {
        fuse.fs().configure(FaultFs.readEio(6L * BLOCK, 6L * BLOCK + 1));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend)); DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                MemorySegment buf = engine.buffers().allocate(BLOCK);
                assertEquals(BLOCK, f.read(5L * BLOCK, buf).get(10, TimeUnit.SECONDS), "the block before");
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> f.read(6L * BLOCK, buf).get(10, TimeUnit.SECONDS));
                DirectIoException d = assertInstanceOf(DirectIoException.class, e.getCause());
                assertEquals(5, d.errno(), d.getMessage());
                assertEquals("EIO", d.errnoName());
                assertEquals("read", d.op());
                assertEquals(6L * BLOCK, d.offset());
                assertEquals(BLOCK, d.length());
                assertTrue(d.getMessage().contains(fuse.file().toString()), d.getMessage());
            }
        });
    }

    @BackendTest
    void aWriteEioCarriesErrnoOffsetAndLengthAndWritesNothing() throws Exception {
        fuse.fs().configure(FaultFs.writeEio(2L * BLOCK, 2L * BLOCK + 1));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment buf = engine.buffers().allocate(BLOCK);
                buf.fill((byte) 7);
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> f.write(2L * BLOCK, buf).get(10, TimeUnit.SECONDS));
                DirectIoException d = assertInstanceOf(DirectIoException.class, e.getCause());
                assertEquals(5, d.errno(), d.getMessage());
                assertEquals("write", d.op());
                assertEquals(2L * BLOCK, d.offset());
                assertEquals(BLOCK, d.length());
            }
        });
        assertArrayEquals(fuse.data(), Files.readAllBytes(fuse.backingFile()), "the old bytes stay");
    }

    /**
     * An extending write that fails (made with pwrite on this platform thread on io_uring, on
     * a pool worker on THREADS) carries the same errno, offset and length, and neither the
     * file nor its tracked size grows; the next extending write at the same place succeeds.
     */
    @BackendTest
    void anExtendingWriteEioCarriesErrnoOffsetAndLengthAndTheSizeStays() throws Exception {
        long end = fuse.data().length;
        fuse.fs().configure(FaultFs.writeEio(end + BLOCK, end + BLOCK + 1));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment two = engine.buffers().allocate(2L * BLOCK);
                two.fill((byte) 9);
                DirectIoException d = org.junit.jupiter.api.Assertions.assertThrows(DirectIoException.class,
                        () -> f.writeFully(end, two));
                assertEquals(5, d.errno(), d.getMessage());
                assertEquals("write", d.op());
                assertEquals(end, d.offset(), "the failed slice: the whole write, one pwrite (or SQE) under 1 MiB");
                assertEquals(2L * BLOCK, d.length());
                assertEquals(1, f.extendingWrites());
                assertEquals(end, f.size(), "a failed extending write does not move the size");
                MemorySegment one = engine.buffers().allocate(BLOCK);
                one.fill((byte) 8);
                assertEquals(BLOCK, f.writeFully(end, one), "the first 64 KiB do not touch the failing byte");
                assertEquals(end + BLOCK, f.size());
            }
        });
        byte[] after = Files.readAllBytes(fuse.backingFile());
        assertArrayEquals(fuse.data(), java.util.Arrays.copyOf(after, fuse.data().length), "the old bytes stay");
        for (int i = fuse.data().length; i < after.length; i++) {
            assertEquals(8, after[i], "byte " + i);
        }
    }

    /**
     * Seed 004: eight contiguous 64 KiB reads queued together on an owned ring, one block
     * failing with EIO and one coming back short (then at a false end of file), give the
     * same per-request outcomes with coalescing on and off.
     */
    @BackendTest
    void coalescingDoesNotChangeAnyRequestsOutcomeUnderFaults() throws Exception {
        long shortAt = 5L * BLOCK + 1000;
        fuse.fs().configure(FaultFs.readEio(2L * BLOCK + 100, 2L * BLOCK + 101), FaultFs.cut(shortAt), FaultFs.zero(shortAt));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            expected.add(switch (i) {
                case 2 -> "failed EIO read at " + 2L * BLOCK + " length " + BLOCK;
                case 5 -> "read 1000 bytes";
                default -> "read " + BLOCK + " bytes";
            });
        }
        List<String> off = assertTimeoutPreemptively(TIMEOUT, () -> eightQueuedReads(false));
        assertEquals(expected, off, "coalescing off: each request submitted alone");
        List<String> on = assertTimeoutPreemptively(TIMEOUT, () -> eightQueuedReads(true));
        assertEquals(off, on, "coalescing on must give every request the outcome it has alone");
    }

    private List<String> eightQueuedReads(boolean coalescing) throws Exception {
        String[] outcomes = new String[8];
        CompletionHandler<Integer> record = new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Integer i) {
                outcomes[i] = "read " + bytes + " bytes";
            }

            @Override
            public void failed(Throwable t, Integer i) {
                outcomes[i] = t instanceof DirectIoException d
                        ? "failed " + d.errnoName() + " " + d.op() + " at " + d.offset() + " length " + d.length()
                        : "failed " + t;
            }
        };
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withCoalescing(coalescing));
                DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ);
                OwnedRing ring = engine.ownedRing()) {
            MemorySegment[] bufs = new MemorySegment[8];
            for (int i = 0; i < 8; i++) {
                bufs[i] = engine.buffers().allocate(BLOCK);
                ring.read(f, (long) i * BLOCK, bufs[i], i, record);
            }
            ring.drain();
            long saved = ring.coalescedRequests();
            System.out.println("coalescing " + (coalescing ? "on" : "off") + ": " + saved + " SQEs saved, outcomes "
                    + Arrays.toString(outcomes));
            for (int i = 0; i < 8; i++) {
                if (outcomes[i] != null && outcomes[i].startsWith("read")) {
                    long n = Long.parseLong(outcomes[i].split(" ")[1]);
                    assertArrayEquals(Arrays.copyOfRange(fuse.data(), i * BLOCK, (int) (i * BLOCK + n)),
                            bufs[i].asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), "bytes of request " + i);
                }
            }
        }
        return Arrays.asList(outcomes);
    }
}
