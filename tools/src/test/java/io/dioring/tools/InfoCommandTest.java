package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.IoEngine;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.statx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dioring info} run in-process with its output captured. */
class InfoCommandTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {}

    private static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        System.out.print(out);
        System.out.print(err);
        return new Run(status, out.toString(), err.toString());
    }

    /** Main as the CLI runs it: the subcommands these arguments need registered. */
    private static Run runMain(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.commandLine(args).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void kernelSectionNamesTheRingsFeaturesAndOpcodes() {
        Run r = run(new InfoCommand());
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("kernel:"), r.out);
        assertTrue(r.out.contains("backend:        AUTO picks " + IoEngine.autoChoice()), r.out);
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: ring parts of dioring info: io_uring unavailable: " + cause);
            assertTrue(r.out.contains("unavailable: " + cause), r.out);
            return;
        }
        assertTrue(r.out.contains("io_uring:       available"), r.out);
        assertTrue(r.out.contains("requested "), r.out);
        assertTrue(r.out.contains("taken "), r.out);
        assertTrue(r.out.contains("dropped "), r.out);
        assertTrue(r.out.contains("SINGLE_MMAP"), "features: " + r.out);
        assertTrue(r.out.matches("(?s).*\\bREAD_FIXED\\b.*"), "opcodes: " + r.out);
        assertTrue(r.out.matches("(?s).*\\bWRITE\\b.*"), "opcodes: " + r.out);
        assertTrue(r.out.contains("fixed buffers:  the buffer pool is registered on every engine ring")
                || r.out.contains("fixed buffers:  refused"), "registered buffers: " + r.out);
        assertTrue(r.out.lines().noneMatch(l -> l.length() > 100), "lines are wrapped");
    }

    @Test
    void cpuIdleSaysHowIdleCpusWaitAndWhenWakingOneIsAVmExit() {
        assertEquals(List.of(), InfoCommand.cpuIdle(null, null), "no cpuidle: nothing said");
        assertEquals(List.of(), InfoCommand.cpuIdle("", "0"));
        assertEquals(List.of("intel_idle"), InfoCommand.cpuIdle("intel_idle", null));
        assertEquals(List.of("haltpoll"), InfoCommand.cpuIdle("haltpoll", null));
        assertEquals(List.of("haltpoll, an idle vCPU polls for up to 200000 ns before it halts"),
                InfoCommand.cpuIdle("haltpoll", "200000"));
        List<String> off = InfoCommand.cpuIdle("haltpoll", "0");
        assertEquals(3, off.size(), off.toString());
        assertTrue(off.get(0).startsWith("haltpoll, guest halt polling off (haltpoll's guest_halt_poll_ns is 0)"),
                off.toString());
        assertTrue(off.get(1).contains("VM exit"), off.toString());
        assertTrue(off.stream().allMatch(l -> l.length() <= 100 - 16), "fits beside the label: " + off);
    }

    @Test
    void theKernelSectionShowsTheCpuIdleDriverWhereTheKernelHasOne() throws Exception {
        Run r = run(new InfoCommand());
        assertEquals(0, r.status, r.err);
        Path driver = Path.of(InfoCommand.CPUIDLE_DRIVER);
        if (!Files.isReadable(driver)) {
            System.out.println("SKIPPED: cpu idle line: " + driver + " is not readable here");
            assertFalse(r.out.contains("cpu idle:"), r.out);
            return;
        }
        String name = Files.readString(driver).trim();
        assertTrue(r.out.contains("cpu idle:       " + name), r.out);
    }

    @Test
    void aFileOnThisDiskShowsItsStatxAlignmentAndThatODirectOpens() throws Exception {
        Path file = dir.resolve("data");
        Files.write(file, new byte[8192]);
        int[] expected = statxDioAlign(file);
        System.out.println("statx STATX_DIOALIGN of " + file + ": memory " + expected[0] + ", offset " + expected[1]);
        Run r = run(new InfoCommand(), file.toString());
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("type:           regular file"), r.out);
        String fs = Files.getFileStore(dir).type();
        assertTrue(r.out.contains("filesystem:     " + (fs.equals("ext4") ? "ext4" : "")), r.out);
        assertTrue(r.out.contains("size:           8192 bytes"), r.out);
        // On the project disk (ext4 on 512-byte sectors) this is "memory 512 bytes, offset 512
        // bytes"; the numbers come from a statx of our own so the check holds on any disk.
        assertTrue(r.out.contains("DIO alignment:  memory " + expected[0] + " bytes, offset " + expected[1]
                + " bytes (from statx STATX_DIOALIGN)"), r.out);
        assertTrue(r.out.contains("O_DIRECT:       opens"), r.out);
        assertTrue(r.err.isEmpty(), r.err);
    }

    @Test
    void aDirectoryReportsItsDeviceAndWhatOpenSays() {
        Run r = run(new InfoCommand(), dir.toString());
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("type:           directory"), r.out);
        assertTrue(r.out.contains("files here:"), r.out);
        assertTrue(r.out.contains("O_DIRECT:"), r.out);
    }

    @Test
    void aMissingPathIsOneClearErrorAndStatus1() {
        Path missing = dir.resolve("no-such-file");
        Run r = run(new InfoCommand(), missing.toString());
        assertEquals(1, r.status);
        assertTrue(r.err.contains(missing.toString()), r.err);
        assertTrue(r.err.contains("ENOENT"), r.err);
        assertTrue(r.out.isEmpty(), "nothing else is printed: " + r.out);
    }

    @Test
    void mainDispatchesAndPassesTheStatusOn() {
        assertEquals(1, runMain("info", dir.resolve("missing").toString()).status);
        Run none = runMain();
        assertEquals(2, none.status, "no subcommand is a usage error");
        assertTrue(none.err.contains("info") && none.err.contains("dd"), none.err);
        assertEquals(0, runMain("--help").status);
    }

    private static int[] statxDioAlign(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(statx.layout());
            int rc = Libc.statx(libc_h.AT_FDCWD(), file.toString(), 0, libc_h.STATX_DIOALIGN(), stx);
            assertEquals(0, rc, () -> "statx " + file + ": " + Errno.describe(rc));
            assertTrue((statx.stx_mask(stx) & libc_h.STATX_DIOALIGN()) != 0,
                    "the project disk (ext4) reports STATX_DIOALIGN");
            return new int[] {statx.stx_dio_mem_align(stx), statx.stx_dio_offset_align(stx)};
        }
    }
}
