package io.dioring.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A FUSE passthrough filesystem that injects faults ({@code engine/src/test/c/faultfs.c}),
 * mounted on a temporary directory for one test.
 *
 * <p>The C source is compiled once per build into {@code engine/target/faultfs} (again only
 * when the source is newer than the binary) with {@code gcc $(pkg-config --cflags --libs
 * fuse3)}. The daemon runs in the foreground, single-threaded, every file direct_io; its
 * faults come from a config file it re-reads whenever it changes, so {@link #configure}
 * takes effect on the next request. Rules, one per string (see faultfs.c): {@link #cut},
 * {@link #zero}, {@link #readEio}, {@link #writeEio}, {@link #delayMs}.
 *
 * <p>{@link #mountOrSkip()} skips the calling test (JUnit assumption, with a printed
 * {@code SKIPPED: <reason>} line) where /dev/fuse, root, gcc, pkg-config, the fuse3 headers
 * or fusermount3 are missing. The mount is always undone: by {@link #close()}, by a shutdown
 * hook if the JVM exits first, and by the daemon itself if the JVM dies (it watches its
 * parent and libfuse's auto_unmount helper unmounts when it exits).
 */
public final class FaultFs implements AutoCloseable {
    private static final long MOUNT_TIMEOUT_MS = 10_000;
    private static final Object BUILD_LOCK = new Object();

    private final Path dir;
    private final Path backing;
    private final Path mountPoint;
    private final Path config;
    private final Process daemon;
    private final Thread unmountHook;
    private boolean closed;

    private FaultFs(Path dir, Path backing, Path mountPoint, Path config, Process daemon) {
        this.dir = dir;
        this.backing = backing;
        this.mountPoint = mountPoint;
        this.config = config;
        this.daemon = daemon;
        this.unmountHook = new Thread(this::unmount, "faultfs-unmount");
        Runtime.getRuntime().addShutdownHook(unmountHook);
    }

    /** Why a FaultFs cannot be mounted here, or null if it can be tried. */
    public static String unavailableReason() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return "/dev/fuse is missing";
        }
        if (!isRoot()) {
            return "not root (mounting FUSE without fusermount needs root)";
        }
        for (String tool : List.of("gcc", "pkg-config", "fusermount3")) {
            if (onPath(tool) == null) {
                return tool + " is not on PATH (Debian: gcc, pkg-config, fuse3)";
            }
        }
        if (findSource() == null) {
            return "faultfs.c not found above " + Path.of("").toAbsolutePath();
        }
        return null;
    }

    /**
     * Builds (if needed) and mounts a fresh FaultFs with no faults, or skips the calling
     * test with a printed reason when this machine cannot.
     */
    public static FaultFs mountOrSkip() throws IOException {
        String reason = unavailableReason();
        Path binary = null;
        if (reason == null) {
            try {
                binary = build();
            } catch (IOException e) {
                reason = e.getMessage();
            }
        }
        if (reason != null) {
            System.out.println("SKIPPED: FUSE fault filesystem unavailable: " + reason);
            Assumptions.assumeTrue(false, reason);
        }
        return mount(binary);
    }

    /** The mounted filesystem's root: files created here live in {@link #backing()}. */
    public Path root() {
        return mountPoint;
    }

    /** A file in the mount. */
    public Path file(String name) {
        return mountPoint.resolve(name);
    }

    /** The backing directory (the same files without faults or FUSE in between). */
    public Path backing() {
        return backing;
    }

    /**
     * Replaces every fault with these rules (atomically: the daemon sees the old or the new
     * set, never a mix). No rules: no faults.
     */
    public void configure(String... rules) throws IOException {
        Path tmp = config.resolveSibling("faults.tmp");
        Files.writeString(tmp, String.join("\n", rules) + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A read spanning {@code offset} ends there (a short read). */
    public static String cut(long offset) {
        return "cut " + offset;
    }

    /** As {@link #cut(long)}, for one file of the mount only. */
    public static String cut(long offset, String fileName) {
        return cut(offset) + " /" + fileName;
    }

    /** A read starting exactly at {@code offset} returns 0 bytes (a false end of file). */
    public static String zero(long offset) {
        return "zero " + offset;
    }

    /** A read overlapping [start, end) fails with EIO. */
    public static String readEio(long start, long end) {
        return "read_eio " + start + " " + end;
    }

    /** As {@link #readEio(long, long)}, for one file of the mount only. */
    public static String readEio(long start, long end, String fileName) {
        return readEio(start, end) + " /" + fileName;
    }

    /** A write overlapping [start, end) fails with EIO and writes nothing. */
    public static String writeEio(long start, long end) {
        return "write_eio " + start + " " + end;
    }

    /** As {@link #writeEio(long, long)}, for one file of the mount only. */
    public static String writeEio(long start, long end, String fileName) {
        return writeEio(start, end) + " /" + fileName;
    }

    /** Every read and write request waits {@code ms} first. */
    public static String delayMs(long ms) {
        return "delay_ms " + ms;
    }

    /** Unmounts, stops the daemon and deletes the temporary directories. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        unmount();
        try {
            Runtime.getRuntime().removeShutdownHook(unmountHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        if (mounted(mountPoint)) {
            throw new IOException("faultfs still mounted on " + mountPoint + " after fusermount3 -u and umount -l");
        }
        deleteTree(dir);
    }

    private void unmount() {
        if (mounted(mountPoint)) {
            if (run(10, "fusermount3", "-u", mountPoint.toString()) != 0) {
                run(10, "umount", "-l", mountPoint.toString());
            }
        }
        try {
            if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            daemon.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- mounting

    private static FaultFs mount(Path binary) throws IOException {
        Path dir = Files.createTempDirectory("faultfs");
        Path backing = Files.createDirectory(dir.resolve("backing"));
        Path mountPoint = Files.createDirectory(dir.resolve("mnt"));
        Path config = dir.resolve("faults");
        Files.writeString(config, "");
        Path log = dir.resolve("daemon.log");
        Process daemon = new ProcessBuilder(binary.toString(), backing.toString(), config.toString(),
                mountPoint.toString(), "-f", "-s", "-o", "auto_unmount")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        FaultFs fs = new FaultFs(dir, backing, mountPoint, config, daemon);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOUNT_TIMEOUT_MS);
        while (!mounted(mountPoint)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                String output = Files.exists(log) ? Files.readString(log) : "";
                fs.close();
                throw new IOException("faultfs did not mount on " + mountPoint + ": " + output.strip());
            }
            sleep(20);
        }
        return fs;
    }

    private static boolean mounted(Path mountPoint) {
        try {
            String needle = " " + mountPoint.toAbsolutePath() + " ";
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(needle));
        } catch (IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- building

    /** Compiles faultfs.c into engine/target unless the binary there is newer than the source. */
    private static Path build() throws IOException {
        synchronized (BUILD_LOCK) {
            Path source = findSource();
            Path target = source.getParent().getParent().getParent().getParent().resolve("target");
            Path binary = target.resolve("faultfs");
            if (Files.isExecutable(binary)
                    && Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) >= 0) {
                return binary;
            }
            Files.createDirectories(target);
            List<String> flags = pkgConfigFuse3();
            Path tmp = target.resolve("faultfs.tmp" + ProcessHandle.current().pid());
            List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-o", tmp.toString(), source.toString()));
            cmd.addAll(flags);
            Result r = capture(60, cmd);
            if (r.status != 0) {
                Files.deleteIfExists(tmp);
                throw new IOException("gcc could not build faultfs (fuse3 headers missing? Debian: libfuse3-dev): "
                        + r.output.strip());
            }
            Files.move(tmp, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return binary;
        }
    }

    private static List<String> pkgConfigFuse3() throws IOException {
        Result r = capture(30, List.of("pkg-config", "--cflags", "--libs", "fuse3"));
        if (r.status != 0) {
            throw new IOException("pkg-config knows no fuse3 (Debian: libfuse3-dev): " + r.output.strip());
        }
        return List.of(r.output.strip().split("\\s+"));
    }

    /** engine/src/test/c/faultfs.c, looked for from the working directory up (engine/ or tools/). */
    private static Path findSource() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("engine/src/test/c/faultfs.c");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- helpers

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static Path onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private record Result(int status, String output) {}

    private static Result capture(long timeoutSeconds, List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + ": timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted running " + cmd, e);
        }
    }

    private static int run(long timeoutSeconds, String... cmd) {
        try {
            return capture(timeoutSeconds, List.of(cmd)).status;
        } catch (IOException e) {
            return -1;
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mounting faultfs", e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
