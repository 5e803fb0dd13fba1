package io.dioring.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** bench --verify writes blocks with headers and checks them; --verify-only finds a corrupted block. */
class BenchVerifyTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"io_uring,1", "io_uring,3", "threads,1", "threads,3"})
    @Timeout(120)
    void verifyThenVerifyOnlyPassesAndACorruptBlockIsNamed(String engine, int jobs) throws Exception {
        if (engine.equals("io_uring")) {
            BenchCommandTest.assumeIoUring();
        }
        Path file = dir.resolve("verify.dat");
        String[] common = {"--file", file.toString(), "--size", "1m", "--bs", "8k", "--qd", "4", "--jobs",
            String.valueOf(jobs), "--engine", engine, "--seed", "42"};
        BenchCommandTest.Run written = bench(common, "--rw", "randread", "--runtime", "0.2", "--verify");
        assertEquals(0, written.status(), () -> "stderr: " + written.err());
        assertTrue(written.out().contains("verify: 128 blocks (1048576 bytes) checked, all correct"), written.out());

        BenchCommandTest.Run checked = bench(common, "--rw", "randread", "--runtime", "1", "--verify-only");
        assertEquals(0, checked.status(), () -> "stderr: " + checked.err());
        assertTrue(checked.out().contains("128 blocks (1048576 bytes) checked, all correct"), checked.out());

        BenchCommandTest.Run otherSeed = bench(replace(common, "42", "43"), "--rw", "randread", "--runtime", "1",
                "--verify-only");
        assertEquals(1, otherSeed.status(), otherSeed.out());
        assertTrue(otherSeed.err().contains("verify failed at offset 0: expected header magic"), otherSeed.err());
        assertTrue(otherSeed.err().contains("seed 43") && otherSeed.err().contains("seed 42"), otherSeed.err());

        long corrupt = 77L * 8192 + 1000; // inside block 77's payload: only its crc32c can tell
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(corrupt);
            int b = raf.read();
            raf.seek(corrupt);
            raf.write(b ^ 0x01);
        }
        BenchCommandTest.Run bad = bench(common, "--rw", "randread", "--runtime", "1", "--verify-only");
        assertEquals(1, bad.status(), bad.out());
        String err = bad.err();
        assertTrue(err.contains("verify failed at offset " + 77L * 8192 + ":"), err);
        assertTrue(err.contains("found magic 0x") && err.contains("crc32c 0x") && err.contains("the block's crc32c is 0x"),
                err);
    }

    private static BenchCommandTest.Run bench(String[] common, String... more) {
        String[] all = new String[common.length + more.length];
        System.arraycopy(common, 0, all, 0, common.length);
        System.arraycopy(more, 0, all, common.length, more.length);
        return BenchCommandTest.bench(all);
    }

    private static String[] replace(String[] args, String from, String to) {
        String[] copy = args.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i].equals(from)) {
                copy[i] = to;
            }
        }
        return copy;
    }
}
