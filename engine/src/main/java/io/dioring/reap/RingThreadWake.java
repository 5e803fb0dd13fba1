package io.dioring.reap;

import io.dioring.RingSetupException;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How other threads wake a {@link RingThread} asleep in io_uring_enter: it keeps a read of
 * an eventfd armed on its ring, and a submitter writes the eventfd, only if the ring thread
 * may be asleep and nobody has written it since it fell asleep (the ring thread drains the
 * whole inbox when it wakes). The ring thread says it is about to sleep ({@link #asleep}),
 * then looks at the inbox once more; a submitter puts its request in, then looks here
 * ({@link #wake}): with both sequentially consistent, a request is either seen by that look
 * or wakes the thread.
 *
 * <p>The eventfd is closed only once no thread can still be writing it (fd numbers are
 * reused: a late write would land in someone else's file).
 */
final class RingThreadWake {
    private static final int OP_READ = io_uring_h.IORING_OP_READ();
    /** The user_data of the armed read (a reserved SQE of the loop). */
    private static final long WAKE = 1;
    /** The 8 bytes written to the eventfd: the value 1. Never freed, never changed. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private static final int AWAKE = 0;
    private static final int ASLEEP = 1;
    private static final int WOKEN = 2;

    /** The kernel writes the eventfd counter here; lives as long as the process (8 bytes). */
    private final MemorySegment wakeBuffer = Arena.global().allocate(ValueLayout.JAVA_LONG);
    /** Threads between deciding to write the eventfd and having written it. */
    private final AtomicInteger wakers = new AtomicInteger();
    /**
     * {@link #AWAKE}, {@link #ASLEEP} (about to wait, or waiting, in io_uring_enter) or
     * {@link #WOKEN} (asleep, and one submitter has written the eventfd already: the others
     * need not, since the ring thread drains the whole inbox when it wakes).
     */
    private final AtomicInteger sleepState = new AtomicInteger();
    private volatile int eventFd = -1;
    private volatile boolean closed;
    /** Whether the read is armed on the ring (the ring thread's own). */
    private boolean armed;
    private volatile long wakeups;

    /** Makes the eventfd; on the ring thread, before the loop starts. */
    void open() throws RingSetupException {
        int fd = Libc.eventfd(0, libc_h.EFD_CLOEXEC());
        if (fd < 0) {
            throw new RingSetupException("eventfd for the ring thread's wake-ups", fd);
        }
        eventFd = fd;
    }

    /** Times a submitter had to wake the ring thread. */
    long wakeups() {
        return wakeups;
    }

    /** Whether the read is armed, so the ring thread may wait in io_uring_enter. */
    boolean armed() {
        return armed;
    }

    /** Arms the read on {@code loop} if it is not (the ring thread, while running). */
    void arm(RingLoop loop) {
        if (!armed) {
            armed = loop.prepareReserved(OP_READ, eventFd, wakeBuffer.address(), 8, WAKE);
        }
    }

    /** A reserved SQE of the loop completed (the ring thread). */
    void onReserved(long userData) {
        if (userData == WAKE) {
            armed = false;
        }
    }

    /** The ring thread is about to wait in io_uring_enter; it looks for work once more after this. */
    void asleep() {
        sleepState.set(ASLEEP);
    }

    /** The ring thread is back from io_uring_enter. */
    void awake() {
        sleepState.set(AWAKE);
    }

    /**
     * Writes the eventfd if the ring thread may sleep and nobody has since it began to;
     * never after the eventfd is closed.
     */
    void wake() {
        if (sleepState.get() != ASLEEP || !sleepState.compareAndSet(ASLEEP, WOKEN)) {
            return;
        }
        wakers.incrementAndGet();
        try {
            if (!closed) {
                wakeups++;
                Libc.write(eventFd, ONE);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    /**
     * Writes the eventfd whether or not the ring thread sleeps (a close; or the ring thread
     * itself completing its armed read, the last thing in flight, before the ring goes).
     */
    void wakeNow() {
        wakers.incrementAndGet();
        try {
            if (!closed && eventFd >= 0) {
                Libc.write(eventFd, ONE);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    /** From now on nobody writes the eventfd; returns once nobody is writing it. */
    void stopWriters() {
        closed = true;
        while (wakers.get() != 0) {
            Thread.onSpinWait(); // a submitter is writing the eventfd right now
        }
    }

    /** Closes the eventfd, after {@link #stopWriters} (and after the ring: no read refers to it). */
    void close() {
        assert closed : "eventfd closed while submitters may write it";
        if (eventFd >= 0) {
            Libc.close(eventFd);
        }
    }
}
