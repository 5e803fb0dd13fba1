package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.Kernel;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ring.IoRing;
import io.dioring.ring.Ring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A kernel ring behind an {@link IoRing} that forwards every call: tests override what they watch or break. */
class ForwardingRing implements IoRing {
    final Ring ring;

    ForwardingRing(Ring ring) {
        this.ring = ring;
    }

    /**
     * Skips the test (saying why) where io_uring is unavailable; else writes {@code blocks}
     * zeroed 4 KiB blocks to {@code p} and returns a read-only descriptor of it.
     */
    static int openBlocks(Path p, int blocks) throws IOException {
        Kernel.assumeIoUring();
        Files.write(p, new byte[blocks * 4096]);
        int fd = Libc.open(p.toString(), libc_h.O_RDONLY() | libc_h.O_CLOEXEC(), 0);
        assertTrue(fd >= 0, "open " + p + ": " + fd);
        return fd;
    }

    @Override
    public int sqEntries() {
        return ring.sqEntries();
    }

    @Override
    public int cqEntries() {
        return ring.cqEntries();
    }

    @Override
    public int sqSpace() {
        return ring.sqSpace();
    }

    @Override
    public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length, int opFlags,
            int bufIndex, long userData) {
        ring.prepare(opcode, sqeFlags, fd, fileOffset, address, length, opFlags, bufIndex, userData);
    }

    @Override
    public int submit(boolean waitForOne) {
        return ring.submit(waitForOne);
    }

    @Override
    public int reap(long[] userData, int[] result, int max) {
        return ring.reap(userData, result, max);
    }

    @Override
    public void close() {
        ring.close();
    }
}
