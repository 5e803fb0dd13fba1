package io.dioring.channel;

import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.Kernel;
import io.dioring.IoEngine;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many virtual threads on one channel: 500 readers checked against known bytes; unaligned writers sharing units. */
class ChannelConcurrencyTest {
    private static final int THREADS = 500;
    private static final int READS_PER_THREAD = 20;
    private static final int FILE_BYTES = 4 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
    }

    @Test
    void fiveHundredVirtualThreadsReadOneChannelAndEveryChecksumMatches() throws Exception {
        byte[] data = new byte[FILE_BYTES];
        new SplittableRandom(500).nextBytes(data);
        Path p = Files.write(dir.resolve("shared"), data);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger checked = new AtomicInteger();
        try (IoEngine engine = IoEngine.create(); FileChannel ch = engine.openChannel(p, READ)) {
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            for (int t = 0; t < THREADS; t++) {
                long seed = t;
                threads.execute(() -> {
                    try {
                        readAndCheck(ch, data, new SplittableRandom(seed), checked);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            threads.shutdown();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS), "readers finished");
        }
        if (failure.get() != null) {
            throw new AssertionError("a reader failed", failure.get());
        }
        assertEquals(THREADS * READS_PER_THREAD, checked.get(), "reads checked");
    }

    @Test
    void unalignedWritesToNeighbouringRangesSharingAlignmentUnitsLoseNothing() throws Exception {
        int writers = 64;
        int stride = 1000; // not a multiple of any alignment: neighbours share a unit
        int rounds = 5;
        Path p = dir.resolve("neighbours");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (IoEngine engine = IoEngine.create();
                FileChannel ch = engine.openChannel(p, READ, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.CREATE)) {
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            for (int t = 0; t < writers; t++) {
                int writer = t;
                threads.execute(() -> {
                    try {
                        for (int round = 1; round <= rounds; round++) {
                            byte[] stamp = new byte[stride];
                            java.util.Arrays.fill(stamp, (byte) (writer * 8 + round));
                            ByteBuffer buf = round % 2 == 0 ? ByteBuffer.wrap(stamp)
                                    : ByteBuffer.allocateDirect(stride).put(stamp).flip();
                            assertEquals(stride, ch.write(buf, (long) writer * stride));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            threads.shutdown();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS), "writers finished");
            assertEquals((long) writers * stride, ch.size(), "size");
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
        byte[] file = Files.readAllBytes(p);
        assertEquals(writers * stride, file.length, "size on disk");
        for (int i = 0; i < file.length; i++) {
            int writer = i / stride;
            if (file[i] != (byte) (writer * 8 + rounds)) {
                throw new AssertionError("byte " + i + " is " + file[i] + ", not writer " + writer + "'s last stamp "
                        + (byte) (writer * 8 + rounds) + ": a read-modify-write lost a neighbour's write");
            }
        }
    }

    /** Reads at random offsets and lengths, aligned direct, unaligned direct and heap buffers by turns. */
    private static void readAndCheck(FileChannel ch, byte[] data, SplittableRandom random, AtomicInteger checked)
            throws Exception {
        for (int i = 0; i < READS_PER_THREAD; i++) {
            int kind = random.nextInt(3);
            int length = kind == 0 ? 4096 * (1 + random.nextInt(4)) : 1 + random.nextInt(20_000);
            long offset = kind == 0 ? 4096L * random.nextInt(FILE_BYTES / 4096) : random.nextInt(FILE_BYTES);
            ByteBuffer buf = switch (kind) {
                case 0 -> ChannelTests.alignedDirect(length);
                case 1 -> ByteBuffer.allocateDirect(length + 1).position(1).slice();
                default -> ByteBuffer.allocate(length);
            };
            int expected = (int) Math.min(length, FILE_BYTES - offset);
            int n = ch.read(buf, offset);
            assertEquals(expected, n, "bytes read at " + offset + " of " + length);
            CRC32 got = new CRC32();
            got.update(buf.flip());
            CRC32 want = new CRC32();
            want.update(data, (int) offset, expected);
            assertEquals(want.getValue(), got.getValue(), "checksum of " + n + " bytes at " + offset + ", kind " + kind);
            checked.incrementAndGet();
        }
    }
}
