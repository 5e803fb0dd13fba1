package io.dioring.seccomp;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.child.Report;
import io.dioring.child.Seccomp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Issue 11: the engine in a process where seccomp denies io_uring. Args: dir, EPERM|ENOSYS.
 * Installs the filter first thing (before the engine's classes are touched), proves it is in
 * force ({@code directSetupErrno}: io_uring_setup called straight through syscall(2)), then
 * records {@code IoEngine.unavailabilityCause()} ({@code cause}) and whether a round trip
 * through {@code IoEngine.create()} with the defaults works: 4 MiB of seeded random bytes
 * written, fsynced, read back, compared by CRC32 ({@code roundTrip=ok}, or what failed).
 * Prints SKIPPED when seccomp itself cannot be used here.
 */
public final class BlockedIoUringSubject {
    private static final int BYTES = 4 << 20;
    private static final Duration LIMIT = Duration.ofSeconds(20);

    private BlockedIoUringSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path dir = Path.of(args[0]);
            int errno = args[1].equals("ENOSYS") ? Seccomp.ENOSYS : Seccomp.EPERM;
            String refused = Seccomp.denyIoUring(errno);
            if (refused != null) {
                Report.skip("seccomp unavailable: " + refused);
            }
            report.put("filter", "installed").put("directSetupErrno", errnoName(Seccomp.ioUringSetupErrno()));
            report.put("cause", IoEngine.unavailabilityCause());
            report.within(LIMIT, "the round trip through IoEngine.create()", () -> {
                try {
                    report.put("roundTrip", roundTrip(dir.resolve("round-trip")));
                } catch (Exception e) {
                    report.put("roundTrip", "failed: " + e.getClass().getName() + ": " + e.getMessage());
                }
            });
        });
    }

    private static String roundTrip(Path path) throws Exception {
        byte[] bytes = new byte[BYTES];
        new Random(11).nextBytes(bytes);
        CRC32 written = new CRC32();
        written.update(bytes);
        try (IoEngine engine = IoEngine.create();
                DirectFile file = engine.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            MemorySegment src = engine.buffers().allocate(BYTES);
            MemorySegment.copy(bytes, 0, src, ValueLayout.JAVA_BYTE, 0, BYTES);
            long w = file.writeFully(0, src);
            file.fsync().get(LIMIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            MemorySegment dst = engine.buffers().allocate(BYTES);
            long r = file.read(0, dst).get(LIMIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            CRC32 read = new CRC32();
            read.update(dst.asByteBuffer());
            if (w != BYTES || r != BYTES || read.getValue() != written.getValue()) {
                return "mismatch: wrote " + w + ", read " + r + ", crc32 written " + Long.toHexString(written.getValue())
                        + " read " + Long.toHexString(read.getValue());
            }
            return "ok";
        }
    }

    private static String errnoName(int errno) {
        return switch (errno) {
            case 0 -> "none (io_uring_setup succeeded: the filter is not in force)";
            case Seccomp.EPERM -> "EPERM";
            case Seccomp.ENOSYS -> "ENOSYS";
            default -> "errno " + errno;
        };
    }
}
