package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.file.FileProbe;
import io.dioring.ring.Probe;
import io.dioring.ring.Ring;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the kernel tells dioring, for tools that show it ({@code dioring info}): what a
 * ring gets from this kernel's io_uring, and what direct I/O on a file needs. Both only
 * ask; nothing is written.
 */
public final class KernelProbe {
    private KernelProbe() {}

    /**
     * What a ring made here got from the kernel.
     *
     * @param setup the set-up flags taken and dropped, and the features
     * @param sqEntries the submission queue's size
     * @param cqEntries the completion queue's size
     * @param opcodes the names of the opcodes the kernel supports, in opcode order ("READ_FIXED");
     *        empty when {@code opcodesUnknown} says why
     * @param lastOpcode the highest opcode the kernel knows, or -1 when unknown
     * @param opcodesUnknown why the opcodes are unknown (IORING_REGISTER_PROBE failed), or null
     */
    public record RingFacts(RingSetup setup, int sqEntries, int cqEntries, List<String> opcodes, int lastOpcode,
            String opcodesUnknown) {
        public RingFacts {
            opcodes = List.copyOf(opcodes);
        }
    }

    /**
     * What direct I/O on an open file needs, and what the kernel says of it.
     *
     * @param filesystem the filesystem's name ("ext4", "tmpfs", ...), or its magic number in hex
     * @param size the size in bytes (a block device's capacity), or -errno when fstat failed
     * @param maxIoBytes the largest single I/O the device takes (its max_sectors_kb), or -1 when
     *        unknown (not backed by a block device)
     * @param alignment the O_DIRECT alignment, and where it came from
     *        ({@link DioAlignment#source()}: "statx", "BLKSSZGET" or none reported)
     */
    public record FileFacts(String filesystem, long size, long maxIoBytes, DioAlignment alignment) {}

    /**
     * Makes a ring of {@code entries} with {@code options}, asks it what it got and which
     * opcodes the kernel supports, and closes it.
     *
     * @throws RingSetupException if the ring cannot be made (io_uring unavailable, options refused)
     */
    public static RingFacts ring(int entries, RingOptions options) throws RingSetupException {
        try (Ring ring = Ring.create(entries, options)) {
            List<String> opcodes = List.of();
            int lastOpcode = -1;
            String unknown = null;
            try {
                Probe probe = ring.probe();
                opcodes = probe.supportedNames();
                lastOpcode = probe.lastOp();
            } catch (RingSetupException e) {
                unknown = e.getMessage();
            }
            return new RingFacts(ring.setup(), ring.sqEntries(), ring.cqEntries(), opcodes, lastOpcode, unknown);
        }
    }

    /**
     * Opens {@code path} read-only (a regular file, directory or block device; not a FIFO,
     * which would block), reads what direct I/O on it needs, and closes it.
     *
     * @throws IOException "cannot open PATH read-only: ERRNO (description)" when it cannot be opened
     */
    public static FileFacts file(Path path) throws IOException {
        int fd = Libc.open(path.toString(), libc_h.O_RDONLY() | libc_h.O_CLOEXEC(), 0);
        if (fd < 0) {
            throw new IOException("cannot open " + path + " read-only: " + Errno.describe(fd));
        }
        try {
            return new FileFacts(FileProbe.filesystem(fd), FileProbe.size(fd), FileProbe.maxIoBytes(fd),
                    FileProbe.alignment(fd));
        } finally {
            Libc.close(fd);
        }
    }
}
