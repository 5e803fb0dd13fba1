package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dd's output is a prefix of its input at every moment, with writes queued behind the
 * {@link RingBackend}'s writer thread: another thread watches the output during the copy
 * and checks each size and content it sees.
 */
class DdPrefixTest {
    @TempDir
    Path dir;

    @Test
    void theOutputIsAPrefixOfTheInputWhileTheCopyRuns() throws Exception {
        String cause = io.dioring.IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
        byte[] in = new byte[24 << 20];
        new Random(20).nextBytes(in);
        Path input = dir.resolve("in");
        Path output = dir.resolve("out");
        Files.write(input, in);

        AtomicBoolean copying = new AtomicBoolean(true);
        AtomicReference<String> violation = new AtomicReference<>();
        int[] looks = new int[1];
        Thread watcher = Thread.ofPlatform().name("prefix-watcher").start(() -> {
            while (copying.get() && violation.get() == null) {
                try {
                    check(output, in, violation);
                    looks[0]++;
                } catch (IOException e) {
                    // not created yet
                }
            }
        });
        int exit = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int run = 0; run < 3 && violation.get() == null; run++) {
                Files.deleteIfExists(output);
                int status = dd(List.of("if=" + input, "of=" + output, "bs=64k", "qd=8"));
                if (status != 0) {
                    return status;
                }
            }
            return 0;
        });
        copying.set(false);
        watcher.join(Duration.ofSeconds(30));
        assertEquals(0, exit);
        assertNull(violation.get());
        assertTrue(looks[0] > 0, "the watcher never saw the output");
        assertArrayEquals(in, Files.readAllBytes(output));
    }

    /** Whether the output as it is now (size, then that many bytes) is a prefix of {@code in}. */
    private static void check(Path output, byte[] in, AtomicReference<String> violation) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(output.toFile(), "r")) {
            long size = f.length();
            if (size > in.length) {
                violation.set("output of " + size + " bytes, longer than the input (" + in.length + ")");
                return;
            }
            byte[] seen = new byte[(int) size];
            f.readFully(seen);
            if (!Arrays.equals(seen, 0, seen.length, in, 0, seen.length)) {
                violation.set("the first " + size + " bytes of the output differ from the input's");
            }
        }
    }

    private static int dd(List<String> args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (RingBackend backend = new RingBackend(new PosixBackend(), 16)) {
            int exit = new DdCommand(backend, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), System.getenv(), System::nanoTime).run(args);
            assertEquals(0, exit, () -> err.toString(StandardCharsets.UTF_8));
            return exit;
        }
    }
}
