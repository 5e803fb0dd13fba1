package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.ZramDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * O_DIRECT reads that reach past the end of a file, on a device that completes them inside
 * the submitting call (zram): each comes back short, and io_uring, which retries the rest
 * of a short read of a regular file on an io-wq worker, must not be handed it
 * ({@code Splitter.endOfFileFlags}: RWF_NOWAIT). Counts the kernel's
 * {@code io_uring:io_uring_queue_async_work} events (punts) of this JVM's threads in a
 * trace instance of its own, with its {@code io_uring_complete} events (so a trace that
 * records nothing cannot pass); no times. Without the flag every such read punts. Needs root, zram and tracefs: skipped otherwise.
 */
class EndOfFileReadPuntTest {
    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final int PAGE = 4096;
    /** Three pages and a part: the file's end is off the alignment, as most files' are. */
    private static final int FILE_BYTES = 3 * PAGE + 1108;
    private static final int READS = 64;

    @Test
    @Timeout(120)
    void directReadsAcrossEndOfFileCompleteWithoutPunts() throws Exception {
        if (IoEngine.unavailabilityCause() != null) {
            skip("io_uring: " + IoEngine.unavailabilityCause());
        }
        if (!Files.isWritable(TRACING.resolve("instances"))
                || !Files.isDirectory(TRACING.resolve("events/io_uring/io_uring_queue_async_work"))) {
            skip("no writable tracefs with io_uring events at " + TRACING);
        }
        try (ZramDevice zram = ZramDevice.mountOrSkip(64)) {
            Path path = zram.root().resolve("tail");
            byte[] content = new byte[FILE_BYTES];
            for (int i = 0; i < content.length; i++) {
                content[i] = (byte) (i * 31 + 7);
            }
            Files.write(path, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.SYNC);

            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(Backend.IO_URING));
                 DirectFile file = engine.open(path, StandardOpenOption.READ);
                 Arena arena = Arena.ofConfined();
                 Trace trace = Trace.start()) {
                assertTrue(file.isDirect(), path + " opened without O_DIRECT");
                MemorySegment buffer = arena.allocate(2 * PAGE, PAGE);
                long tailStart = 2 * PAGE; // 8 KiB from here: one page and 1108 bytes, then end of file
                for (int i = 0; i < READS; i++) {
                    buffer.fill((byte) 0);
                    long n = file.read(tailStart, buffer).get(30, TimeUnit.SECONDS);
                    assertEquals(FILE_BYTES - tailStart, n, "read " + i + " across end of file");
                    byte[] got = buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
                    byte[] want = java.util.Arrays.copyOfRange(content, (int) tailStart, FILE_BYTES);
                    assertArrayEquals(want, got, "read " + i + ": bytes");
                }
                // And a whole read inside the file: unchanged.
                assertEquals(2 * PAGE, file.read(0, buffer).get(30, TimeUnit.SECONDS));
                assertArrayEquals(java.util.Arrays.copyOfRange(content, 0, 2 * PAGE),
                        buffer.toArray(ValueLayout.JAVA_BYTE));

                String events = trace.stop();
                long completions = count(events, " io_uring_complete:");
                long punts = count(events, " io_uring_queue_async_work:");
                System.out.println("reads across end of file: " + READS + ", io_uring completions traced "
                        + completions + ", punts to io-wq " + punts);
                // A punted read completes on an io-wq worker, which the trace does not follow.
                assertTrue(completions + punts >= READS + 1, "the trace saw " + completions + " completions and "
                        + punts + " punts of at least " + (READS + 1) + " reads: it does not follow this JVM's threads");
                assertEquals(0, punts, "reads across end of file punted to io-wq");
            }
        }
    }

    private static long count(String events, String name) {
        return events.lines().filter(l -> l.contains(name)).count();
    }

    private static void skip(String reason) {
        System.out.println("SKIPPED: " + reason);
        Assumptions.assumeTrue(false, reason);
    }

    /**
     * A trace instance of this test's own, recording io_uring completions and punts of this
     * JVM's threads (those alive at {@link #start} and any they start): removed at close.
     */
    private static final class Trace implements AutoCloseable {
        private final Path dir;

        private Trace(Path dir) {
            this.dir = dir;
        }

        static Trace start() throws IOException {
            Path dir = TRACING.resolve("instances/dioring-eof-" + ProcessHandle.current().pid());
            Files.createDirectory(dir);
            Trace t = new Trace(dir);
            try {
                StringBuilder tids = new StringBuilder();
                try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                    tasks.forEach(p -> tids.append(p.getFileName()).append(' '));
                }
                write(dir.resolve("options/event-fork"), "1");
                write(dir.resolve("set_event_pid"), tids.toString().strip());
                write(dir.resolve("events/io_uring/io_uring_queue_async_work/enable"), "1");
                write(dir.resolve("events/io_uring/io_uring_complete/enable"), "1");
                write(dir.resolve("tracing_on"), "1");
                return t;
            } catch (IOException | RuntimeException e) {
                t.close();
                throw e;
            }
        }

        String stop() throws IOException {
            write(dir.resolve("tracing_on"), "0");
            return Files.readString(dir.resolve("trace"));
        }

        @Override
        public void close() throws IOException {
            if (Files.isDirectory(dir)) {
                write(dir.resolve("tracing_on"), "0");
                Files.delete(dir); // rmdir of an instance removes it and its buffers
            }
        }

        private static void write(Path file, String value) throws IOException {
            Files.writeString(file, value);
        }
    }
}
