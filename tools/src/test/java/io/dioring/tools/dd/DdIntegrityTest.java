package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5, "Output integrity": what {@code dioring dd} (through {@link RingBackend}: pipelined,
 * output sized ahead and trimmed back) leaves behind is checked by someone else.
 *
 * <ul>
 * <li>fio writes a file whose every block carries a crc32c verify header (offset, length,
 *     checksum); dd copies it; {@code fio --verify_only} with the same job checks the copy.
 *     Negative controls (one corrupt byte, two records swapped) show that fio does fail
 *     here, so a pass is not vacuous. The copy's size is checked before fio runs: given a
 *     file shorter than the job, fio lays it out afresh instead of verifying it.
 * <li>A copy into a small loop-mounted ext4 runs out of space mid-copy: like GNU dd on the same
 *     file system it must fail with "No space left on device", and the output must hold exactly
 *     the bytes its "records out" line reports, equal to the input's prefix.
 * </ul>
 * Read errors mid-copy are not injected on a real disk here; GnuDdComparisonTest covers
 * faults with a test backend.
 */
class DdIntegrityTest {
    private static final long MIB = 1L << 20;
    private static final Path GNU_DD = Path.of("/usr/bin/dd");
    /** What fio prints for a block that fails verification (its exit code alone is not enough). */
    private static final Pattern FIO_VERIFY_ERROR =
            Pattern.compile("verify failed|bad magic|bad header|verify type mismatch|Expected CRC", Pattern.CASE_INSENSITIVE);
    private static final Pattern RECORDS_OUT = Pattern.compile("(?m)^(\\d+)\\+(\\d+) records out$");
    private static final Pattern BYTES_COPIED = Pattern.compile("(?m)^(\\d+) bytes .*copied");

    @TempDir
    Path dir;

    // ---- fio verification --------------------------------------------------------------

    @Test
    void fioVerifiesAnAlignedCopy() throws Exception {
        assumeFio();
        long size = 48 * MIB;
        Path src = dir.resolve("src");
        Path copy = dir.resolve("copy");
        fioWrite(src, size, "64k");
        Dd r = ours(List.of("if=" + src, "of=" + copy, "bs=1M", "iflag=direct", "oflag=direct", "qd=8"));
        assertEquals(0, r.exit(), r.stderr());
        assertRecords(r, 48, 0, size);
        assertEquals(size, Files.size(copy));
        assertFioVerifies(copy, size, "64k");
    }

    /** 48 MiB + 4 KiB with bs=1M: the last record is a partial one (aligned, still direct). */
    @Test
    void fioVerifiesACopyEndingInAPartialBlock() throws Exception {
        assumeFio();
        long size = 48 * MIB + 4096;
        Path src = dir.resolve("src");
        Path copy = dir.resolve("copy");
        // Mixed block sizes so that fio writes (and later verifies) the final 4 KiB too;
        // with bs=64k it would lay out the tail but neither write nor check it.
        fioWrite(src, size, "4k-64k");
        for (String qd : List.of("qd=8", "qd=1")) {
            Files.deleteIfExists(copy);
            Dd r = ours(List.of("if=" + src, "of=" + copy, "bs=1M", "iflag=direct", "oflag=direct", qd));
            assertEquals(0, r.exit(), qd + ": " + r.stderr());
            assertRecords(r, 48, 1, size);
            assertEquals(size, Files.size(copy), qd);
            assertFioVerifies(copy, size, "4k-64k");
        }
    }

    /**
     * A tail fio does not cover and that is not a multiple of the O_DIRECT alignment, copied
     * with a block size that splits fio's blocks: the final record lands after dd drops
     * O_DIRECT, past what was sized ahead. fio checks its part; the tail is compared byte for byte.
     */
    @Test
    void fioVerifiesACopyWithAnUnalignedTailAndBlocksSplitAcrossRecords() throws Exception {
        assumeFio();
        long fioSize = 48 * MIB + 4096;
        int tail = 1000;
        Path src = dir.resolve("src");
        Path copy = dir.resolve("copy");
        fioWrite(src, fioSize, "4k-64k");
        byte[] tailBytes = new byte[tail];
        new Random(5).nextBytes(tailBytes);
        try (OutputStream o = Files.newOutputStream(src, java.nio.file.StandardOpenOption.APPEND)) {
            o.write(tailBytes);
        }
        long size = fioSize + tail;
        long bs = 1000 * 1024; // a multiple of 512 that divides neither the file nor fio's 64k blocks
        Dd r = ours(List.of("if=" + src, "of=" + copy, "bs=1000K", "iflag=direct", "oflag=direct", "qd=8"));
        assertEquals(0, r.exit(), r.stderr());
        long full = size / bs;
        assertRecords(r, full, 1, size);
        assertEquals(size, Files.size(copy));
        assertFioVerifies(copy, fioSize, "4k-64k");
        assertArrayEquals(tailBytes, readRange(copy, fioSize, tail), "the unaligned tail");
    }

    /** The verifier can fail: one flipped byte, and two records swapped, are both caught. */
    @Test
    void fioVerifyOnlyCatchesACorruptOrShortCopy() throws Exception {
        assumeFio();
        long size = 48 * MIB;
        Path src = dir.resolve("src");
        Path copy = dir.resolve("copy");
        fioWrite(src, size, "64k");
        Dd r = ours(List.of("if=" + src, "of=" + copy, "bs=1M", "iflag=direct", "oflag=direct", "qd=8"));
        assertEquals(0, r.exit(), r.stderr());
        assertFioVerifies(copy, size, "64k");

        // One byte in the middle of a block's payload (offset 40000000 is 10816 bytes into the
        // 64k block at 39989248, past its header): the data checksum must no longer match.
        long at = 40_000_000L;
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
        Fio corrupt = fioVerify(copy, size, "64k");
        assertNotEquals(0, corrupt.exit(), "fio accepted a corrupt copy:\n" + corrupt.output());
        assertTrue(FIO_VERIFY_ERROR.matcher(corrupt.output()).find(), corrupt.output());

        // Two whole records swapped: every 64k block still carries a good checksum, only the
        // offset in its header gives the misplacement away.
        Path swapped = dir.resolve("swapped");
        Dd s = ours(List.of("if=" + src, "of=" + swapped, "bs=1M", "iflag=direct", "oflag=direct", "qd=8"));
        assertEquals(0, s.exit(), s.stderr());
        byte[] a = readRange(swapped, 3 * MIB, (int) MIB);
        byte[] b = readRange(swapped, 30 * MIB, (int) MIB);
        try (RandomAccessFile f = new RandomAccessFile(swapped.toFile(), "rw")) {
            f.seek(3 * MIB);
            f.write(b);
            f.seek(30 * MIB);
            f.write(a);
        }
        Fio misplaced = fioVerify(swapped, size, "64k");
        assertNotEquals(0, misplaced.exit(), "fio accepted swapped records:\n" + misplaced.output());
        assertTrue(FIO_VERIFY_ERROR.matcher(misplaced.output()).find(), misplaced.output());
    }

    // ---- running out of space mid-copy -------------------------------------------------

    /**
     * 64 MiB into a 24 MiB ext4: the first step of sizing ahead (64 MiB) does not fit where
     * 20 MiB of data still does.
     */
    @Test
    void noSpaceLeftMidCopyLeavesExactlyTheBytesReported() throws Exception {
        assumeLoopMounts();
        Path input = randomFile("in64", 64 * MIB, 64);
        runOutOfSpace(24, input, List.of(
                new Case(false, List.of("bs=1M", "oflag=direct", "qd=8")),
                new Case(false, List.of("bs=1M", "oflag=direct", "qd=1")),
                new Case(false, List.of("bs=1M", "qd=8")),
                new Case(true, List.of("bs=1M", "oflag=direct")),
                new Case(true, List.of("bs=1M"))));
    }

    /** 96 MiB into an 80 MiB ext4: the first step fits, a later one does not, with writes in flight. */
    @Test
    void noSpaceLeftAfterTheFirstSizingStepLeavesExactlyTheBytesReported() throws Exception {
        assumeLoopMounts();
        Path input = randomFile("in96", 96 * MIB, 96);
        runOutOfSpace(80, input, List.of(
                new Case(false, List.of("bs=1M", "oflag=direct", "qd=8")),
                new Case(true, List.of("bs=1M", "oflag=direct"))));
    }

    /** One dd run: GNU dd's or ours, with these operands after if= and of=. */
    private record Case(boolean gnu, List<String> operands) {
        @Override
        public String toString() {
            return (gnu ? "GNU dd " : "dioring dd ") + String.join(" ", operands);
        }
    }

    private void runOutOfSpace(int imageMib, Path input, List<Case> cases) throws Exception {
        long inputSize = Files.size(input);
        byte[] in = Files.readAllBytes(input);
        Path image = dir.resolve("fs.img");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        List<String> summary = new ArrayList<>();
        List<long[]> gnuRuns = new ArrayList<>(); // {exit, bytes}
        List<long[]> ourRuns = new ArrayList<>();
        for (Case c : cases) {
            // A fresh file system for every run: ext4 reuses freed blocks only after a journal
            // commit, so deleting the last output would not give the next run the same room.
            makeFileSystem(image, imageMib);
            mount(image, mnt);
            try {
                Path output = mnt.resolve("out");
                List<String> args = new ArrayList<>(List.of("if=" + input, "of=" + output));
                args.addAll(c.operands());
                Dd r = c.gnu() ? gnu(args) : ours(args);
                String what = c + " on a " + imageMib + " MiB ext4:\n" + r.stderr();
                assertNotEquals(0, r.exit(), what);
                assertTrue(r.stderr().contains("error writing '" + output + "': No space left on device"), what);
                long bytes = reportedBytes(r, MIB);
                assertTrue(bytes < inputSize, "no success for data not written: " + what);
                assertTrue(Files.exists(output), what);
                long size = Files.size(output);
                assertEquals(bytes, size, "the output holds exactly the bytes reported: " + what);
                byte[] out = Files.readAllBytes(output);
                assertArrayEquals(Arrays.copyOf(in, (int) size), out, "the output is the input's prefix: " + what);
                (c.gnu() ? gnuRuns : ourRuns).add(new long[] {r.exit(), bytes});
                summary.add(c + ": exit " + r.exit() + ", " + bytes + " bytes");
            } finally {
                unmount(mnt);
            }
        }
        System.out.println("out of space on a " + imageMib + " MiB ext4: " + summary);
        assertFalse(gnuRuns.isEmpty(), "a GNU dd case runs for comparison");
        long gnuBytes = gnuRuns.stream().mapToLong(g -> g[1]).max().orElseThrow();
        for (long[] o : ourRuns) {
            assertEquals(gnuRuns.get(0)[0], o[0], "exit status as GNU dd's: " + summary);
            // Stopping where the disk is full, not where a step of sizing ahead no longer fit.
            assertTrue(o[1] >= gnuBytes / 2, "dioring dd stopped far earlier than GNU dd: " + summary);
        }
    }

    // ---- dd ------------------------------------------------------------------------------

    record Dd(int exit, String stderr) {}

    private static Dd ours(List<String> args) {
        assumeIoUring();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (RingBackend backend = new RingBackend(new PosixBackend(), 16)) {
            int exit = new DdCommand(backend, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), System.getenv(), System::nanoTime).run(args);
            return new Dd(exit, err.toString(StandardCharsets.UTF_8));
        }
    }

    private Dd gnu(List<String> args) throws Exception {
        assumeTrue(Files.isExecutable(GNU_DD), "GNU dd (/usr/bin/dd) is not installed: nothing to compare with");
        List<String> cmd = new ArrayList<>();
        cmd.add(GNU_DD.toString());
        cmd.addAll(args);
        Run r = run(cmd);
        return new Dd(r.exit(), r.output());
    }

    /**
     * Checks a successful copy's statistics: {@code full}+{@code partial} records in and out
     * and {@code bytes} copied.
     */
    private static void assertRecords(Dd r, long full, long partial, long bytes) {
        String records = full + "+" + partial + " records";
        assertTrue(r.stderr().contains(records + " in\n" + records + " out\n"), r.stderr());
        assertEquals(bytes, reportedBytes(r, -1), r.stderr());
    }

    /**
     * The byte count on the "bytes copied" line; with {@code bs > 0}, also checks it against
     * the "records out" line: n full records are n × bs bytes, a partial one adds less than bs.
     */
    private static long reportedBytes(Dd r, long bs) {
        Matcher b = BYTES_COPIED.matcher(r.stderr());
        assertTrue(b.find(), "a bytes copied line:\n" + r.stderr());
        long copied = Long.parseLong(b.group(1));
        if (bs > 0) {
            Matcher m = RECORDS_OUT.matcher(r.stderr());
            assertTrue(m.find(), "a records out line:\n" + r.stderr());
            long full = Long.parseLong(m.group(1));
            long partial = Long.parseLong(m.group(2));
            assertTrue(partial <= 1, r.stderr());
            if (partial == 0) {
                assertEquals(full * bs, copied, "bytes copied are the records out: " + r.stderr());
            } else {
                assertTrue(copied > full * bs && copied < (full + 1) * bs,
                        "bytes copied are the records out: " + r.stderr());
            }
        }
        return copied;
    }

    // ---- fio -----------------------------------------------------------------------------

    record Fio(int exit, String output, long readBytes, int jobError) {}

    private static void assumeFio() throws InterruptedException {
        assumeIoUring();
        boolean present;
        try {
            present = run(List.of("fio", "--version")).exit() == 0;
        } catch (IOException e) {
            present = false;
        }
        if (!present) {
            System.out.println("SKIPPED: fio not installed");
        }
        assumeTrue(present, "fio not installed");
    }

    /** The job both runs share: what fio verifies is what this job wrote, block for block. */
    private List<String> fioJob(Path file, long size, String bs, Path json) {
        return new ArrayList<>(List.of("fio", "--name=v", "--filename=" + file, "--size=" + size,
                bs.contains("-") ? "--bsrange=" + bs : "--bs=" + bs, "--rw=write", "--direct=1", "--ioengine=sync",
                "--verify=crc32c", "--verify_fatal=1", "--verify_dump=0", "--verify_state_save=0",
                "--output-format=json", "--output=" + json));
    }

    private void fioWrite(Path file, long size, String bs) throws Exception {
        Path json = dir.resolve("fio-write.json");
        List<String> cmd = fioJob(file, size, bs, json);
        cmd.add("--do_verify=0");
        Run r = run(cmd);
        assertEquals(0, r.exit(), "fio write: " + r.output());
        assertEquals(size, Files.size(file), "fio wrote the file: " + r.output());
    }

    private Fio fioVerify(Path file, long size, String bs) throws Exception {
        Path json = dir.resolve("fio-verify.json");
        Files.deleteIfExists(json);
        List<String> cmd = fioJob(file, size, bs, json);
        cmd.add("--verify_only");
        Run r = run(cmd);
        String report = Files.exists(json) ? Files.readString(json) : "";
        Matcher read = Pattern.compile("\"read\"\\s*:\\s*\\{\\s*\"io_bytes\"\\s*:\\s*(\\d+)").matcher(report);
        Matcher error = Pattern.compile("\"error\"\\s*:\\s*(\\d+)").matcher(report);
        return new Fio(r.exit(), r.output() + report, read.find() ? Long.parseLong(read.group(1)) : -1,
                error.find() ? Integer.parseInt(error.group(1)) : -1);
    }

    /**
     * fio must exit 0, report job error 0, print no verify failure (without verify_fatal
     * fio can print one and still exit 0) and have read back all {@code size} bytes.
     */
    private void assertFioVerifies(Path file, long size, String bs) throws Exception {
        Fio f = fioVerify(file, size, bs);
        assertEquals(0, f.exit(), "fio --verify_only on the copy:\n" + f.output());
        assertEquals(0, f.jobError(), f.output());
        assertFalse(FIO_VERIFY_ERROR.matcher(f.output()).find(), f.output());
        assertEquals(size, f.readBytes(), "fio read back the whole file:\n" + f.output());
    }

    // ---- loop-mounted ext4 ---------------------------------------------------------------

    private void assumeLoopMounts() throws IOException, InterruptedException {
        assumeIoUring();
        String reason = null;
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!Integer.valueOf(0).equals(uid)) {
            reason = "not root (uid " + uid + "): cannot loop-mount a file system";
        } else if (!Files.isExecutable(GNU_DD)) {
            reason = "GNU dd (/usr/bin/dd) is not installed: nothing to compare with";
        } else if (!Files.exists(Path.of("/dev/loop-control")) && !Files.exists(Path.of("/dev/loop0"))) {
            reason = "no loop devices (/dev/loop-control)";
        } else {
            try {
                if (run(List.of("mkfs.ext4", "-V")).exit() != 0) {
                    reason = "mkfs.ext4 does not run";
                }
            } catch (IOException e) {
                reason = "mkfs.ext4 not installed";
            }
        }
        if (reason == null) {
            // Try once: containers often have loop devices but may not mount.
            Path image = dir.resolve("probe.img");
            Path mnt = dir.resolve("probe");
            try {
                Files.createDirectory(mnt);
                makeFileSystem(image, 8);
                Run m = run(List.of("mount", "-o", "loop", image.toString(), mnt.toString()));
                if (m.exit() != 0) {
                    reason = "cannot loop-mount: " + m.output().strip();
                } else {
                    unmount(mnt);
                }
            } catch (IOException | AssertionError e) {
                reason = "cannot make or mount a file system: " + e.getMessage();
            } finally {
                Files.deleteIfExists(image);
                Files.deleteIfExists(mnt);
            }
        }
        if (reason != null) {
            System.out.println("SKIPPED: " + reason);
        }
        assumeTrue(reason == null, reason);
    }

    private static void makeFileSystem(Path image, int mib) throws IOException, InterruptedException {
        Files.deleteIfExists(image);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(mib * MIB);
        }
        Run r = run(List.of("mkfs.ext4", "-q", "-F", image.toString()));
        assertEquals(0, r.exit(), "mkfs.ext4: " + r.output());
    }

    private static void mount(Path image, Path mnt) throws IOException, InterruptedException {
        Run r = run(List.of("mount", "-o", "loop", image.toString(), mnt.toString()));
        assertEquals(0, r.exit(), "mount -o loop: " + r.output());
    }

    /** Unmounts (lazily if something still holds it; the loop device goes with it). */
    private static void unmount(Path mnt) throws IOException, InterruptedException {
        Run r = run(List.of("umount", mnt.toString()));
        if (r.exit() != 0) {
            Run lazy = run(List.of("umount", "-l", mnt.toString()));
            assertEquals(0, lazy.exit(), "umount " + mnt + ": " + r.output() + lazy.output());
        }
    }

    // ---- helpers -------------------------------------------------------------------------

    private static void assumeIoUring() {
        String cause = io.dioring.IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    private Path randomFile(String name, long size, long seed) throws IOException {
        Path p = dir.resolve(name);
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(p)) {
            for (long done = 0; done < size; done += chunk.length) {
                random.nextBytes(chunk);
                o.write(chunk, 0, (int) Math.min(chunk.length, size - done));
            }
        }
        return p;
    }

    private static byte[] readRange(Path file, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(offset);
            f.readFully(b);
        }
        return b;
    }

    record Run(int exit, String output) {}

    /** Runs a command (stdout and stderr together), giving up on it after two minutes. */
    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // fio drops state and dump files into its working directory; keep them out of the tree.
        pb.directory(Path.of(System.getProperty("java.io.tmpdir")).toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        byte[][] output = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                output[0] = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hung: " + cmd);
        }
        reader.join();
        return new Run(p.exitValue(), new String(output[0], StandardCharsets.UTF_8));
    }
}
