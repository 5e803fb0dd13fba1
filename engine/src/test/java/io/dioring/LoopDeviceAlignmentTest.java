package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.testing.Waits;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loop device with 4096-byte logical sectors: the engine must find the 4096 alignment
 * (statx STATX_DIOALIGN, or BLKSSZGET) and refuse 512-aligned requests. Needs root and
 * losetup; skipped with the reason otherwise.
 */
class LoopDeviceAlignmentTest {
    private static final long IMAGE_BYTES = 64L << 20;
    private static final int SECTOR = 4096;

    @TempDir
    Path dir;

    @Test
    void a4096SectorLoopDeviceReports4096AndRejects512AlignedRequests() throws Exception {
        Kernel.assumeIoUring();
        skipUnless(isRoot(), "not root (losetup needs CAP_SYS_ADMIN)");
        String losetup = findLosetup();
        skipUnless(losetup != null, "losetup not found on PATH, /sbin or /usr/sbin");

        Path image = dir.resolve("loop.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(IMAGE_BYTES);
        }
        Result attach = run(losetup, "--find", "--show", "--sector-size", String.valueOf(SECTOR), image.toString());
        skipUnless(attach.status == 0 && attach.out.startsWith("/dev/"), "losetup --find --show --sector-size "
                + SECTOR + " failed (exit " + attach.status + "): " + attach.err.strip()
                + " — no free loop device in this container?");
        Path device = Path.of(attach.out.strip());
        try (IoEngine engine = IoEngine.create();
                DirectFile file = engine.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            System.out.println(device + " (" + image + "): alignment " + file.alignment() + ", size " + file.size());
            assertTrue(file.isDirect());
            assertEquals(IMAGE_BYTES, file.size(), "capacity from BLKGETSIZE64");
            assertEquals(SECTOR, file.offsetAlignment(), "offset alignment from " + file.alignment().source());
            String source = file.alignment().source();
            int memory = file.memoryAlignment();
            assertTrue(source.equals("statx") || source.equals("BLKSSZGET"), source);
            if (source.equals("BLKSSZGET")) {
                assertEquals(SECTOR, memory, "BLKSSZGET gives one number for both");
            } else {
                // statx reports the queue's DMA alignment (dma_alignment + 1) for memory, which
                // for a loop device is 512 whatever its sector size: only offsets and lengths
                // must be 4096-aligned. The round trip below uses a buffer aligned to exactly
                // that much and no more, to show the number is true.
                assertTrue(memory >= 1 && memory <= SECTOR, "memory alignment " + memory);
            }
            System.out.println("offset alignment " + file.offsetAlignment() + ", memory alignment " + memory
                    + ", from " + source);

            // Aligned to `memory` but not to 2 * memory, so the round trip proves `memory` is enough.
            MemorySegment block = engine.buffers().allocate(4 * SECTOR, SECTOR);
            MemorySegment buf = memory < SECTOR ? block.asSlice(memory, 2 * SECTOR) : block.asSlice(0, 2 * SECTOR);
            var offset = assertThrows(IllegalArgumentException.class, () -> file.read(512, buf.asSlice(0, SECTOR)));
            assertTrue(offset.getMessage().contains("offset 512"), offset.getMessage());
            assertTrue(offset.getMessage().contains("4096"), offset.getMessage());
            assertTrue(offset.getMessage().contains(device.toString()), offset.getMessage());
            var length = assertThrows(IllegalArgumentException.class, () -> file.write(0, buf.asSlice(0, 512)));
            assertTrue(length.getMessage().contains("length 512"), length.getMessage());
            assertTrue(length.getMessage().contains("4096"), length.getMessage());
            if (memory > 1) {
                var address = assertThrows(IllegalArgumentException.class,
                        () -> file.read(0, block.asSlice(memory / 2, SECTOR)));
                assertTrue(address.getMessage().contains("aligned to " + memory), address.getMessage());
            }

            byte[] expected = new byte[SECTOR];
            new Random(4096).nextBytes(expected);
            MemorySegment src = buf.asSlice(0, SECTOR);
            MemorySegment dst = buf.asSlice(SECTOR, SECTOR);
            MemorySegment.copy(expected, 0, src, ValueLayout.JAVA_BYTE, 0, SECTOR);
            long at = 5L * SECTOR;
            assertEquals(SECTOR, Waits.get(file.write(at, src), "the write at " + at));
            assertEquals(SECTOR, Waits.get(file.read(at, dst), "the read at " + at));
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
        } finally {
            Result detach = run(losetup, "-d", device.toString());
            assertEquals(0, detach.status, "losetup -d " + device + ": " + detach.err);
        }
    }

    private static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            System.out.println("SKIPPED: " + reason);
        }
        assumeTrue(condition, reason);
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String findLosetup() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/sbin");
        dirs.add("/sbin");
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "losetup"))) {
                return Path.of(d, "losetup").toString();
            }
        }
        return null;
    }

    private record Result(int status, String out, String err) {}

    private static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "", String.join(" ", command) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }
}
