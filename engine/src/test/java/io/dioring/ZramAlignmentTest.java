package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.testing.ZramDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ext4 on zram: statx reports a DIO memory alignment of 512, yet (kernel 6.18 here) an
 * O_DIRECT read into a buffer 512-aligned and not page-aligned returns a full count with
 * wrong data and writes about 4 KiB past the buffer. Through dioring's public API —
 * {@link DirectFile#readFully} and the channel's in-place read — such a buffer must be
 * refused (DirectFile, naming the rule) or bounced (channel), never handed to the kernel.
 *
 * <p>Every buffer sits inside a guard region filled with a known byte, large enough to
 * catch the kernel's overrun, so a wrong engine fails this test instead of the JVM.
 * Needs root and zram: the test adds its own device and removes it.
 */
class ZramAlignmentTest {
    private static final int PAGE = 4096;
    private static final int FILE_BYTES = 16 * PAGE;
    private static final long AT = 2 * PAGE;
    private static final int[] PAGE_OFFSETS = {512, 1024, 2048};
    /** Guard before the page holding the buffer and four pages after it. */
    private static final int REGION = 6 * PAGE;
    private static final byte GUARD = (byte) 0x5A;

    @Test
    @Timeout(120)
    void subPageBuffersAreRefusedOrBouncedNeverCorruptedOnZram() throws Exception {
        try (ZramDevice zram = ZramDevice.mountOrSkip(64)) {
            Path path = zram.root().resolve("data");
            byte[] content = new byte[FILE_BYTES];
            for (int i = 0; i < FILE_BYTES; i += 4) {
                int v = 0x10000000 | i; // every 4 bytes name their own offset: misplaced data shows
                content[i] = (byte) (v >>> 24);
                content[i + 1] = (byte) (v >>> 16);
                content[i + 2] = (byte) (v >>> 8);
                content[i + 3] = (byte) v;
            }
            Files.write(path, content);

            List<String> kernelFaults = new ArrayList<>();
            for (int pageOffset : PAGE_OFFSETS) {
                String fault = kernelRead(path, pageOffset, content);
                System.out.println("kernel O_DIRECT pread into a buffer at page offset " + pageOffset + " on "
                        + zram.path() + ": " + (fault == null ? "correct" : fault));
                if (fault != null) {
                    kernelFaults.add(pageOffset + ": " + fault);
                }
            }

            for (Backend backend : BackendSuite.ALL) {
                if (backend == Backend.IO_URING && IoEngine.unavailabilityCause() != null) {
                    System.out.println("SKIPPED: io_uring run: " + IoEngine.unavailabilityCause());
                    continue;
                }
                try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend))) {
                    try (DirectFile file = engine.open(path, StandardOpenOption.READ)) {
                        System.out.println(backend + ": " + path + " alignment " + file.alignment()
                                + ", memory " + file.memoryAlignment());
                        if (!kernelFaults.isEmpty()) {
                            assertEquals(PAGE, file.memoryAlignment(), backend + ": the kernel mishandles sub-page "
                                    + "buffers here " + kernelFaults + " but the engine allows "
                                    + file.alignment());
                        }
                        for (int pageOffset : PAGE_OFFSETS) {
                            directFileRead(file, pageOffset, content, backend);
                        }
                    }
                    try (FileChannel channel = engine.openChannel(path, StandardOpenOption.READ)) {
                        for (int pageOffset : PAGE_OFFSETS) {
                            channelRead(channel, pageOffset, content, backend);
                        }
                    }
                }
            }
        }
    }

    /** readFully into the sub-page buffer: refused naming the rule, or exactly the file's bytes. */
    private static void directFileRead(DirectFile file, int pageOffset, byte[] content, Backend backend)
            throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = guarded(arena);
            MemorySegment buffer = region.asSlice(PAGE + pageOffset, PAGE);
            long n;
            try {
                n = file.readFully(AT, buffer);
            } catch (IllegalArgumentException refused) {
                String m = refused.getMessage();
                System.out.println(backend + " readFully at page offset " + pageOffset + " refused: " + m);
                assertTrue(m.contains("not aligned to " + file.memoryAlignment() + " bytes"), m);
                assertTrue(m.contains(file.path().toString()), m);
                assertGuardIntact(region, "refused readFully at page offset " + pageOffset);
                return;
            }
            check(region, pageOffset, n, content, backend + " DirectFile.readFully");
        }
    }

    /** The channel reads into any buffer: in place where safe, bounced where not; never wrong. */
    private static void channelRead(FileChannel channel, int pageOffset, byte[] content, Backend backend)
            throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = guarded(arena);
            MemorySegment buffer = region.asSlice(PAGE + pageOffset, PAGE);
            int n = channel.read(buffer.asByteBuffer(), AT);
            check(region, pageOffset, n, content, backend + " FileChannel.read");
        }
    }

    /** The kernel alone (no engine): null when the read is correct, else what went wrong. */
    private static String kernelRead(Path path, int pageOffset, byte[] content) {
        int fd = Libc.open(path.toString(), libc_h.O_RDONLY() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0);
        assertTrue(fd >= 0, "open " + path + ": errno " + -fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = guarded(arena);
            long n = Libc.pread(fd, region.asSlice(PAGE + pageOffset, PAGE), AT);
            if (n < 0) {
                return "refused, errno " + -n;
            }
            try {
                check(region, pageOffset, n, content, "kernel");
                return null;
            } catch (AssertionError e) {
                return e.getMessage();
            }
        } finally {
            Libc.close(fd);
        }
    }

    private static MemorySegment guarded(Arena arena) {
        MemorySegment region = arena.allocate(REGION, PAGE);
        region.fill(GUARD);
        return region;
    }

    private static void check(MemorySegment region, int pageOffset, long n, byte[] content, String what) {
        String where = what + " into a buffer at page offset " + pageOffset;
        MemorySegment buffer = region.asSlice(PAGE + pageOffset, PAGE);
        int wrong = 0;
        int first = -1;
        for (int i = 0; i < PAGE; i++) {
            if (buffer.get(ValueLayout.JAVA_BYTE, i) != content[(int) AT + i]) {
                wrong++;
                first = first < 0 ? i : first;
            }
        }
        int outside = changedOutside(region, pageOffset);
        if (n != PAGE || wrong != 0 || outside != 0) {
            fail(where + ": returned " + n + ", " + wrong + " wrong bytes in the buffer (first at " + first
                    + "), " + outside + " bytes changed outside it");
        }
    }

    private static void assertGuardIntact(MemorySegment region, String what) {
        for (long i = 0; i < region.byteSize(); i++) {
            if (region.get(ValueLayout.JAVA_BYTE, i) != GUARD) {
                fail(what + ": byte " + i + " of the guard region changed");
            }
        }
    }

    private static int changedOutside(MemorySegment region, int pageOffset) {
        int changed = 0;
        long start = PAGE + pageOffset;
        for (long i = 0; i < region.byteSize(); i++) {
            if ((i < start || i >= start + PAGE) && region.get(ValueLayout.JAVA_BYTE, i) != GUARD) {
                changed++;
            }
        }
        return changed;
    }
}
