package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * A diagnostic, not a benchmark: one thread reading a file with O_DIRECT, in aligned
 * reads into an aligned direct buffer (as Lucene's DirectIODirectory does), through
 * dioring's {@code FileChannel} ({@code dioring}) or the JDK's ({@code platform}), so the
 * kernel's side of those reads can be traced (io_uring and iomap tracepoints) while it
 * runs.
 *
 * <pre>
 * java -cp benchmarks.jar io.dioring.jmh.DirectReadProbe FILE STORE BLOCK READS
 * </pre>
 * {@code FILE} is read as it is (its pages cached or not); {@code BLOCK} bytes at random
 * multiples of {@code BLOCK}, {@code READS} times, the last block too (so, when the size is
 * not a multiple of {@code BLOCK}, some reads reach past the end of the file and come back
 * short, as Lucene's reads of a file's tail do); the mean time of a read is printed.
 */
public final class DirectReadProbe {
    private DirectReadProbe() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("arguments: FILE platform|dioring BLOCK READS");
        }
        Path file = Path.of(args[0]).toAbsolutePath();
        String store = args[1];
        int block = Integer.parseInt(args[2]);
        int reads = Integer.parseInt(args[3]);
        if (block <= 0 || block % BenchFiles.ALIGN != 0) {
            throw new IllegalArgumentException("BLOCK " + block + ": must be a positive multiple of " + BenchFiles.ALIGN);
        }
        long size = Files.size(file);
        if (size == 0) {
            throw new IllegalArgumentException("FILE " + file + ": empty");
        }
        long blocks = (size + block - 1) / block; // the last one reaches past the end when the size is not a multiple
        switch (store) {
            case "platform" -> run(file, block, reads, blocks, size, store);
            case "dioring" -> {
                try (IoEngine engine = IoEngine.create(BenchFiles.engineConfig());
                     FileSystem fs = engine.fileSystem()) {
                    run(fs.getPath(file.toString()), block, reads, blocks, size, store);
                }
            }
            default -> throw new IllegalArgumentException("STORE '" + store + "': must be platform or dioring");
        }
    }

    private static void run(Path file, int block, int reads, long blocks, long size, String store) throws IOException {
        ByteBuffer buf = BenchFiles.alignedBuffer(block);
        SplittableRandom random = new SplittableRandom(5);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            long start = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                buf.clear();
                long offset = random.nextLong(blocks) * block;
                int n = ch.read(buf, offset);
                if (n != Math.min(block, size - offset)) {
                    throw new IllegalStateException("read at " + offset + ": " + n + " bytes");
                }
            }
            long ns = System.nanoTime() - start;
            System.out.printf("%s: %d reads of %d bytes, %.1f us a read%n", store, reads, block, ns / 1e3 / reads);
        }
    }
}
