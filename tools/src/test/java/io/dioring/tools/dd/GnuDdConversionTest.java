package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.stat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The conversions (conv=ascii, ebcdic, ibm, lcase, ucase, swab, block and unblock with
 * cbs=), conv=sparse and iflag/oflag=nocache against the system's GNU dd: the same operands
 * on the same files, comparing stderr (records lines, the truncated-records line, messages;
 * not the elapsed time and rate), the exit status, stdout and the output file's bytes and
 * size, through the synchronous backend, a thread-pool backend with four blocks in flight
 * and the io_uring backend at qd=8.
 */
class GnuDdConversionTest {
    private static final Path GNU_DD = Path.of("/usr/bin/dd");

    private static Path dir;
    /** Text: lines shorter and longer than cbs=, runs of spaces, mixed case, bytes over 0x7f, no final newline. */
    private static Path text;
    /** Every byte value, then random bytes: an odd length, so swab keeps a byte for the end. */
    private static Path binary;
    /** Data, a long all-zero run, data, and an all-zero tail: conv=sparse's case. */
    private static Path holey;

    @BeforeAll
    static void setUp() throws IOException {
        if (!Files.isExecutable(GNU_DD)) {
            System.out.println("SKIPPED: GnuDdConversionTest: GNU dd (/usr/bin/dd) is not installed");
        }
        assumeTrue(Files.isExecutable(GNU_DD), "GNU dd (/usr/bin/dd) is not installed: nothing to compare with");
        // Under target/, not /tmp: /tmp may be tmpfs (no direct I/O, no page cache to drop).
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target.toAbsolutePath(), "dd-conv");
        Random random = new Random(13);

        StringBuilder sb = new StringBuilder();
        String[] words = {"Alpha", "beta", "GAMMA", "delta  ", "   epsilon", "zeta\t", "Eta", "theta", "x", ""};
        for (int line = 0; line < 700; line++) {
            int n = random.nextInt(9);
            for (int w = 0; w < n; w++) {
                sb.append(words[random.nextInt(words.length)]).append(random.nextBoolean() ? " " : "");
            }
            if (line % 37 == 0) {
                sb.append("A line well beyond every cbs= used here, so that conv=block truncates it: "
                        + "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789");
            }
            if (line % 11 == 0) {
                sb.append("    ");
            }
            sb.append('\n');
        }
        sb.append("no newline at the end   ");
        byte[] t = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] withHigh = Arrays.copyOf(t, t.length + 6);
        byte[] high = {(byte) 0xc9, (byte) 0xe9, (byte) 0x81, (byte) 0xff, (byte) 0xc1, (byte) 'q'};
        System.arraycopy(withHigh, t.length - 24, withHigh, t.length - 18, 24);
        System.arraycopy(high, 0, withHigh, t.length - 24, 6);
        text = dir.resolve("text");
        Files.write(text, withHigh);

        byte[] b = new byte[256 * 3 + 12345];
        for (int i = 0; i < 256 * 3; i++) {
            b[i] = (byte) i;
        }
        byte[] rest = new byte[12345];
        random.nextBytes(rest);
        System.arraycopy(rest, 0, b, 256 * 3, rest.length);
        binary = dir.resolve("binary");
        Files.write(binary, b);

        byte[] h = new byte[5000 + (1 << 20) + 3001 + 300_000];
        byte[] data = new byte[5000];
        random.nextBytes(data);
        System.arraycopy(data, 0, h, 0, 5000);
        byte[] more = new byte[3001];
        random.nextBytes(more);
        System.arraycopy(more, 0, h, 5000 + (1 << 20), 3001);
        holey = dir.resolve("holey");
        Files.write(holey, h);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------ running both

    /**
     * What a run left behind, plus the output's allocated 512-byte blocks (-1 if absent) and,
     * if asked for, which of its pages were in the page cache before the test read it.
     */
    record Run(GnuDdComparisonTest.Outcome outcome, long blocks, boolean[] cachedPages) {}

    private static Run gnu(List<String> args, Path output) throws Exception {
        return gnu(args, output, false);
    }

    private static Run gnu(List<String> args, Path output, boolean residency) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("dd"); // argv[0] is what GNU dd prints before its messages
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("PATH", GNU_DD.getParent().toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return finish(pb.start(), null, args, output, residency);
    }

    private static Run finish(Process p, byte[] stdin, List<String> args, Path output) throws Exception {
        return finish(p, stdin, args, output, false);
    }

    /** Feeds {@code stdin} (null: none) through a pipe, collects stdout and stderr. */
    private static Run finish(Process p, byte[] stdin, List<String> args, Path output, boolean residency)
            throws Exception {
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // dd may end without reading everything
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
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("dd hung: " + args);
        }
        t.join(TimeUnit.SECONDS.toMillis(10));
        feeder.join(TimeUnit.SECONDS.toMillis(10));
        return run(p.exitValue(), new String(stderr[0], StandardCharsets.UTF_8), stdout, output, residency);
    }

    private static Run run(int exit, String stderr, byte[] stdout, Path output, boolean residency)
            throws IOException {
        if (output == null || !Files.exists(output)) {
            return new Run(new GnuDdComparisonTest.Outcome(exit, stderr, stdout, -1, null), -1, null);
        }
        boolean[] cached = residency ? residency(output) : null; // before reading it caches everything
        return new Run(new GnuDdComparisonTest.Outcome(exit, stderr, stdout, Files.size(output),
                Files.readAllBytes(output)), allocatedBlocks(output), cached);
    }

    private static Run ours(List<String> args, byte[] stdin, Path output, DdBackend backend) throws IOException {
        return ours(args, stdin, output, backend, false);
    }

    private static Run ours(List<String> args, byte[] stdin, Path output, DdBackend backend, boolean residency)
            throws IOException {
        // no output path: that helper would read the output (into the page cache) before run() looks
        GnuDdComparisonTest.Outcome o = GnuDdComparisonTest.ours(args,
                stdin == null ? InputStream.nullInputStream() : new ByteArrayInputStream(stdin), null, backend);
        return run(o.exit(), o.stderr(), o.stdout(), output, residency);
    }

    /** st_blocks: what the file system allocated, in 512-byte units. */
    static long allocatedBlocks(Path file) {
        int fd = Libc.open(file.toString(), libc_h.O_RDONLY(), 0);
        assertTrue(fd >= 0, "open " + file + ": " + Libc.strerror(-fd));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(stat.layout());
            int r = Libc.fstat(fd, st);
            assertEquals(0, r, "fstat " + file);
            return stat.st_blocks(st);
        } finally {
            Libc.close(fd);
        }
    }

    private static void assertSame(Run g, Run d, String what) {
        assertEquals(GnuDdComparisonTest.normalize(g.outcome().stderr()),
                GnuDdComparisonTest.normalize(d.outcome().stderr()), "stderr of: dd " + what);
        assertEquals(g.outcome().exit(), d.outcome().exit(), "exit status of: dd " + what);
        assertArrayEquals(g.outcome().stdout(), d.outcome().stdout(), "stdout of: dd " + what);
        assertEquals(g.outcome().fileSize(), d.outcome().fileSize(), "output size after: dd " + what);
        assertArrayEquals(g.outcome().file(), d.outcome().file(), "output bytes after: dd " + what);
    }

    /**
     * The backends every case runs through: a name, a factory, and whether it does direct
     * I/O and O_APPEND (cases marked NOPOOL need that).
     */
    private record Backend(String name, Supplier<DdBackend> make, boolean direct) {}

    private static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        list.add(new Backend("sync", () -> new PosixBackend(), true));
        // the thread-pool test backend does neither direct I/O nor O_APPEND
        list.add(new Backend("threads qd=4", () -> new ThreadPoolBackend(4, Long.MAX_VALUE, Long.MAX_VALUE, true),
                false));
        String cause = io.dioring.IoEngine.unavailabilityCause();
        if (cause == null) {
            list.add(new Backend("io_uring qd=8", () -> new RingBackend(new PosixBackend(), 16), true));
        } else {
            System.out.println("SKIPPED: io_uring conversion cases: io_uring unavailable: " + cause);
        }
        return list;
    }

    private static void closeBackend(DdBackend b) {
        if (b instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** GNU dd, then dioring dd through {@code backend}, on the same input and output path. */
    private static Run[] both(List<String> operands, Path input, byte[] initialOutput, Backend backend)
            throws Exception {
        Path output = dir.resolve("out");
        List<String> args = new ArrayList<>();
        args.add("if=" + input);
        args.add("of=" + output);
        args.addAll(operands);
        GnuDdComparisonTest.reset(output, initialOutput);
        Run g = gnu(args, output);
        GnuDdComparisonTest.reset(output, initialOutput);
        DdBackend b = backend.make().get();
        Run d;
        try {
            d = ours(args, null, output, b);
        } finally {
            closeBackend(b);
        }
        assertSame(g, d, String.join(" ", args) + " [" + backend.name() + "]");
        return new Run[] {g, d};
    }

    // ------------------------------------------------------------------ conversions

    static final String[][] CONVERSIONS = {
        {"conv=ucase"},
        {"conv=lcase", "bs=4096"},
        {"conv=ucase", "ibs=7", "obs=13"},
        {"conv=swab"},
        {"conv=swab", "bs=1001"},
        {"conv=swab", "ibs=3", "obs=7"},
        {"conv=swab", "ibs=4096", "obs=1000"},
        {"conv=swab", "bs=4096", "count=7", "iflag=count_bytes"},
        {"conv=swab", "bs=1001", "conv=sync"},
        {"conv=swab,lcase", "bs=512"},
        {"cbs=16", "conv=block"},
        {"cbs=16", "conv=block", "ibs=7", "obs=10"},
        {"cbs=80", "conv=block", "bs=4096"},
        {"cbs=1", "conv=block"},
        {"cbs=16", "conv=block,sync", "ibs=100"},
        {"cbs=10", "conv=block,swab", "ibs=33"},
        {"cbs=16", "conv=unblock"},
        {"cbs=16", "conv=unblock", "ibs=5", "obs=3"},
        {"cbs=1", "conv=unblock"},
        {"cbs=7", "conv=unblock,sync", "bs=100"},
        {"cbs=7", "conv=unblock,ucase", "bs=100"},
        {"conv=ascii"},
        {"conv=ebcdic"},
        {"conv=ibm"},
        {"conv=ebcdic,lcase", "bs=999"},
        {"cbs=20", "conv=ebcdic"},
        {"cbs=20", "conv=ibm,ucase", "obs=100"},
        {"cbs=20", "conv=ascii"},
        {"cbs=20", "conv=ascii,lcase", "ibs=17"},
        {"conv=ucase", "count=3", "bs=100"},
        {"conv=ucase", "skip=2", "ibs=100", "obs=50"},
        {"conv=lcase", "iflag=fullblock", "bs=4096"},
        // records longer than the 64 KiB pieces the conversions work in
        {"cbs=70000", "conv=block", "count=2", "bs=1000"},
        {"cbs=70000", "conv=unblock", "obs=100000"},
        {"conv=block"}, // no cbs=: GNU drops block (and unblock)
        {"conv=block,unblock"},
        {"conv=ucase,notrunc", "bs=100", "PRE"},
        // noerror,sync: the buffer is filled with the padding before each read
        {"cbs=16", "conv=block,sync,noerror", "ibs=100"},
        {"cbs=7", "conv=unblock,sync,noerror", "bs=100"},
        {"conv=ucase,sync,noerror", "ibs=100", "obs=64"},
        {"conv=swab", "bs=4096", "iflag=direct", "NOPOOL"},
        {"conv=ucase", "bs=4096", "oflag=direct", "NOPOOL"},
        {"conv=lcase,notrunc", "oflag=append", "bs=1000", "PRE", "NOPOOL"},
    };

    @TestFactory
    Stream<DynamicTest> conversionsAgainstGnuDd() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : backends()) {
            for (Path input : List.of(text, binary)) {
                for (String[] c : CONVERSIONS) {
                    List<String> ops = new ArrayList<>(List.of(c));
                    boolean pre = ops.remove("PRE");
                    boolean direct = ops.remove("NOPOOL");
                    if (direct && !backend.direct()) {
                        continue;
                    }
                    String name = backend.name() + ", " + input.getFileName() + ": " + String.join(" ", ops);
                    tests.add(DynamicTest.dynamicTest(name, () -> both(ops, input,
                            pre ? GnuDdComparisonTest.preexisting(30000) : null, backend)));
                }
            }
        }
        return tests.stream();
    }

    /** Standard input and output (pipes for dioring dd, a file and a pipe for GNU dd). */
    @TestFactory
    Stream<DynamicTest> conversionsFromStdinToStdout() {
        String[][] cases = {
            {"conv=swab", "ibs=7", "obs=5"},
            {"cbs=10", "conv=unblock"},
            {"cbs=10", "conv=block", "obs=3"},
            {"conv=ebcdic,ucase"},
            {"conv=sparse", "bs=4096"},
        };
        return Arrays.stream(cases).flatMap(c -> Stream.of(text, binary).map(input ->
                DynamicTest.dynamicTest(input.getFileName() + ": " + String.join(" ", c), () -> {
                    List<String> args = List.of(c);
                    ProcessBuilder pb = new ProcessBuilder(prepend("dd", args)).directory(dir.toFile());
                    pb.environment().put("PATH", GNU_DD.getParent().toString());
                    pb.redirectInput(input.toFile());
                    Run g = finish(pb.start(), null, args, null);
                    Run d = ours(args, Files.readAllBytes(input), null, null);
                    assertSame(g, d, String.join(" ", args) + " < " + input.getFileName());
                })));
    }

    /** A translated table of every byte value, and the "N truncated records" line, seen to be there. */
    @Test
    void translationsAndTruncationAreReallyExercised() throws Exception {
        Backend sync = backends().get(0);
        Run[] r = both(List.of("conv=ebcdic"), binary, null, sync);
        byte[] out = r[0].outcome().file();
        assertEquals((byte) 0xc1, out['A'], "GNU maps 'A' to EBCDIC 0xc1");
        r = both(List.of("cbs=16", "conv=block"), text, null, sync);
        assertTrue(r[0].outcome().stderr().contains(" truncated records\n"), r[0].outcome().stderr());
    }

    @TestFactory
    Stream<DynamicTest> conversionUsageErrorsAgainstGnuDd() {
        String[][] cases = {
            {"cbs=10", "conv=block,unblock"},
            {"conv=ascii,ebcdic"},
            {"conv=ibm,ebcdic"},
            {"conv=lcase,ucase"},
            {"cbs=0"},
            {"cbs=-1"},
            {"cbs=1x"},
            {"conv=swabb"},
        };
        Backend sync = backends().get(0);
        return Arrays.stream(cases).map(c -> DynamicTest.dynamicTest("dd " + String.join(" ", c),
                () -> both(List.of(c), text, null, sync)));
    }

    // ------------------------------------------------------------------ sparse

    static final String[][] SPARSE = {
        {"conv=sparse"},
        {"conv=sparse", "bs=4096"},
        {"conv=sparse", "bs=64K"},
        {"conv=sparse", "ibs=1000", "obs=4096"},
        {"conv=sparse", "ibs=4096", "obs=1000"},
        {"conv=sparse", "bs=4096", "count=300"}, // ends inside the zero run: extended at the end
        {"conv=sparse", "bs=4096", "skip=2", "count=3"},
        {"conv=sparse", "bs=4096", "seek=10"},
        {"conv=sparse", "bs=4096", "conv=sync", "ibs=3000"},
        {"conv=sparse,notrunc", "bs=4096", "PRE"}, // the old bytes under a zero block stay
        {"conv=sparse,notrunc", "bs=512", "seek=3", "PRE"},
        {"conv=sparse,swab", "ibs=1001", "obs=8192"},
        // reads larger than the 64 KiB pieces the conversions work in
        {"conv=swab", "bs=1M"},
        {"conv=ucase,swab", "ibs=200001", "obs=77777"},
        {"conv=sparse", "bs=4096", "iflag=direct", "oflag=direct", "NOPOOL"},
        {"conv=sparse,notrunc", "oflag=append", "bs=4096", "PRE", "NOPOOL"},
    };

    @TestFactory
    Stream<DynamicTest> sparseAgainstGnuDd() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : backends()) {
            for (String[] c : SPARSE) {
                List<String> ops = new ArrayList<>(List.of(c));
                boolean pre = ops.remove("PRE");
                boolean direct = ops.remove("NOPOOL");
                if (direct && !backend.direct()) {
                    continue;
                }
                tests.add(DynamicTest.dynamicTest(backend.name() + ": " + String.join(" ", ops), () -> {
                    Run[] r = both(ops, holey, pre ? GnuDdComparisonTest.preexisting(2_000_000) : null, backend);
                    if (!backend.name().startsWith("threads")) {
                        // the same holes as GNU: the output is never sized ahead of what is written
                        assertEquals(r[0].blocks(), r[1].blocks(), "allocated blocks after dd " + ops);
                    }
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void sparseOutputHasHolesWhereGnuLeavesThem() throws Exception {
        Run[] r = both(List.of("conv=sparse", "bs=4096"), holey, null, backends().get(0));
        long size = r[0].outcome().fileSize();
        assertTrue(r[0].blocks() * 512 < size / 2, "GNU's output is sparse: " + r[0].blocks() + " blocks");
        assertTrue(r[1].blocks() * 512 < size / 2, "ours is sparse: " + r[1].blocks() + " blocks");
        Run[] dense = both(List.of("bs=4096"), holey, null, backends().get(0));
        assertTrue(dense[1].blocks() * 512 >= size, "without conv=sparse every block is written");
    }

    /** A pipe cannot seek: conv=sparse writes the zeros (and says nothing). */
    @Test
    void sparseToAPipeWritesTheZeros() throws Exception {
        List<String> args = List.of("if=" + holey, "conv=sparse", "bs=4096");
        ProcessBuilder pb = new ProcessBuilder(prepend("dd", args)).directory(dir.toFile());
        pb.environment().put("PATH", GNU_DD.getParent().toString());
        Run g = finish(pb.start(), null, args, null);
        Run d = ours(args, null, null, null);
        assertSame(g, d, String.join(" ", args));
        assertEquals(Files.size(holey), d.outcome().stdout().length);
    }

    // ------------------------------------------------------------------ nocache

    /**
     * count=0 asks nocache to drop the file from the input offset to its end; a pipe has no
     * offset: GNU dd says "failed to discard cache for: 'standard input': Illegal seek" and
     * exits 1 (the same for standard output). Without count=0 the drops on a pipe are silent.
     */
    @TestFactory
    Stream<DynamicTest> nocacheOnPipesAgainstGnuDd() {
        String[][] cases = {
            {"iflag=nocache", "count=0"},
            {"oflag=nocache", "count=0"},
            {"iflag=nocache", "oflag=nocache", "count=0"},
            {"iflag=nocache"},
            {"oflag=nocache", "bs=100"},
            {"iflag=nocache", "count=0", "status=none"},
            {"iflag=nocache", "count=0", "of=FILE"},
            {"oflag=nocache", "count=0", "if=FILE"},
        };
        byte[] stdin = "a few bytes through a pipe\n".repeat(50).getBytes(StandardCharsets.US_ASCII);
        return Arrays.stream(cases).map(c -> DynamicTest.dynamicTest("dd " + String.join(" ", c), () -> {
            Path file = dir.resolve("pipe-case");
            List<String> args = new ArrayList<>();
            for (String a : c) {
                args.add(a.replace("FILE", file.toString()));
            }
            Path output = args.stream().anyMatch(a -> a.startsWith("of=")) ? file : null;
            Files.write(file, stdin);
            ProcessBuilder pb = new ProcessBuilder(prepend("dd", args)).directory(dir.toFile());
            pb.environment().put("PATH", GNU_DD.getParent().toString());
            Run g = finish(pb.start(), stdin, args, output);
            Files.write(file, stdin);
            Run d = ours(args, stdin, output, null);
            assertSame(g, d, String.join(" ", args));
        }));
    }

    /**
     * iflag=nocache drops exactly what GNU dd drops: a cached, clean input is read with the
     * same operands by GNU dd and by dioring dd, and afterwards the same pages of it are in
     * the page cache (mincore, through MappedByteBuffer.isLoaded, page by page).
     */
    @TestFactory
    Stream<DynamicTest> inputNocacheLeavesTheSamePagesCachedAsGnu() throws IOException {
        Path cached = dir.resolve("cached");
        byte[] data = new byte[(2 << 20) + 5000];
        new Random(5).nextBytes(data);
        Files.write(cached, data);
        try (FileChannel ch = FileChannel.open(cached, StandardOpenOption.WRITE)) {
            ch.force(true); // clean pages: DONTNEED drops only those
        }
        String[][] cases = {
            {"bs=64K", "count=5"},
            {"bs=100K", "count=7"},
            {"bs=64K", "skip=3", "count=4"},
            {"bs=1000", "count=300"},
            {"bs=64K"},
            {"bs=4096", "count=0", "skip=100"},
            {"ibs=3000", "obs=5000", "count=100"},
            // unaligned starts: each 128 KiB step leaves its partial pages cached
            {"bs=1000", "skip=3", "count=700"},
            {"ibs=3000", "skip=1", "count=200"},
            {"bs=1000", "skip=5"},
        };
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : backends()) {
            if (backend.name().startsWith("threads")) {
                continue; // it does not drop caches
            }
            for (String[] c : cases) {
                List<String> args = new ArrayList<>(List.of("if=" + cached, "of=/dev/null", "iflag=nocache"));
                args.addAll(List.of(c));
                tests.add(DynamicTest.dynamicTest(backend.name() + ": " + String.join(" ", c), () -> {
                    boolean[] before = cacheAll(cached);
                    assumeResident(before);
                    Run g = gnu(args, null);
                    boolean[] afterGnu = residency(cached);
                    assumeResident(cacheAll(cached));
                    DdBackend b = backend.make().get();
                    Run d;
                    try {
                        d = ours(args, null, null, b);
                    } finally {
                        closeBackend(b);
                    }
                    boolean[] afterOurs = residency(cached);
                    assertSame(g, d, String.join(" ", args));
                    assertTrue(count(afterGnu, false) > 0, "GNU dd dropped some pages: " + String.join(" ", c));
                    assertEquals(render(afterGnu), render(afterOurs), "pages cached after dd " + args);
                }));
            }
        }
        return tests.stream();
    }

    /**
     * oflag=nocache drops what GNU dd drops of the output, GNU's bookkeeping of the output
     * offset included. The writes are O_DSYNC, so that the pages are clean when dd advises
     * and the drops are deterministic.
     */
    @TestFactory
    Stream<DynamicTest> outputNocacheLeavesTheSamePagesCachedAsGnu() throws IOException {
        Path source = dir.resolve("source");
        byte[] data = new byte[(1 << 20) + 5000];
        new Random(6).nextBytes(data);
        Files.write(source, data);
        String[][] cases = {
            {"bs=64K", "count=5"},
            {"bs=100K", "count=9"}, // steps of 128 KiB that do not fall on block boundaries
            {"bs=1000", "count=300", "seek=3"},
            {"ibs=3000", "obs=5000", "count=100"},
            {"bs=64K"}, // to the end of the input: the end of the output is dropped too
            {"bs=64K", "count=7", "conv=notrunc", "PRE"},
        };
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : backends()) {
            if (backend.name().startsWith("threads")) {
                continue; // it does not drop caches
            }
            for (String[] c : cases) {
                List<String> ops = new ArrayList<>(List.of(c));
                boolean pre = ops.remove("PRE");
                tests.add(DynamicTest.dynamicTest(backend.name() + ": " + String.join(" ", ops), () -> {
                    Path output = dir.resolve("out");
                    List<String> args = new ArrayList<>(List.of("if=" + source, "of=" + output,
                            "oflag=nocache,dsync"));
                    args.addAll(ops);
                    byte[] initial = pre ? GnuDdComparisonTest.preexisting(1_500_000) : null;
                    GnuDdComparisonTest.reset(output, initial);
                    if (pre) {
                        cacheAll(output);
                    }
                    Run g = gnu(args, output, true);
                    boolean[] afterGnu = g.cachedPages();
                    GnuDdComparisonTest.reset(output, initial);
                    if (pre) {
                        cacheAll(output);
                    }
                    DdBackend b = backend.make().get();
                    Run d;
                    try {
                        d = ours(args, null, output, b, true);
                    } finally {
                        closeBackend(b);
                    }
                    boolean[] afterOurs = d.cachedPages();

                    assertSame(g, d, String.join(" ", args));
                    assertTrue(count(afterGnu, false) > 0, "GNU dd dropped some pages: " + String.join(" ", c));
                    assertEquals(render(afterGnu), render(afterOurs), "pages cached after dd " + args);
                }));
            }
        }
        return tests.stream();
    }

    private static void assumeResident(boolean[] pages) {
        boolean all = count(pages, false) == 0;
        if (!all) {
            System.out.println("SKIPPED: nocache residency case: the page cache did not keep a 2 MiB file");
        }
        assumeTrue(all, "the page cache did not keep the file");
    }

    /** Reads the whole file (into the page cache) and returns its residency. */
    private static boolean[] cacheAll(Path file) throws IOException {
        Files.readAllBytes(file);
        return residency(file);
    }

    /** Per 4 KiB page of the file: in the page cache or not. */
    private static boolean[] residency(Path file) throws IOException {
        long page = DdCache.PAGE_SIZE;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            boolean[] resident = new boolean[(int) ((size + page - 1) / page)];
            for (int i = 0; i < resident.length; i++) {
                long off = i * page;
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, off, Math.min(page, size - off));
                resident[i] = m.isLoaded();
            }
            return resident;
        }
    }

    private static int count(boolean[] pages, boolean value) {
        int n = 0;
        for (boolean p : pages) {
            n += p == value ? 1 : 0;
        }
        return n;
    }

    /** Runs of cached (C) and dropped (.) pages, e.g. "C x3 . x40 C x471". */
    private static String render(boolean[] pages) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < pages.length) {
            int j = i;
            while (j < pages.length && pages[j] == pages[i]) {
                j++;
            }
            sb.append(pages[i] ? "C" : ".").append(" x").append(j - i).append(' ');
            i = j;
        }
        return sb.toString().trim();
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
