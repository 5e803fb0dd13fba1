package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code dioring dd} against the system's GNU dd (/usr/bin/dd): the same operands on the
 * same files, comparing the output bytes, the output size, the messages and statistics on
 * stderr (all but elapsed time and rate) and the exit status.
 */
class GnuDdComparisonTest {
    private static final Path GNU_DD = Path.of("/usr/bin/dd");
    static final int[] SIZES = {0, 1, 12345, 8192, 3 * 1024 * 1024 + 17};

    static Path dir;
    static Path[] inputs;

    @BeforeAll
    static void setUp() throws IOException {
        assumeTrue(Files.isExecutable(GNU_DD), "GNU dd (/usr/bin/dd) is not installed: nothing to compare with");
        // Under target/, not /tmp: /tmp may be tmpfs, and the direct I/O cases need a real file system.
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target.toAbsolutePath(), "dd-compare");
        inputs = new Path[SIZES.length];
        Random random = new Random(42);
        for (int i = 0; i < SIZES.length; i++) {
            byte[] data = new byte[SIZES[i]];
            random.nextBytes(data);
            inputs[i] = dir.resolve("in" + SIZES[i]);
            Files.write(inputs[i], data);
        }
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** What a run left behind. */
    record Outcome(int exit, String stderr, byte[] stdout, long fileSize, byte[] file) {}

    /** Size and (unless huge, e.g. sparse) content of the output; size -1 if absent. */
    private static Outcome outcome(int exit, String stderr, byte[] stdout, Path output) throws IOException {
        if (output == null || !Files.exists(output)) {
            return new Outcome(exit, stderr, stdout, -1, null);
        }
        long size = Files.size(output);
        return new Outcome(exit, stderr, stdout, size, size <= (64 << 20) ? Files.readAllBytes(output) : null);
    }

    /** Elapsed time and rate differ run to run; the "Try ... --help" line names the program. */
    static String normalize(String stderr) {
        return stderr.replaceAll("copied, [0-9.e+-]+ s, [0-9.]+ ?[kMGTPEZY]?B/s", "copied, T s, R/s")
                .replaceAll("copied, [0-9.e+-]+ s, Infinity B/s", "copied, T s, R/s")
                .replace("Try 'dioring dd --help'", "Try 'dd --help'");
    }

    static Outcome gnu(List<String> args, Path stdinFile, Path output) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("dd"); // argv[0] is what GNU dd prints before its messages
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("PATH", GNU_DD.getParent().toString());
        pb.redirectInput(stdinFile != null ? ProcessBuilder.Redirect.from(stdinFile.toFile())
                : ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        byte[][] stderr = new byte[1][];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                stderr[0] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("GNU dd hung: " + args);
        }
        joinWithin(t, "the stderr reader of GNU dd");
        return outcome(p.exitValue(), new String(stderr[0], StandardCharsets.UTF_8), stdout, output);
    }

    static Outcome ours(List<String> args, InputStream stdin, Path output) throws IOException {
        return ours(args, stdin, output, null);
    }

    /** dioring dd in-process; {@code backend} null: the POSIX backend with these streams as stdin/stdout. */
    static Outcome ours(List<String> args, InputStream stdin, Path output, DdBackend backend) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        DdCommand command = backend == null ? new DdCommand(stdin, out, errStream)
                : new DdCommand(backend, new PrintStream(out, true, StandardCharsets.UTF_8), errStream,
                        System.getenv(), System::nanoTime);
        int exit = command.run(args);
        return outcome(exit, err.toString(StandardCharsets.UTF_8), out.toByteArray(), output);
    }

    /**
     * Runs GNU dd and then dioring dd on the same paths, resetting the output to
     * {@code initialOutput} (null: absent) before each, and compares.
     */
    static void compare(List<String> args, Path stdinFile, Path output, byte[] initialOutput) throws Exception {
        compare(args, stdinFile, output, initialOutput, null);
    }

    static void compare(List<String> args, Path stdinFile, Path output, byte[] initialOutput, DdBackend backend)
            throws Exception {
        reset(output, initialOutput);
        Outcome g = gnu(args, stdinFile, output);
        reset(output, initialOutput);
        InputStream stdin = stdinFile != null ? new ByteArrayInputStream(Files.readAllBytes(stdinFile))
                : InputStream.nullInputStream();
        Outcome d = ours(args, stdin, output, backend);
        String what = String.join(" ", args);
        assertEquals(normalize(g.stderr()), normalize(d.stderr()), "stderr of: dd " + what);
        assertEquals(g.exit(), d.exit(), "exit status of: dd " + what);
        assertArrayEquals(g.stdout(), d.stdout(), "stdout of: dd " + what);
        if (output != null) {
            assertEquals(g.fileSize(), d.fileSize(), "output size after: dd " + what);
            if (g.file() != null) {
                assertArrayEquals(g.file(), d.file(), "output bytes after: dd " + what);
            }
        }
    }

    static void reset(Path output, byte[] initial) throws IOException {
        if (output == null) {
            return;
        }
        Files.deleteIfExists(output);
        if (initial != null) {
            Files.write(output, initial);
        }
    }

    static byte[] preexisting(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    /** Operand sets run on every input size; "PRE" marks cases that start with an existing output. */
    static final String[][] MATRIX = {
        {},
        {"bs=4096"},
        {"bs=1M"},
        {"bs=2x512"},
        {"ibs=1000", "obs=4096"},
        {"ibs=4096", "obs=1000"},
        {"ibs=1kB", "obs=1K"},
        {"bs=1000", "count=5"},
        {"bs=512", "skip=3", "count=7"},
        {"ibs=100", "obs=1000", "skip=10", "count=33"},
        {"PRE", "bs=4096", "seek=2"},
        {"PRE", "bs=4096", "seek=2", "conv=notrunc"},
        {"PRE", "bs=1000", "conv=notrunc"},
        {"PRE", "bs=100", "seek=3", "count=2"},
        {"bs=1000", "conv=sync"},
        {"ibs=1000", "obs=512", "conv=sync"},
        {"bs=4096", "iflag=count_bytes", "count=10000"},
        {"bs=4096", "count=10000B"},
        {"bs=4096", "iflag=skip_bytes", "skip=777"},
        {"PRE", "bs=4096", "oflag=seek_bytes", "seek=777"},
        {"PRE", "bs=4096", "oflag=seek_bytes", "seek=5000"},
        {"PRE", "bs=4096", "oflag=append", "conv=notrunc"},
        {"bs=8192", "iflag=fullblock"},
        {"bs=4096", "iflag=direct", "oflag=direct"},
        {"bs=1M", "iflag=direct", "oflag=direct"},
        {"bs=512", "iflag=direct"},
        {"ibs=1000", "obs=4096", "oflag=direct"},
        {"bs=1000", "iflag=direct"},
        {"bs=1000", "oflag=direct"},
        {"bs=4096", "skip=100"},
        {"bs=1M", "seek=1", "count=0"},
        {"bs=4096", "status=noxfer"},
        {"bs=4096", "status=none"},
        {"bs=4096", "conv=fsync"},
        {"bs=64K", "conv=fdatasync", "iflag=nocache", "oflag=dsync"},
        {"PRE", "bs=4096", "conv=excl"},
        {"bs=4096", "conv=excl"},
        {"bs=4096", "conv=nocreat"},
        {"PRE", "bs=4096", "conv=nocreat"},
    };

    @TestFactory
    Stream<DynamicTest> matrixAgainstGnuDd() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            int size = SIZES[i];
            Path input = inputs[i];
            for (String[] ops : MATRIX) {
                boolean pre = ops.length > 0 && ops[0].equals("PRE");
                List<String> operands = new ArrayList<>(Arrays.asList(ops).subList(pre ? 1 : 0, ops.length));
                String name = "size " + size + ": " + String.join(" ", operands) + (pre ? " (existing output)" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Path output = dir.resolve("out");
                    List<String> args = new ArrayList<>();
                    args.add("if=" + input);
                    args.add("of=" + output);
                    args.addAll(operands);
                    compare(args, null, output, pre ? preexisting(20000) : null);
                }));
            }
        }
        return tests.stream();
    }

    /**
     * The same matrix through a backend with real concurrency (reads ahead, writes behind,
     * completions in any order): dd's semantics must not change with the queue depth.
     */
    @TestFactory
    Stream<DynamicTest> matrixPipelinedAgainstGnuDd() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            int size = SIZES[i];
            Path input = inputs[i];
            for (String[] ops : MATRIX) {
                String joined = String.join(" ", ops);
                if (joined.contains("direct") || joined.contains("append")) {
                    continue; // the thread-pool test backend does neither
                }
                boolean pre = ops.length > 0 && ops[0].equals("PRE");
                List<String> operands = new ArrayList<>(Arrays.asList(ops).subList(pre ? 1 : 0, ops.length));
                tests.add(DynamicTest.dynamicTest("qd=4, size " + size + ": " + String.join(" ", operands)
                        + (pre ? " (existing output)" : ""), () -> {
                    Path output = dir.resolve("out");
                    List<String> args = new ArrayList<>();
                    args.add("if=" + input);
                    args.add("of=" + output);
                    args.addAll(operands);
                    try (ThreadPoolBackend backend =
                            new ThreadPoolBackend(4, Long.MAX_VALUE, Long.MAX_VALUE, size < 100_000)) {
                        compare(args, null, output, pre ? preexisting(20000) : null, backend);
                    }
                }));
            }
        }
        return tests.stream();
    }

    /**
     * The whole matrix (direct I/O included) through the io_uring backend, qd=8: reads ahead
     * and writes behind on a real ring, with the output sized ahead and trimmed back.
     */
    @TestFactory
    Stream<DynamicTest> matrixThroughIoUringAgainstGnuDd() {
        String cause = io.dioring.IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring dd matrix: io_uring unavailable: " + cause);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, cause);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            int size = SIZES[i];
            Path input = inputs[i];
            for (String[] ops : MATRIX) {
                boolean pre = ops.length > 0 && ops[0].equals("PRE");
                List<String> operands = new ArrayList<>(Arrays.asList(ops).subList(pre ? 1 : 0, ops.length));
                tests.add(DynamicTest.dynamicTest("io_uring qd=8, size " + size + ": " + String.join(" ", operands)
                        + (pre ? " (existing output)" : ""), () -> {
                    Path output = dir.resolve("out");
                    List<String> args = new ArrayList<>();
                    args.add("if=" + input);
                    args.add("of=" + output);
                    args.addAll(operands);
                    RingBackend backend = new RingBackend(new PosixBackend(), 16);
                    try {
                        compare(args, null, output, pre ? preexisting(20000) : null, backend);
                    } finally {
                        backend.close();
                    }
                }));
            }
        }
        return tests.stream();
    }

    /**
     * Read and write failures in the middle of a copy: with blocks in flight, dd must report
     * the same failure, the same counts and leave the same bytes as when copying one block at
     * a time (which is GNU dd's order of system calls).
     */
    @TestFactory
    Stream<DynamicTest> faultsPipelinedEqualSequential() {
        String[][] operandSets = {
            {"bs=4096"}, {"bs=1000"}, {"ibs=1000", "obs=4096"}, {"ibs=4096", "obs=1000"},
            {"bs=4096", "conv=noerror"}, {"bs=4096", "conv=noerror,sync"}, {"ibs=1000", "obs=3000", "conv=noerror,sync"},
        };
        long[][] faults = {{5000, Long.MAX_VALUE}, {Long.MAX_VALUE, 7000}, {40_000, 30_000}, {8192, Long.MAX_VALUE}};
        List<DynamicTest> tests = new ArrayList<>();
        for (int i : new int[] {2, 4}) {
            Path input = inputs[i];
            for (String[] ops : operandSets) {
                for (long[] fault : faults) {
                    String name = "size " + SIZES[i] + ": " + String.join(" ", ops) + ", read fault at " + fault[0]
                            + ", write fault at " + fault[1];
                    tests.add(DynamicTest.dynamicTest(name, () -> {
                        Path output = dir.resolve("out");
                        List<String> args = new ArrayList<>(List.of("if=" + input, "of=" + output));
                        args.addAll(List.of(ops));
                        Outcome sequential;
                        Outcome pipelined;
                        reset(output, null);
                        try (ThreadPoolBackend b = new ThreadPoolBackend(1, fault[0], fault[1], false)) {
                            sequential = ours(args, InputStream.nullInputStream(), output, b);
                        }
                        reset(output, null);
                        try (ThreadPoolBackend b = new ThreadPoolBackend(6, fault[0], fault[1], true)) {
                            pipelined = ours(args, InputStream.nullInputStream(), output, b);
                        }
                        assertEquals(normalize(sequential.stderr()), normalize(pipelined.stderr()), name);
                        assertEquals(sequential.exit(), pipelined.exit(), name);
                        assertEquals(sequential.fileSize(), pipelined.fileSize(), name);
                        assertArrayEquals(sequential.file(), pipelined.file(), name);
                    }));
                }
            }
        }
        return tests.stream();
    }

    /** A real write error: /dev/full answers every write with ENOSPC. */
    @Test
    void writeErrorsLikeGnu() throws Exception {
        compare(List.of("if=" + inputs[2], "of=/dev/full", "bs=4096"), null, null, null);
        compare(List.of("if=" + inputs[2], "of=/dev/full"), null, null, null);
        compare(List.of("if=" + inputs[2], "of=/dev/full", "ibs=1000", "obs=100000"), null, null, null);
    }

    @TestFactory
    Stream<DynamicTest> stdinAndStdout() {
        String[][] cases = {
            {},
            {"bs=4096"},
            {"ibs=1000", "obs=3000"},
            {"bs=1000", "count=3"},
            {"bs=1000", "skip=2"},
            {"bs=100", "conv=sync"},
        };
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            Path input = inputs[i];
            for (String[] c : cases) {
                tests.add(DynamicTest.dynamicTest("size " + SIZES[i] + " stdin->stdout: " + String.join(" ", c),
                        () -> compare(List.of(c), input, null, null)));
                tests.add(DynamicTest.dynamicTest("size " + SIZES[i] + " stdin->file: " + String.join(" ", c),
                        () -> {
                            List<String> args = new ArrayList<>(List.of(c));
                            args.add("of=" + dir.resolve("out"));
                            compare(args, input, dir.resolve("out"), null);
                        }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> errorsAgainstGnuDd() {
        String in = inputs[2].toString();
        String out = dir.resolve("out").toString();
        String[][] cases = {
            {"if=" + dir.resolve("missing"), "of=" + out},
            {"if=" + in, "of=" + dir.resolve("no/such/dir/out")},
            {"foo"},
            {"if=" + in, "bar=1"},
            {"=5"},
            {"bs=0"},
            {"bs=12q"},
            {"count=-1"},
            {"skip=2x3x4"},
            {"bs=99999999999999999999"},
            {"count=1e"},
            {"seek=1KBB"},
            {"conv=bogus,notrunc"},
            {"conv=excl,nocreat"},
            {"iflag=direct,nocache"},
            {"iflag=nolinks"},
            {"oflag=fullblock"},
            {"iflag="},
            {"status=foo"},
            {"-x"},
            {"--frobnicate"},
            {"count=0x5", "if=" + in, "of=" + out},
            {"if=" + in, "of=" + out, "count=0", "status=none,progress"},
        };
        return Arrays.stream(cases).map(c -> DynamicTest.dynamicTest("dd " + String.join(" ", c), () -> {
            // usage errors end with a "Try ... --help" line naming the program; everything else is exact
            compare(List.of(c), null, dir.resolve("out"), null);
        }));
    }

    @Test
    void numbersWithSuffixes() throws Exception {
        // seek=N with obs=1 and count=0 makes a file of exactly N bytes: the parsed value, visible
        String[] numbers = {"1", "0", "K", "1K", "1kB", "1KB", "1KiB", "1kiB", "2x512", "1Bx2", "2xK", "+5", "1b",
            "1w", "1c", "1M", "1MB", "1MiB", "100B", "00x5", "1KD", "1k", "3x2b", "1G", "1GB", "1T", "1x1x1", "1e",
            "1m", "1iB", "B", "x2", "1KxB"};
        Path output = dir.resolve("numbers");
        for (String n : numbers) {
            compare(List.of("if=/dev/null", "of=" + output, "obs=1", "count=0", "seek=" + n), null, output, null);
        }
        Files.deleteIfExists(output);
    }

    @Test
    void unalignedDirectReadFailsLikeGnu() throws Exception {
        Path output = dir.resolve("out");
        compare(List.of("if=" + inputs[2], "of=" + output, "bs=1000", "iflag=direct"), null, output, null);
    }

    /** A pipe: reads return what one writer's write put in, never more (a short read each time). */
    static final class ChunkedInput extends InputStream {
        private final List<byte[]> chunks;
        private int chunk;
        private int pos;

        ChunkedInput(List<byte[]> chunks) {
            this.chunks = chunks;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            while (chunk < chunks.size() && pos == chunks.get(chunk).length) {
                chunk++;
                pos = 0;
            }
            if (chunk == chunks.size()) {
                return -1;
            }
            int n = Math.min(len, chunks.get(chunk).length - pos);
            System.arraycopy(chunks.get(chunk), pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /**
     * Short reads from a pipe against GNU dd fed by a writer that pauses between chunks (the
     * pauses make GNU dd's reads return one chunk at a time, deterministically enough).
     */
    @Test
    void pipeShortReadsCountAsPartialRecords() throws Exception {
        int[] chunkSizes = {100, 700, 50, 512, 3000};
        String[][] cases = {{"bs=512"}, {"bs=512", "iflag=fullblock"}, {"ibs=512", "obs=1024"},
            {"bs=512", "count=3"}, {"bs=512", "conv=sync"}};
        Random random = new Random(7);
        List<byte[]> chunks = new ArrayList<>();
        for (int s : chunkSizes) {
            byte[] c = new byte[s];
            random.nextBytes(c);
            chunks.add(c);
        }
        for (String[] c : cases) {
            List<String> args = List.of(c);
            Outcome g = gnuThroughPipe(args, chunks);
            Outcome d = ours(args, new ChunkedInput(chunks), null);
            assertEquals(normalize(g.stderr()), normalize(d.stderr()), "stderr of: dd " + args);
            assertEquals(g.exit(), d.exit());
            assertArrayEquals(g.stdout(), d.stdout(), "stdout of: dd " + args);
        }
    }

    private static Outcome gnuThroughPipe(List<String> args, List<byte[]> chunks) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("dd");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PATH", GNU_DD.getParent().toString());
        Process p = pb.start();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (var stdin = p.getOutputStream()) {
                for (byte[] c : chunks) {
                    stdin.write(c);
                    stdin.flush();
                    Thread.sleep(60);
                }
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        byte[][] stderr = new byte[1][];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                stderr[0] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        byte[] stdout = p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        joinWithin(writer, "the stdin writer of GNU dd");
        joinWithin(t, "the stderr reader of GNU dd");
        return outcome(p.exitValue(), new String(stderr[0], StandardCharsets.UTF_8), stdout, null);
    }

    /** {@code t.join()}, failing the test if the thread has not ended within 60 s. */
    private static void joinWithin(Thread t, String what) throws InterruptedException {
        if (!t.join(java.time.Duration.ofSeconds(60))) {
            throw new AssertionError(what + " did not end within 60 s");
        }
    }
}
