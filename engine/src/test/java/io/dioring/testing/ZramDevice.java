package io.dioring.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A zram device of the test's own, with ext4 on it, mounted on a temporary directory:
 * {@code hot_add} a device, set its size, mkfs.ext4, mount; {@link #close()} unmounts and
 * {@code hot_remove}s it. The shared benchmark device /dev/zram0 is never touched.
 *
 * <p>{@link #mountOrSkip} skips the calling test with a printed {@code SKIPPED: <reason>}
 * without root, zram, mkfs.ext4 or mount.
 */
public final class ZramDevice implements AutoCloseable {
    private static final Path CONTROL = Path.of("/sys/class/zram-control");

    private final int number;
    private final Path mountPoint;
    private boolean mounted;

    private ZramDevice(int number, Path mountPoint) {
        this.number = number;
        this.mountPoint = mountPoint;
    }

    /** A fresh ext4 filesystem of {@code megabytes} MiB on a new zram device, or a skipped test. */
    public static ZramDevice mountOrSkip(int megabytes) throws IOException {
        String reason = unavailableReason();
        if (reason != null) {
            skip(reason);
        }
        int n;
        try {
            n = Integer.parseInt(Files.readString(CONTROL.resolve("hot_add")).strip());
        } catch (IOException | NumberFormatException e) {
            skip("cannot add a zram device (" + CONTROL.resolve("hot_add") + "): " + e);
            throw new AssertionError("unreachable");
        }
        ZramDevice device = new ZramDevice(n, Files.createTempDirectory("zram" + n + "-"));
        try {
            Files.writeString(Path.of("/sys/block/zram" + n + "/disksize"), megabytes + "M");
            device.run("mkfs.ext4", "-q", "-F", device.path().toString());
            device.run("mount", device.path().toString(), device.mountPoint.toString());
            device.mounted = true;
            return device;
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private static String unavailableReason() {
        if (!Files.isDirectory(CONTROL)) {
            return "no zram (" + CONTROL + " is missing; modprobe zram)";
        }
        try {
            if ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") != 0) {
                return "not root (adding a zram device and mounting it needs root)";
            }
        } catch (IOException | RuntimeException e) {
            return "cannot tell whether we are root: " + e;
        }
        return null;
    }

    private static void skip(String reason) {
        System.out.println("SKIPPED: " + reason);
        Assumptions.assumeTrue(false, reason);
    }

    /** The block device, /dev/zramN. */
    public Path path() {
        return Path.of("/dev/zram" + number);
    }

    /** Where its ext4 filesystem is mounted. */
    public Path root() {
        return mountPoint;
    }

    private void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + command[0], e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
        }
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        if (mounted) {
            mounted = false;
            try {
                run("umount", mountPoint.toString());
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            Files.writeString(CONTROL.resolve("hot_remove"), Integer.toString(number));
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        Files.deleteIfExists(mountPoint);
        if (failure != null) {
            throw failure;
        }
    }
}
