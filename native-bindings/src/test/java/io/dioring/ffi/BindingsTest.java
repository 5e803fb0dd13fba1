package io.dioring.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.ffi.linux.io_cqring_offsets;
import io.dioring.ffi.linux.io_sqring_offsets;
import io.dioring.ffi.linux.io_uring_cqe;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_params;
import io.dioring.ffi.linux.io_uring_sqe;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.statx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The generated layouts agree with the kernel's ABI, and errno reaches Java. */
class BindingsTest {

    @Test
    void structSizesMatchTheKernelAbi() {
        assertEquals(64, io_uring_sqe.layout().byteSize(), "io_uring_sqe");
        assertEquals(16, io_uring_cqe.layout().byteSize(), "io_uring_cqe");
        assertEquals(120, io_uring_params.layout().byteSize(), "io_uring_params");
        assertEquals(40, io_sqring_offsets.layout().byteSize(), "io_sqring_offsets");
        assertEquals(40, io_cqring_offsets.layout().byteSize(), "io_cqring_offsets");
        assertEquals(256, statx.layout().byteSize(), "statx");
    }

    @Test
    void fieldOffsetsMatchTheKernelAbi() {
        assertEquals(0, io_uring_sqe.opcode$offset());
        assertEquals(1, io_uring_sqe.flags$offset());
        assertEquals(4, io_uring_sqe.fd$offset());
        assertEquals(8, io_uring_sqe.off$offset());
        assertEquals(16, io_uring_sqe.addr$offset());
        assertEquals(24, io_uring_sqe.len$offset());
        assertEquals(28, io_uring_sqe.rw_flags$offset());
        assertEquals(32, io_uring_sqe.user_data$offset());
        assertEquals(40, io_uring_sqe.buf_index$offset());
        assertEquals(0, io_uring_cqe.user_data$offset());
        assertEquals(8, io_uring_cqe.res$offset());
        assertEquals(12, io_uring_cqe.flags$offset());
        assertEquals(0, io_uring_params.sq_entries$offset());
        assertEquals(20, io_uring_params.features$offset());
        assertEquals(40, io_uring_params.sq_off$offset());
        assertEquals(80, io_uring_params.cq_off$offset());
        assertEquals(0x98, statx.stx_dio_mem_align$offset(), "statx.stx_dio_mem_align");
        assertEquals(0x9c, statx.stx_dio_offset_align$offset(), "statx.stx_dio_offset_align");
    }

    @Test
    void constantsMatchTheHeaders() {
        assertEquals(22, io_uring_h.IORING_OP_READ());
        assertEquals(4, io_uring_h.IORING_OP_READ_FIXED());
        assertEquals(0x10000000L, io_uring_h.IORING_OFF_SQES());
        assertEquals(0x4000, libc_h.O_DIRECT());
        assertEquals(0x2000, libc_h.STATX_DIOALIGN());
        assertEquals(425, libc_h.SYS_io_uring_setup());
    }

    @Test
    void errnoIsCapturedForAFailingCall() {
        assertEquals(-Errno.EBADF, Libc.close(-1));
        assertEquals("EBADF", Errno.name(Errno.EBADF));
        assertEquals("Bad file descriptor", Errno.message(Errno.EBADF));
        assertEquals("ENOENT (No such file or directory)", Errno.describe(-Errno.ENOENT));
        assertEquals(-Errno.ENOENT, Libc.open("/nonexistent/dioring", libc_h.O_RDONLY(), 0));
    }

    @Test
    void ioUringEnterOnABadFdReportsEbadf() {
        MemorySegment slot = ErrnoCapture.allocateSlot();
        assertEquals(-Errno.EBADF, Syscalls.ioUringEnter(slot, -1, 0, 0, 0, 0, 0));
    }

    @Test
    void ioUringSetupRejectsZeroEntries() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(io_uring_params.layout());
            int r = Syscalls.ioUringSetup(0, params);
            // EINVAL where io_uring is allowed; ENOSYS/EPERM where it is not: never success.
            assertTrue(r == -Errno.EINVAL || r == -Errno.ENOSYS || r == -Errno.EPERM,
                    "io_uring_setup(0) returned " + r);
        }
    }

    @Test
    void eventfdRoundTripsACounter() {
        int fd = Libc.eventfd(0, libc_h.EFD_CLOEXEC());
        assertTrue(fd >= 0, "eventfd: " + Errno.describe(fd));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(8);
            one.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 5);
            assertEquals(8, Libc.write(fd, one));
            MemorySegment got = arena.allocate(8);
            assertEquals(8, Libc.read(fd, got));
            assertEquals(5, got.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        } finally {
            assertEquals(0, Libc.close(fd));
        }
    }

    @Test
    void pollSeesAnEventfdOnlyOnceItIsWritten() {
        int fd = Libc.eventfd(0, libc_h.EFD_CLOEXEC());
        assertTrue(fd >= 0, "eventfd: " + Errno.describe(fd));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8);
            assertEquals(0, Libc.poll(pollfd, fd, Libc.POLLIN, 0), "nothing written yet: not ready");
            MemorySegment one = arena.allocate(8);
            one.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1);
            assertEquals(8, Libc.write(fd, one));
            assertEquals(1, Libc.poll(pollfd, fd, Libc.POLLIN, 1000));
            assertEquals(Libc.POLLIN, pollfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6), "revents");
        } finally {
            assertEquals(0, Libc.close(fd));
        }
    }

    /**
     * The constants spelled out by hand until the next regen.sh ({@link IoUringAbi},
     * {@link Libc#POLLIN}, {@link RwFlags}) have the values of the installed headers.
     */
    @Test
    void handWrittenConstantsMatchTheInstalledHeaders() throws java.io.IOException {
        java.nio.file.Path uring = java.nio.file.Path.of("/usr/include/linux/io_uring.h");
        java.nio.file.Path poll = java.nio.file.Path.of("/usr/include/asm-generic/poll.h");
        java.nio.file.Path fs = java.nio.file.Path.of("/usr/include/linux/fs.h");
        if (!java.nio.file.Files.exists(uring) || !java.nio.file.Files.exists(poll) || !java.nio.file.Files.exists(fs)) {
            System.out.println("SKIPPED: handWrittenConstantsMatchTheInstalledHeaders: kernel headers not installed "
                    + "(apt-get install linux-libc-dev)");
            org.junit.jupiter.api.Assumptions.abort("kernel headers not installed");
        }
        String u = java.nio.file.Files.readString(uring);
        assertEquals(IoUringAbi.IORING_REGISTER_EVENTFD, headerValue(u, "IORING_REGISTER_EVENTFD"));
        assertEquals(IoUringAbi.IORING_UNREGISTER_EVENTFD, headerValue(u, "IORING_UNREGISTER_EVENTFD"));
        assertEquals(IoUringAbi.IORING_REGISTER_BUFFERS2, headerValue(u, "IORING_REGISTER_BUFFERS2"));
        assertEquals(IoUringAbi.IORING_REGISTER_BUFFERS_UPDATE, headerValue(u, "IORING_REGISTER_BUFFERS_UPDATE"));
        assertEquals(IoUringAbi.IORING_RSRC_REGISTER_SPARSE, headerValue(u, "IORING_RSRC_REGISTER_SPARSE"));
        assertEquals(IoUringAbi.IORING_CQ_EVENTFD_DISABLED, headerValue(u, "IORING_CQ_EVENTFD_DISABLED"));
        assertEquals(Libc.POLLIN, headerValue(java.nio.file.Files.readString(poll), "POLLIN"));
        String f = java.nio.file.Files.readString(fs);
        assertEquals(RwFlags.RWF_DSYNC, headerValue(f, "RWF_DSYNC"));
        assertEquals(RwFlags.RWF_SYNC, headerValue(f, "RWF_SYNC"));
    }

    /** The value of {@code name} in a header: "#define NAME value" or an enum's "NAME = value". */
    private static int headerValue(String header, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)(?:#define\\s+" + name
                + "\\s+\\(*(?:\\(\\w+\\))?|^\\s*" + name + "\\s*=\\s*)(0x[0-9a-fA-F]+|\\d+)U?"
                + "(?:\\s*<<\\s*(\\d+))?")
                .matcher(header);
        if (!m.find()) {
            throw new AssertionError(name + " not found in the header");
        }
        String v = m.group(1);
        int value = v.startsWith("0x") ? Integer.parseInt(v.substring(2), 16) : Integer.parseInt(v);
        return m.group(2) == null ? value : value << Integer.parseInt(m.group(2));
    }

    /**
     * Every libc function goes through the one shared downcall (seven longs, variadic): values
     * that need all 64 bits, negative ints, pointers in and out, and results of both widths.
     */
    @Test
    void callsThroughTheSharedHandleCarryEveryArgumentAndResult(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) {
        String path = dir.resolve("f").toString();
        int fd = Libc.open(path, libc_h.O_RDWR() | libc_h.O_CREAT() | libc_h.O_CLOEXEC(), 0600);
        assertTrue(fd >= 0, "open: " + Errno.describe(fd));
        try (Arena arena = Arena.ofConfined()) {
            long far = 5L << 32; // an offset beyond 32 bits, through a sparse file
            MemorySegment data = arena.allocate(4096);
            for (int i = 0; i < 4096; i++) {
                data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31));
            }
            assertEquals(4096, Libc.pwrite(fd, data, far));
            MemorySegment back = arena.allocate(4096);
            assertEquals(4096, Libc.pread(fd, back, far));
            assertEquals(-1, data.mismatch(back));
            assertEquals(far + 4096, Libc.lseek(fd, 0, 2 /* SEEK_END */));
            assertEquals(0, Libc.ftruncate(fd, 8192));
            assertEquals(8192, Libc.lseek(fd, 0, 2));
            assertEquals(0, Libc.fsync(fd));
            assertEquals(0, Libc.fdatasync(fd));
            int flags = Libc.fcntl(fd, libc_h.F_GETFL(), 0);
            assertTrue(flags >= 0 && (flags & libc_h.O_RDWR()) != 0, "F_GETFL " + flags);
            MemorySegment sx = arena.allocate(statx.layout());
            assertEquals(0, Libc.statx(libc_h.AT_FDCWD(), path, 0, libc_h.STATX_BASIC_STATS(), sx));
            assertEquals(8192, statx.stx_size(sx));
            assertEquals(0, Libc.posixFadvise(fd, 0, 0, libc_h.POSIX_FADV_DONTNEED()));
            assertEquals(-Errno.EINVAL, Libc.posixFadvise(fd, 0, 0, 12345));
            long map = Libc.mmap(4096, libc_h.PROT_READ(), libc_h.MAP_SHARED(), fd, 0);
            assertTrue(map > 0, "mmap: " + Errno.describe((int) map));
            assertEquals(0, Libc.munmap(map, 4096));
            assertEquals(-Errno.EBADF, Libc.lseek(-1, 0, 0));
            assertEquals(-Errno.ENOENT, Libc.statx(libc_h.AT_FDCWD(), path + ".missing", 0, 0, sx));
        } finally {
            assertEquals(0, Libc.close(fd));
        }
        assertTrue(Libc.pageSize() >= 4096 && Integer.bitCount(Libc.pageSize()) == 1, "page " + Libc.pageSize());
        assertEquals(0, Libc.kill(ProcessHandle.current().pid(), 0)); // signal 0: only checks the pid
        assertEquals(-3 /* ESRCH */, Libc.kill(Integer.MAX_VALUE, 0));
        assertEquals("No such file or directory", Libc.strerror(Errno.ENOENT));
    }

    @Test
    void pointerArgumentsMustBeLiveNativeMemory() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Libc.write(1, MemorySegment.ofArray(new byte[8])));
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(8);
        }
        MemorySegment dead = closed;
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> Libc.write(1, dead));
    }
}
