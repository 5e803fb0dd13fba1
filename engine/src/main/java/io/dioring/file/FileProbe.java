package io.dioring.file;

import io.dioring.DioAlignment;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.stat;
import io.dioring.ffi.linux.statfs;
import io.dioring.ffi.linux.statx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** Reads from the kernel what dioring needs to know about an open file. */
public final class FileProbe {
    private static final int S_IFMT = libc_h.S_IFMT();
    private static final int S_IFBLK = libc_h.S_IFBLK();
    private static final int S_IFREG = libc_h.S_IFREG();
    private static final long BLKSSZGET = libc_h.BLKSSZGET();
    private static final long BLKGETSIZE64 = Integer.toUnsignedLong((int) libc_h.BLKGETSIZE64());

    private FileProbe() {}

    /**
     * The O_DIRECT alignment to enforce on the file: what the kernel reports ({@link
     * #reportedAlignment}), with a memory alignment below the page size believed only after
     * {@link MemoryAlignmentCheck} has seen the device honour it (held to the page size
     * otherwise; the source then says why).
     */
    public static DioAlignment alignment(int fd) {
        return MemoryAlignmentCheck.check(fd, reportedAlignment(fd));
    }

    /**
     * The file's O_DIRECT alignment as the kernel reports it: STATX_DIOALIGN where the
     * filesystem reports it, else the logical block size of a block device, else {@link
     * DioAlignment#noneReported()}: filesystems that state no rule (FUSE, NFS, tmpfs) leave
     * the decision to the kernel.
     */
    public static DioAlignment reportedAlignment(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(statx.layout());
            int r = Libc.statx(fd, "", libc_h.AT_EMPTY_PATH(), libc_h.STATX_DIOALIGN() | libc_h.STATX_TYPE(), stx);
            if (r == 0 && (statx.stx_mask(stx) & libc_h.STATX_DIOALIGN()) != 0) {
                int mem = statx.stx_dio_mem_align(stx);
                int off = statx.stx_dio_offset_align(stx);
                if (mem > 0 && off > 0) {
                    return new DioAlignment(mem, off, "statx");
                }
            }
            if (isBlockDevice(fd)) {
                MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                if (Libc.ioctl(fd, BLKSSZGET, size) == 0) {
                    int logical = size.get(ValueLayout.JAVA_INT, 0);
                    return new DioAlignment(logical, logical, "BLKSSZGET");
                }
            }
            return DioAlignment.noneReported();
        }
    }

    /** st_mode of the open file. */
    public static int mode(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(stat.layout());
            int r = Libc.fstat(fd, st);
            return r == 0 ? stat.st_mode(st) : 0;
        }
    }

    public static boolean isBlockDevice(int fd) {
        return (mode(fd) & S_IFMT) == S_IFBLK;
    }

    public static boolean isRegularFile(int fd) {
        return (mode(fd) & S_IFMT) == S_IFREG;
    }

    /**
     * The file's size in bytes (a block device's capacity).
     *
     * @return the size, or -errno
     */
    public static long size(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(stat.layout());
            int r = Libc.fstat(fd, st);
            if (r < 0) {
                return r;
            }
            if ((stat.st_mode(st) & S_IFMT) == S_IFBLK) {
                MemorySegment bytes = arena.allocate(ValueLayout.JAVA_LONG);
                int b = Libc.ioctl(fd, BLKGETSIZE64, bytes);
                return b < 0 ? b : bytes.get(ValueLayout.JAVA_LONG, 0);
            }
            return stat.st_size(st);
        }
    }

    /**
     * The largest single I/O the device takes, from /sys/dev/block/MAJ:MIN/queue/max_sectors_kb
     * (of the device or, for a partition, its parent), or -1 when unknown.
     */
    public static long maxIoBytes(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(stat.layout());
            if (Libc.fstat(fd, st) != 0) {
                return -1;
            }
            long dev = (stat.st_mode(st) & S_IFMT) == S_IFBLK ? stat.st_rdev(st) : stat.st_dev(st);
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            Path base = Path.of("/sys/dev/block/" + major + ":" + minor);
            for (Path q : new Path[] {base.resolve("queue/max_sectors_kb"), base.resolve("../queue/max_sectors_kb")}) {
                try {
                    String kb = java.nio.file.Files.readString(q).trim();
                    return Long.parseLong(kb) * 1024;
                } catch (java.io.IOException | NumberFormatException | SecurityException e) {
                    // Not a block-backed filesystem, or no such attribute: try the next one.
                }
            }
            return -1;
        }
    }

    /** The filesystem's name ("ext4", "tmpfs", ...) from its magic number, or the number in hex. */
    public static String filesystem(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(statfs.layout());
            int r = Libc.fstatfs(fd, buf);
            if (r < 0) {
                return "unknown (" + Errno.name(r) + ")";
            }
            long magic = statfs.f_type(buf) & 0xffffffffL;
            if (magic == (libc_h.EXT4_SUPER_MAGIC() & 0xffffffffL)) return "ext4";
            if (magic == (libc_h.XFS_SUPER_MAGIC() & 0xffffffffL)) return "xfs";
            if (magic == (libc_h.BTRFS_SUPER_MAGIC() & 0xffffffffL)) return "btrfs";
            if (magic == (libc_h.TMPFS_MAGIC() & 0xffffffffL)) return "tmpfs";
            if (magic == (libc_h.FUSE_SUPER_MAGIC() & 0xffffffffL)) return "fuse";
            if (magic == (libc_h.NFS_SUPER_MAGIC() & 0xffffffffL)) return "nfs";
            if (magic == (libc_h.OVERLAYFS_SUPER_MAGIC() & 0xffffffffL)) return "overlayfs";
            if (magic == 0x62656572L) return "sysfs";
            if (magic == 0x01021994L) return "tmpfs";
            return "0x" + Long.toHexString(magic);
        }
    }
}
