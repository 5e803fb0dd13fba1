package io.dioring.tools;

import io.dioring.IoEngine;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.statx;
import io.dioring.DioAlignment;
import io.dioring.KernelProbe;
import io.dioring.RingOptions;
import io.dioring.RingSetup;
import io.dioring.RingSetupException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dioring info [PATH]}: what this kernel offers dioring (io_uring, set-up flags,
 * features, opcodes) and, for PATH, what direct I/O on it needs. PATH is only opened
 * read-only; nothing is written anywhere.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the kernel's io_uring support and, for PATH, its filesystem and O_DIRECT alignment.")
public final class InfoCommand implements Callable<Integer> {
    /** Ring size for the probe ring: small, it only answers questions. */
    private static final int PROBE_ENTRIES = 8;
    private static final String LABEL = "%-16s%s%n";
    static final String CPUIDLE_DRIVER = "/sys/devices/system/cpu/cpuidle/current_driver";
    static final String HALT_POLL_NS = "/sys/module/haltpoll/parameters/guest_halt_poll_ns";

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH",
            description = "A file, directory or block device to examine (opened read-only).")
    Path path;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Target target = null;
            if (path != null) {
                // Check PATH before printing anything, so a typo costs one clear line.
                target = stat(path.toString());
                if (target.errno != 0) {
                    err.println("dioring info: " + path + ": " + Errno.describe(target.errno));
                    return 1;
                }
            }
            printKernel(out);
            return target == null ? 0 : printPath(out, err, target);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** What statx says of PATH: its type and the device its filesystem lives on, or the errno. */
    private record Target(int errno, int mode, long devMajor, long devMinor) {}

    private static Target stat(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(statx.layout());
            int r = Libc.statx(libc_h.AT_FDCWD(), name, 0, libc_h.STATX_TYPE(), stx);
            if (r < 0) {
                return new Target(-r, 0, 0, 0);
            }
            return new Target(0, Short.toUnsignedInt(statx.stx_mode(stx)) & libc_h.S_IFMT(),
                    Integer.toUnsignedLong(statx.stx_dev_major(stx)), Integer.toUnsignedLong(statx.stx_dev_minor(stx)));
        }
    }

    // ---- the kernel ---------------------------------------------------------------------

    private static void printKernel(PrintWriter out) {
        out.printf(LABEL, "kernel:", readProc("/proc/sys/kernel/osrelease"));
        List<String> idle = cpuIdle(readSys(Path.of(CPUIDLE_DRIVER)), readSys(Path.of(HALT_POLL_NS)));
        for (int i = 0; i < idle.size(); i++) {
            out.printf(LABEL, i == 0 ? "cpu idle:" : "", idle.get(i));
        }
        out.printf(LABEL, "backend:", "AUTO picks " + IoEngine.autoChoice());
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            out.printf(LABEL, "io_uring:", "unavailable: " + cause);
            String sysctl = readProc("/proc/sys/kernel/io_uring_disabled");
            out.printf(LABEL, "", "(kernel.io_uring_disabled = " + sysctl + "; set-up flags, features and "
                    + "opcodes are not shown without a ring)");
            return;
        }
        out.printf(LABEL, "io_uring:", "available");
        try {
            KernelProbe.RingFacts ring = KernelProbe.ring(PROBE_ENTRIES, RingOptions.defaults());
            RingSetup setup = ring.setup();
            out.printf(LABEL, "setup flags:", "requested " + RingSetup.flagNames(setup.flags() | setup.dropped()));
            out.printf(LABEL, "", "taken     " + RingSetup.flagNames(setup.flags()));
            out.printf(LABEL, "", "dropped   " + RingSetup.flagNames(setup.dropped())
                    + (setup.refusals().isEmpty() ? "" : " (" + setup.refusals() + ")"));
            out.printf(LABEL, "ring:", "sq " + ring.sqEntries() + " entries, cq " + ring.cqEntries() + " entries");
            out.printf(LABEL, "features:", Integer.bitCount(setup.features()) + " (IORING_FEAT_*)");
            printWrapped(out, List.of(RingSetup.featureNames(setup.features()).split("\\|")));
            if (ring.opcodesUnknown() == null) {
                out.printf(LABEL, "opcodes:", ring.opcodes().size() + " supported (last op " + ring.lastOpcode() + ")");
                printWrapped(out, ring.opcodes());
            } else {
                out.printf(LABEL, "opcodes:", "unknown: " + ring.opcodesUnknown());
            }
            printRegisteredBuffers(out);
        } catch (RingSetupException e) {
            out.printf(LABEL, "setup flags:", "a ring with the default options failed: " + e.getMessage());
        }
    }

    /**
     * How this machine's idle CPUs wait (Linux's cpuidle driver), in lines for the
     * {@code cpu idle:} label; none where the kernel does not say. A virtual machine's guest
     * with halt polling off ({@code haltpoll} with {@code guest_halt_poll_ns} 0) halts an idle
     * vCPU at once, and waking it is a VM exit: a read completed away from the thread that
     * waits for it (any asynchronous engine's, dioring's on a disk) pays one or more of those
     * per completion, where a thread blocked in pread(2) pays one.
     *
     * @param driver the contents of {@value #CPUIDLE_DRIVER}, or null
     * @param haltPollNs the contents of {@value #HALT_POLL_NS}, or null
     */
    static List<String> cpuIdle(String driver, String haltPollNs) {
        if (driver == null || driver.isEmpty()) {
            return List.of();
        }
        if (!driver.equals("haltpoll") || haltPollNs == null) {
            return List.of(driver);
        }
        if (haltPollNs.equals("0")) {
            return List.of("haltpoll, guest halt polling off (haltpoll's guest_halt_poll_ns is 0):",
                    "an idle vCPU halts at once, and waking one is a VM exit: each completion that",
                    "wakes a thread on an idle vCPU pays it (README: Caller-driven rings)");
        }
        return List.of("haltpoll, an idle vCPU polls for up to " + haltPollNs + " ns before it halts");
    }

    /**
     * Whether an engine with the default configuration registers its buffer pool on its rings
     * (pooled and bounce-buffer I/O then goes out READ_FIXED/WRITE_FIXED), or why not.
     */
    private static void printRegisteredBuffers(PrintWriter out) {
        try (IoEngine engine = IoEngine.create()) {
            engine.buffers().give(engine.buffers().take(4096)); // the pool's first slab
            String refusal = engine.registeredBuffersRefusal();
            if (refusal != null) {
                out.printf(LABEL, "fixed buffers:", "refused, plain READ/WRITE: " + refusal);
            } else if (engine.registeredBuffers()) {
                out.printf(LABEL, "fixed buffers:", "the buffer pool is registered on every engine ring");
            } else {
                out.printf(LABEL, "fixed buffers:", "not used (-Ddioring.registeredBuffers=false, or no kernel rings)");
            }
        } catch (IOException e) {
            out.printf(LABEL, "fixed buffers:", "an engine with the defaults failed: " + e.getMessage());
        }
    }

    private static void printWrapped(PrintWriter out, List<String> names) {
        StringBuilder line = new StringBuilder();
        for (String n : names) {
            if (line.length() > 0 && line.length() + 1 + n.length() > 62) {
                out.printf(LABEL, "", line);
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(n);
        }
        if (line.length() > 0) {
            out.printf(LABEL, "", line);
        }
    }

    // ---- the path -----------------------------------------------------------------------

    private int printPath(PrintWriter out, PrintWriter err, Target target) {
        String name = path.toString();
        int mode = target.mode;
        out.println();
        out.printf(LABEL, "path:", path.toAbsolutePath().normalize());
        out.printf(LABEL, "type:", typeName(mode));
        boolean directory = mode == libc_h.S_IFDIR();
        if (!directory && mode != libc_h.S_IFREG() && mode != libc_h.S_IFBLK()) {
            // Opening a FIFO blocks, a character device may act on open: neither does direct I/O.
            out.printf(LABEL, "O_DIRECT:", "not applicable (direct I/O is for regular files and block devices)");
            return 0;
        }
        KernelProbe.FileFacts facts;
        try {
            facts = KernelProbe.file(path);
        } catch (IOException e) {
            err.println("dioring info: " + e.getMessage());
            return 1;
        }
        out.printf(LABEL, "filesystem:", mode == libc_h.S_IFBLK()
                ? facts.filesystem() + " (the device node's; I/O goes to the device itself)"
                : facts.filesystem());
        long size = facts.size();
        out.printf(LABEL, "size:", size < 0 ? "unknown: " + Errno.describe((int) size) : size + " bytes");
        long maxIo = facts.maxIoBytes();
        out.printf(LABEL, "max I/O:", maxIo > 0 ? maxIo + " bytes per request (device max_sectors_kb)"
                : "unknown (not backed by a block device)");
        DioAlignment a = facts.alignment();
        if (directory && !a.reported()) {
            out.printf(LABEL, "DIO alignment:", "none of its own (STATX_DIOALIGN is reported for regular files "
                    + "and block devices)");
            printDeviceAlignment(out, target.devMajor, target.devMinor);
        } else {
            out.printf(LABEL, "DIO alignment:", "memory " + a.memory() + " bytes, offset " + a.offset()
                    + " bytes (from " + describeSource(a.source()) + ")");
        }
        printDirectOpen(out, name, directory);
        return 0;
    }

    /** For a directory: the alignment of its filesystem's device, read from sysfs. */
    private static void printDeviceAlignment(PrintWriter out, long major, long minor) {
        Path dev = Path.of("/sys/dev/block/" + major + ":" + minor);
        for (Path queue : new Path[] {dev.resolve("queue"), dev.resolve("../queue")}) {
            String logical = readSys(queue.resolve("logical_block_size"));
            String dma = readSys(queue.resolve("dma_alignment"));
            if (logical != null && dma != null) {
                try {
                    long memory = Long.parseLong(dma) + 1;
                    out.printf(LABEL, "files here:", "memory " + memory + " bytes, offset " + logical
                            + " bytes (device " + major + ":" + minor + " in sysfs: dma_alignment + 1, "
                            + "logical_block_size)");
                    return;
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        out.printf(LABEL, "files here:", "unknown (device " + major + ":" + minor
                + " is not a block device in sysfs; open a file to see its alignment)");
    }

    private static void printDirectOpen(PrintWriter out, String name, boolean directory) {
        int fd = Libc.open(name, libc_h.O_RDONLY() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        if (fd >= 0) {
            Libc.close(fd);
            out.printf(LABEL, "O_DIRECT:", "opens (open O_RDONLY|O_DIRECT succeeded)");
        } else {
            out.printf(LABEL, "O_DIRECT:", "refused: open O_RDONLY|O_DIRECT failed with " + Errno.describe(fd)
                    + (directory ? " (for the directory itself; O_DIRECT is for the files in it)" : ""));
        }
    }

    private static String describeSource(String source) {
        return switch (source) {
            case "statx" -> "statx STATX_DIOALIGN";
            case "BLKSSZGET" -> "BLKSSZGET, the device's logical block size";
            case DioAlignment.NONE_REPORTED -> "nothing reported: the kernel decides each request";
            default -> source;
        };
    }

    private static String typeName(int mode) {
        if (mode == libc_h.S_IFREG()) return "regular file";
        if (mode == libc_h.S_IFDIR()) return "directory";
        if (mode == libc_h.S_IFBLK()) return "block device";
        if (mode == libc_h.S_IFCHR()) return "character device";
        if (mode == libc_h.S_IFIFO()) return "fifo";
        return "other (mode 0" + Integer.toOctalString(mode) + ")";
    }

    private static String readProc(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown (" + file + ": " + e.getMessage() + ")";
        }
    }

    private static String readSys(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
