package io.dioring.example;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Writes blocks of random bytes to a file through dioring, reads them back two ways
 * (asynchronously and with readFully), and compares CRC32C checksums.
 *
 * <p>Usage: {@code ChecksumRoundTrip <file>}. Exit status 0 when every checksum matches,
 * 1 on a mismatch, 2 on wrong usage, 3 when io_uring cannot be used on this machine.
 */
public final class ChecksumRoundTrip {
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 16;

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ChecksumRoundTrip <file>");
            System.exit(2);
        }
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.err.println("io_uring unavailable: " + cause);
            System.exit(3);
        }
        Path path = Path.of(args[0]);
        long[] written = new long[BLOCKS];
        int mismatches = 0;
        try (IoEngine engine = IoEngine.create();
                DirectFile file = engine.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            MemorySegment buffer = engine.buffers().allocateFor(file, BLOCK);
            Random random = new Random(2026);
            byte[] bytes = new byte[BLOCK];
            for (int i = 0; i < BLOCKS; i++) {
                random.nextBytes(bytes);
                MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, BLOCK);
                file.write((long) i * BLOCK, buffer).get();
                written[i] = crc(buffer);
            }
            file.fsync().get();
            for (int i = 0; i < BLOCKS; i++) {
                buffer.fill((byte) 0);
                long n = (i % 2 == 0) ? file.read((long) i * BLOCK, buffer).get()
                        : file.readFully((long) i * BLOCK, buffer);
                if (n != BLOCK || crc(buffer) != written[i]) {
                    System.err.printf("block %d: read %d bytes, crc32c %08x, wrote %08x%n", i, n, crc(buffer),
                            written[i]);
                    mismatches++;
                }
            }
            System.out.printf("%d blocks of %d bytes through %s (O_DIRECT: %b): %d checksum mismatches%n",
                    BLOCKS, BLOCK, path, file.isDirect(), mismatches);
        }
        System.exit(mismatches == 0 ? 0 : 1);
    }

    private static long crc(MemorySegment segment) {
        CRC32C crc = new CRC32C();
        crc.update(segment.asByteBuffer());
        return crc.getValue();
    }
}
