package io.dioring.reap;

import io.dioring.RingSetupException;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CompletionSignal} on an eventfd: the kernel writes it when it posts a CQE
 * (IORING_REGISTER_EVENTFD) unless the ring's driver has turned that off, and the engine
 * writes it to wake the reaper. The reaper waits in poll(2) on it, a platform thread
 * blocked in the kernel.
 */
final class EventFdSignal implements CompletionSignal {
    /** The 8 bytes written to wake: the value 1. Never freed, never changed. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private final int fd;
    private final Arena arena = Arena.ofShared();
    /** struct pollfd and the read buffer: the reaper's own, so its wait allocates nothing. */
    private final MemorySegment pollfd = arena.allocate(8, 8);
    private final MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
    /** Threads between deciding to write the eventfd and having written it. */
    private final AtomicInteger wakers = new AtomicInteger();
    private volatile boolean closed;

    EventFdSignal() throws RingSetupException {
        int r = Libc.eventfd(0, libc_h.EFD_CLOEXEC() | libc_h.EFD_NONBLOCK());
        if (r < 0) {
            arena.close();
            throw new RingSetupException("eventfd for a shared ring's completion signal", r);
        }
        this.fd = r;
    }

    /** The descriptor, to register with the ring. */
    int fd() {
        return fd;
    }

    @Override
    public boolean await(int timeoutMillis) {
        int r = Libc.poll(pollfd, fd, Libc.POLLIN, timeoutMillis);
        if (r <= 0) {
            return false; // timeout, or EINTR: the caller looks for work either way
        }
        Libc.read(fd, counter); // resets the count (non-blocking: EAGAIN if someone was faster)
        return true;
    }

    @Override
    public void wake() {
        wakers.incrementAndGet();
        try {
            if (!closed) {
                Libc.write(fd, ONE);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        // fd numbers are reused: a write after close(2) would land in somebody else's file.
        while (wakers.get() != 0) {
            Thread.onSpinWait();
        }
        int r = Libc.close(fd);
        assert r == 0 || r == -Errno.EBADF : "close of the eventfd: " + Errno.describe(r);
        arena.close();
    }
}
