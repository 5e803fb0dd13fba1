package io.dioring.file;

import io.dioring.DioAlignment;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.stat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks a reported O_DIRECT memory alignment smaller than a page before the engine believes
 * it, once per device per process.
 *
 * <p>Why: on ext4 over zram (kernel 6.18) statx reports a memory alignment of 512, yet an
 * O_DIRECT read into a buffer that is 512-aligned and not page-aligned returns a full count
 * with wrong data and writes about 4 KiB past the buffer. Handed to the kernel from the JVM
 * that is silent corruption or a crash. The number cannot be trusted on its word.
 *
 * <p>What: before the first file of a device is used, the engine reads one block of known
 * contents into a buffer at each sub-page offset the reported alignment allows (m, 2m, ...,
 * page/2), each inside a guard region filled with a known byte, from an O_DIRECT descriptor
 * with plain pread. The alignment stands only if every read returns the whole block, the
 * right bytes, and leaves the guard untouched; otherwise memory alignment is held to the page
 * size for that device, and the source says why. The guard region spans five pages past the
 * buffer, so a device that overruns by a page (as zram does) writes only into it.
 *
 * <p>Which contents: a temporary file (O_TMPFILE: nameless, gone when closed, even after a
 * crash) that the check writes itself in the file's directory, with a pattern in which every
 * 4 bytes name their own offset, so data misplaced by any amount shows. The file being opened
 * is the fallback (read-only directory, filesystem without O_TMPFILE), when it is readable
 * and holds a block: its bytes read into a page-aligned buffer are the reference, which
 * catches overruns and misplaced data though not a block of identical bytes read from the
 * wrong place. A block device is checked on its own first block. Where neither is possible
 * (an empty file opened write-only in a read-only directory) the alignment is held to the
 * page for that file and the device is checked again at the next open.
 */
public final class MemoryAlignmentCheck {
    private static final int PAGE = Libc.pageSize();
    private static final int GUARD_PAGES_AFTER = 5;
    private static final byte GUARD = (byte) 0xA5;
    /** __O_TMPFILE | O_DIRECTORY, x86-64 values (as are the rest of the generated bindings). */
    private static final int O_TMPFILE = 0x410000;
    private static final int S_IFMT = libc_h.S_IFMT();

    /** Verdicts by device and reported alignment: a device is probed once per process. */
    private static final ConcurrentHashMap<Key, Verdict> VERDICTS = new ConcurrentHashMap<>();
    private static final AtomicInteger PROBES = new AtomicInteger();

    private record Key(long device, int memory, int offset) {}

    /** Whether the reported alignment held, and what the probe saw. */
    private record Verdict(boolean safe, String detail) {}

    private MemoryAlignmentCheck() {}

    /**
     * The alignment to enforce for {@code fd}: {@code reported} where it is a page or more,
     * not stated by the kernel, the descriptor is not O_DIRECT, or the probe passed on this
     * device; else the same with memory alignment raised to the page size.
     */
    static DioAlignment check(int fd, DioAlignment reported) {
        if (!reported.reported() || reported.memory() >= PAGE || !isDirect(fd)) {
            return reported;
        }
        long[] st = statOf(fd);
        if (st == null) {
            return held(reported, "fstat failed, so the device is unknown and its alignment unchecked");
        }
        boolean blockDevice = (st[0] & S_IFMT) == libc_h.S_IFBLK();
        long device = blockDevice ? st[1] : st[2];
        Key key = new Key(device, reported.memory(), reported.offset());
        String[] unverified = new String[1];
        Verdict verdict = VERDICTS.computeIfAbsent(key, k -> {
            Verdict v = probe(fd, blockDevice, reported, deviceName(device));
            if (v == null) {
                unverified[0] = "could not be checked on device " + deviceName(device)
                        + " (no temporary file and no readable block of this file)";
            }
            return v;
        });
        if (verdict == null) {
            return held(reported, unverified[0]);
        }
        return verdict.safe() ? reported : held(reported, verdict.detail());
    }

    /** How many probes this process ran (for tests: once per device). */
    static int probesRun() {
        return PROBES.get();
    }

    private static DioAlignment held(DioAlignment reported, String why) {
        return new DioAlignment(PAGE, reported.offset(), reported.source() + "; memory alignment "
                + reported.memory() + " reported, held to the page size " + PAGE + ": " + why);
    }

    /** The verdict for this device, or null when no block of known contents could be had. */
    private static Verdict probe(int fd, boolean blockDevice, DioAlignment reported, String device) {
        PROBES.incrementAndGet();
        int length = Math.max(PAGE, reported.offset());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reference = arena.allocate(length, PAGE);
            int probeFd = blockDevice ? -1 : temporaryFile(fd, reference);
            boolean own = probeFd >= 0;
            if (!own) {
                if (!readable(fd) || Libc.pread(fd, reference, 0) != length) {
                    return null;
                }
                probeFd = fd;
            }
            try {
                for (int at = reported.memory(); at < PAGE; at *= 2) {
                    String fault = readInto(probeFd, arena, at, reference);
                    if (fault != null) {
                        return new Verdict(false, "an O_DIRECT read of " + length + " bytes into a buffer at page offset "
                                + at + " on device " + device + " " + fault);
                    }
                }
                return new Verdict(true, "sub-page reads on device " + device + " correct");
            } finally {
                if (own) {
                    Libc.close(probeFd);
                }
            }
        }
    }

    /** One guarded read at page offset {@code at}: null if correct, else what went wrong. */
    private static String readInto(int fd, Arena arena, int at, MemorySegment reference) {
        long length = reference.byteSize();
        MemorySegment region = arena.allocate(PAGE + at + length + (long) GUARD_PAGES_AFTER * PAGE, PAGE);
        region.fill(GUARD);
        MemorySegment buffer = region.asSlice(PAGE + at, length);
        long n = Libc.pread(fd, buffer, 0);
        if (n < 0) {
            return "failed with " + Errno.name((int) -n);
        }
        long wrong = 0;
        for (long i = 0; i < n; i++) {
            if (buffer.get(ValueLayout.JAVA_BYTE, i) != reference.get(ValueLayout.JAVA_BYTE, i)) {
                wrong++;
            }
        }
        long outside = 0;
        for (long i = 0; i < region.byteSize(); i++) {
            boolean inBuffer = i >= PAGE + at && i < PAGE + at + length;
            if (!inBuffer && region.get(ValueLayout.JAVA_BYTE, i) != GUARD) {
                outside++;
            }
        }
        if (n == length && wrong == 0 && outside == 0) {
            return null;
        }
        return "returned " + n + " with " + wrong + " wrong bytes and changed " + outside + " bytes outside the buffer";
    }

    /**
     * A nameless O_DIRECT file beside {@code fd}'s, holding {@code reference} (filled here with
     * a pattern in which every 4 bytes name their own offset), or -1.
     */
    private static int temporaryFile(int fd, MemorySegment reference) {
        Path dir;
        try {
            dir = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).getParent();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return -1;
        }
        if (dir == null) {
            return -1;
        }
        int tmp = Libc.open(dir.toString(), O_TMPFILE | libc_h.O_RDWR() | libc_h.O_DIRECT() | libc_h.O_CLOEXEC(), 0600);
        if (tmp < 0) {
            return -1;
        }
        for (int i = 0; i + 4 <= reference.byteSize(); i += 4) {
            reference.set(ValueLayout.JAVA_INT_UNALIGNED, i, 0x6d610000 ^ i);
        }
        if (Libc.pwrite(tmp, reference, 0) != reference.byteSize()) {
            Libc.close(tmp);
            return -1;
        }
        return tmp;
    }

    private static boolean isDirect(int fd) {
        int flags = Libc.fcntl(fd, libc_h.F_GETFL(), 0);
        return flags >= 0 && (flags & libc_h.O_DIRECT()) != 0;
    }

    private static boolean readable(int fd) {
        int flags = Libc.fcntl(fd, libc_h.F_GETFL(), 0);
        return flags >= 0 && (flags & 3) != libc_h.O_WRONLY();
    }

    /** {st_mode, st_rdev, st_dev}, or null. */
    private static long[] statOf(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(stat.layout());
            if (Libc.fstat(fd, st) != 0) {
                return null;
            }
            return new long[] {stat.st_mode(st), stat.st_rdev(st), stat.st_dev(st)};
        }
    }

    private static String deviceName(long dev) {
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        return major + ":" + minor;
    }
}
