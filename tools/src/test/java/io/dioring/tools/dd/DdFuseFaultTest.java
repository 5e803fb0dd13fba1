package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import io.dioring.testing.FaultFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code dioring dd} (through io_uring, as the CLI runs it) against GNU dd over the FUSE
 * fault filesystem: short reads (aligned and unaligned, direct and buffered, qd 1 and 8),
 * EIO on reads with and without {@code conv=noerror,sync}, EIO on writes with and without
 * {@code conv=notrunc}. Same records lines and messages, exit status and output bytes.
 * The source is 16 blocks of 64 KiB and 5,000 bytes, as in issue 13.
 */
class DdFuseFaultTest {
    private static final Path GNU_DD = Path.of("/usr/bin/dd");
    private static final int BLOCK = 64 << 10;
    private static final int SOURCE_SIZE = 16 * BLOCK + 5000;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static FaultFs fs;
    private static byte[] source;
    private static byte[] oldOutput;
    private static Path local;

    @BeforeAll
    static void mount() throws Exception {
        if (!Files.isExecutable(GNU_DD)) {
            System.out.println("SKIPPED: GNU dd (/usr/bin/dd) is not installed: nothing to compare with");
        }
        assumeTrue(Files.isExecutable(GNU_DD), "GNU dd missing");
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, "io_uring unavailable");
        fs = FaultFs.mountOrSkip();
        source = new byte[SOURCE_SIZE];
        new Random(13).nextBytes(source);
        oldOutput = new byte[SOURCE_SIZE + 3 * BLOCK];
        Arrays.fill(oldOutput, (byte) 'x');
        Files.write(fs.backing().resolve("in"), source);
        Path target = Path.of("target");
        Files.createDirectories(target);
        local = Files.createTempDirectory(target.toAbsolutePath(), "dd-fuse");
        Files.write(local.resolve("in"), source);
    }

    @AfterAll
    static void unmount() throws Exception {
        if (fs != null) {
            fs.close();
        }
        if (local != null) {
            try (Stream<Path> walk = Files.walk(local)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> shortReads() {
        List<DynamicTest> tests = new ArrayList<>();
        for (long cut : new long[] {3L * BLOCK + 8192, 200_000}) {
            for (String flag : new String[] {"iflag=direct", null}) {
                for (int qd : new int[] {1, 8}) {
                    List<String> args = new ArrayList<>(List.of("if=" + fs.file("in"), "of=" + local.resolve("out"),
                            "bs=64k"));
                    if (flag != null) {
                        args.add(flag);
                    }
                    String name = "short read at " + cut + " " + String.join(" ", args.subList(2, args.size())) + " qd="
                            + qd;
                    tests.add(DynamicTest.dynamicTest(name, () -> compare(args, qd, local.resolve("out"), null,
                            FaultFs.cut(cut, "in"))));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> readErrors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String conv : new String[] {null, "conv=noerror,sync", "conv=noerror"}) {
            for (int qd : new int[] {1, 8}) {
                List<String> args = new ArrayList<>(List.of("if=" + fs.file("in"), "of=" + local.resolve("out"),
                        "bs=64k", "iflag=direct"));
                if (conv != null) {
                    args.add(conv);
                }
                tests.add(DynamicTest.dynamicTest("EIO in block 6 " + (conv == null ? "" : conv) + " qd=" + qd,
                        () -> compare(args, qd, local.resolve("out"), null,
                                FaultFs.readEio(6L * BLOCK + 100, 6L * BLOCK + 101, "in"))));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> writeErrors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String conv : new String[] {null, "conv=notrunc"}) {
            for (String flag : new String[] {"oflag=direct", null}) {
                for (int qd : new int[] {1, 8}) {
                    List<String> args = new ArrayList<>(List.of("if=" + local.resolve("in"), "of=" + fs.file("out"),
                            "bs=64k"));
                    if (flag != null) {
                        args.add(flag);
                    }
                    if (conv != null) {
                        args.add(conv);
                    }
                    tests.add(DynamicTest.dynamicTest("write EIO in block 6 " + String.join(" ", args.subList(2,
                            args.size())) + " qd=" + qd, () -> compare(args, qd, fs.backing().resolve("out"), oldOutput,
                                    FaultFs.writeEio(6L * BLOCK + 100, 6L * BLOCK + 101, "out"))));
                }
            }
        }
        return tests.stream();
    }

    private record Outcome(int exit, String stderr, byte[] file) {}

    private static void compare(List<String> args, int qd, Path output, byte[] initial, String fault) throws Exception {
        fs.configure(fault);
        reset(output, initial);
        Outcome gnu = gnu(args, output);
        reset(output, initial);
        List<String> withQd = new ArrayList<>(args);
        withQd.add("qd=" + qd);
        Outcome ours = assertTimeoutPreemptively(TIMEOUT, () -> ours(withQd, output));
        String what = String.join(" ", withQd) + " with fault '" + fault + "'";
        assertEquals(GnuDdComparisonTest.normalize(gnu.stderr()), GnuDdComparisonTest.normalize(ours.stderr()),
                "stderr of: dd " + what);
        assertEquals(gnu.exit(), ours.exit(), "exit status of: dd " + what);
        assertEquals(gnu.file().length, ours.file().length, "output size after: dd " + what);
        assertArrayEquals(gnu.file(), ours.file(), "output bytes after: dd " + what);
    }

    private static void reset(Path output, byte[] initial) throws IOException {
        Files.deleteIfExists(output);
        if (initial != null) {
            Files.write(output, initial);
        }
    }

    private static Outcome gnu(List<String> args, Path output) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(GNU_DD.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("GNU dd hung: " + args);
        }
        String stderr = new String(err, StandardCharsets.UTF_8).replace(GNU_DD + ":", "dd:");
        return new Outcome(p.exitValue(), stderr, Files.exists(output) ? Files.readAllBytes(output) : new byte[0]);
    }

    /** dioring dd in-process, files through io_uring as the CLI does. */
    private static Outcome ours(List<String> args, Path output) throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new DdCommand(RingBackend.best(new PosixBackend()), new PrintStream(new ByteArrayOutputStream()),
                errStream, System.getenv(), System::nanoTime).run(args);
        return new Outcome(exit, err.toString(StandardCharsets.UTF_8),
                Files.exists(output) ? Files.readAllBytes(output) : new byte[0]);
    }
}
