package io.dioring.channel;

import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** 500 virtual threads reading one channel at once, every read checked against the file's known bytes. */
class ChannelConcurrentReadTest {
    private static final int THREADS = 500;
    private static final int READS_PER_THREAD = 20;
    private static final int FILE_BYTES = 4 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        ChannelTests.assumeIoUring();
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
