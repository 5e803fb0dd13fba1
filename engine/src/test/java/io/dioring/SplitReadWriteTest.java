package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dioring.testing.Waits;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Requests larger than maxIoBytes on real files: many SQEs, one result, the right bytes. */
class SplitReadWriteTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    IoEngine engine;

    @BeforeEach
    void setUp(Backend backend) throws IOException {
        engine = IoEngine.create(BackendSuite.defaults(backend).withMaxIoBytes(MIB));
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(MemorySegment s, long n) {
        return s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    @BackendTest
    void eightMebibyteReadWithOneMebibyteSlicesIsEightSqesAndTheRightBytes() throws Exception {
        Path p = dir.resolve("eight");
        byte[] expected = random(8 * MIB, 8);
        Files.write(p, expected);
        try (DirectFile f = engine.open(p)) {
            assertEquals(MIB, f.maxIoBytes(), "maxIoBytes of the file (device limit may only lower it)");
            MemorySegment dst = engine.buffers().allocateFor(f, 8 * MIB);
            long before = engine.slicesIssued();
            assertEquals(8L * MIB, Waits.get(f.read(0, dst), "the 8 MiB read"));
            long sqes = engine.slicesIssued() - before;
            System.out.println("SQEs for one 8 MiB read with maxIoBytes 1 MiB: " + sqes);
            assertEquals(8, sqes);
            assertArrayEquals(expected, bytes(dst, 8L * MIB));
        }
    }

    @BackendTest
    void largeWriteIsSplitIntoManySqesAndLandsIntact() throws Exception {
        Path p = dir.resolve("big-write");
        int length = 5 * MIB + 3 * 4096; // 6 SQEs at 1 MiB, the last one short of a full slice
        byte[] expected = random(length, 5);
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            f.truncate(length); // not an extending write: stays on the asynchronous path
            MemorySegment src = engine.buffers().allocateFor(f, length);
            MemorySegment.copy(expected, 0, src, ValueLayout.JAVA_BYTE, 0, length);
            long before = engine.slicesIssued();
            assertEquals(length, Waits.get(f.write(0, src), "the split write"));
            long sqes = engine.slicesIssued() - before;
            System.out.println("SQEs for one " + length + "-byte write with maxIoBytes 1 MiB: " + sqes);
            assertEquals(6, sqes);
            assertEquals(0, f.extendingWrites());
        }
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @BackendTest
    void extendingSplitWriteGrowsTheFileWithTheRightBytes() throws Exception {
        Path p = dir.resolve("extend-split");
        int length = 3 * MIB;
        byte[] expected = random(length, 3);
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            MemorySegment src = engine.buffers().allocateFor(f, length);
            MemorySegment.copy(expected, 0, src, ValueLayout.JAVA_BYTE, 0, length);
            assertEquals(length, f.writeFully(0, src));
            assertEquals(length, f.size());
        }
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @BackendTest
    void readPastEndOfFileReturnsTheContiguousPrefix() throws Exception {
        Path p = dir.resolve("eof");
        int size = 3 * MIB + 1000; // ends inside the fourth slice, off the sector grid
        byte[] content = random(size, 4);
        Files.write(p, content);
        try (DirectFile f = engine.open(p)) {
            MemorySegment dst = engine.buffers().allocateFor(f, 8 * MIB);
            long n = Waits.get(f.read(0, dst), "the read across the end of file");
            System.out.println("read of 8 MiB from a " + size + "-byte file: " + n + " bytes");
            assertEquals(size, n);
            assertArrayEquals(content, bytes(dst, size));
            assertEquals(0, Waits.get(f.read(4L * MIB, dst.asSlice(0, MIB)), "the read past the end"),
                    "a read starting past the end");
            long tail = Waits.get(f.read(3L * MIB, dst.asSlice(0, 2L * MIB)), "the read of the tail");
            assertEquals(1000, tail, "a read across the end from the last full slice");
            assertArrayEquals(Arrays.copyOfRange(content, 3 * MIB, size), bytes(dst, 1000));
        }
    }

    @BackendTest
    void gatherWriteAndScatterReadAcrossSegmentsAndSlices() throws Exception {
        Path p = dir.resolve("vectors");
        int[] sizes = {4096, 2 * MIB + 8192, 512 * 1024, 4096 * 3};
        int total = Arrays.stream(sizes).sum();
        byte[] expected = random(total, 9);
        long offset = 64 * 1024;
        try (DirectFile f = engine.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            f.truncate(offset + total);
            MemorySegment[] srcs = new MemorySegment[sizes.length];
            MemorySegment[] dsts = new MemorySegment[sizes.length];
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                srcs[i] = engine.buffers().allocateFor(f, sizes[i]);
                dsts[i] = engine.buffers().allocateFor(f, sizes[i]);
                MemorySegment.copy(expected, at, srcs[i], ValueLayout.JAVA_BYTE, 0, sizes[i]);
                at += sizes[i];
            }
            long before = engine.slicesIssued();
            assertEquals(total, Waits.get(f.write(offset, srcs), "the vectored write"));
            long writeSqes = engine.slicesIssued() - before;
            // 1 + 3 (2 MiB + 8 KiB at 1 MiB) + 1 + 1: no slice crosses a buffer
            assertEquals(6, writeSqes, "one SQE per slice, cut per buffer at maxIoBytes");
            assertEquals(total, Waits.get(f.read(offset, dsts), "the vectored read"));
            byte[] got = new byte[total];
            at = 0;
            for (MemorySegment d : dsts) {
                MemorySegment.copy(d, ValueLayout.JAVA_BYTE, 0, got, at, (int) d.byteSize());
                at += (int) d.byteSize();
            }
            assertArrayEquals(expected, got, "scatter read returns what the gather write wrote");
        }
        byte[] disk = Files.readAllBytes(p);
        assertArrayEquals(expected, Arrays.copyOfRange(disk, (int) offset, (int) offset + total));
    }
}
