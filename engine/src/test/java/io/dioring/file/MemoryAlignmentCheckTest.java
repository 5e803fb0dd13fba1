package io.dioring.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.DioAlignment;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check on an ordinary filesystem: run once per device, only for O_DIRECT descriptors. */
class MemoryAlignmentCheckTest {
    @TempDir
    Path dir;

    @Test
    void aDeviceIsProbedOnceAndABufferedDescriptorNever() throws Exception {
        Path a = Files.write(dir.resolve("a"), new byte[8192]);
        Path b = Files.write(dir.resolve("b"), new byte[0]);
        int buffered = Libc.open(a.toString(), libc_h.O_RDONLY() | libc_h.O_CLOEXEC(), 0);
        int directA = Libc.open(a.toString(), libc_h.O_RDONLY() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        int directB = Libc.open(b.toString(), libc_h.O_WRONLY() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        try {
            assertTrue(buffered >= 0 && directA >= 0, "open " + a);
            if (directB < 0) {
                System.out.println("SKIPPED: " + dir + " refuses O_DIRECT (errno " + -directB + ")");
            }
            assumeTrue(directB >= 0, dir + " refuses O_DIRECT");
            DioAlignment reported = FileProbe.reportedAlignment(directA);
            System.out.println(dir + ": reported " + reported + ", enforced " + FileProbe.alignment(directA));
            if (!reported.reported() || reported.memory() >= Libc.pageSize()) {
                System.out.println("SKIPPED: " + dir + " reports no sub-page memory alignment: nothing to check");
            }
            assumeTrue(reported.reported() && reported.memory() < Libc.pageSize(), "no sub-page alignment reported");

            int before = MemoryAlignmentCheck.probesRun();
            assertEquals(reported, MemoryAlignmentCheck.check(buffered, reported), "buffered: nothing to check");
            DioAlignment first = FileProbe.alignment(directA);
            // b is empty and write-only: it could not be probed itself, yet its device's verdict applies.
            DioAlignment second = FileProbe.alignment(directB);
            assertTrue(MemoryAlignmentCheck.probesRun() - before <= 1, "one probe per device per process");
            assertEquals(first, second, "same device, same verdict");
            assertTrue(first.equals(reported) || first.memory() == Libc.pageSize()
                    && first.source().contains("held to the page size"), first.toString());
        } finally {
            for (int fd : new int[] {buffered, directA, directB}) {
                if (fd >= 0) {
                    Libc.close(fd);
                }
            }
        }
    }
}
