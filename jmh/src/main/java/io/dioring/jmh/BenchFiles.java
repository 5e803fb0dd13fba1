package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * The file every benchmark reads: on the disk (java.io.tmpdir, or -Ddioring.jmh.dir), at
 * least 256 MiB (-Ddioring.jmh.fileMiB), filled with random data so reads hit real
 * blocks, and reused across forks. Everything reads it with O_DIRECT, so the page cache
 * never answers.
 */
final class BenchFiles {
    static final int ALIGN = 4096;
    static final long FILE_BYTES = Long.getLong("dioring.jmh.fileMiB", 256) << 20;
    static final int BLOCK_4K = 4096;
    static final int BLOCK_1M = 1 << 20;

    private BenchFiles() {}

    /** The data file, laid out on first use. */
    static synchronized Path dataFile() {
        Path dir = Path.of(System.getProperty("dioring.jmh.dir", System.getProperty("java.io.tmpdir")));
        Path file = dir.resolve("dioring-jmh-" + (FILE_BYTES >> 20) + "m.dat");
        try {
            if (Files.exists(file) && Files.size(file) == FILE_BYTES) {
                return file;
            }
            Files.createDirectories(dir);
            Path partial = dir.resolve(file.getFileName() + ".partial");
            try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
                ByteBuffer buf = alignedBuffer(BLOCK_1M);
                SplittableRandom random = new SplittableRandom(42);
                for (long pos = 0; pos < FILE_BYTES; pos += BLOCK_1M) {
                    buf.clear();
                    while (buf.remaining() >= 8) {
                        buf.putLong(random.nextLong());
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf, pos + buf.position());
                    }
                }
                ch.force(true);
            }
            Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("laying out " + file, e);
        }
    }

    /** A direct buffer of {@code size} bytes whose address is aligned to 4096 (what O_DIRECT wants). */
    static ByteBuffer alignedBuffer(int size) {
        // slice(): capacity exactly size, so clear() cannot widen a read past it (alignedSlice
        // alone keeps up to size + ALIGN - 1 bytes of capacity: 8 KiB reads instead of 4).
        return ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN).limit(size).slice();
    }

    /** A block-aligned random offset within the file. */
    static long randomOffset(SplittableRandom random, int blockBytes) {
        return random.nextLong(FILE_BYTES / blockBytes) * blockBytes;
    }

    /**
     * The engine's defaults, with the submission mode from {@code -Ddioring.jmh.submission}
     * (BY_CALL, the default, CALLERS or RING_THREADS), so one build measures them side by side.
     */
    static io.dioring.EngineConfig engineConfig() {
        String s = System.getProperty("dioring.jmh.submission", io.dioring.Submission.BY_CALL.name());
        return io.dioring.EngineConfig.defaults().withSubmission(io.dioring.Submission.valueOf(s));
    }
}
