package io.dioring;

/**
 * Who enters the engine's io_uring rings ({@link EngineConfig#submission()}).
 *
 * <p>Measured on 2 CPUs (README, "Caller-driven rings"): on a device where a read finishes
 * inside {@code io_uring_enter} (a RAM disk, the page cache, a fast NVMe drive) the kernel's
 * work for it runs on the thread that enters the ring, so one ring thread serialises every
 * caller's reads on one CPU; callers that enter the ring themselves spread that work over
 * the CPUs they run on and skip the hand-off to the ring thread and back.
 */
public enum Submission {
    /**
     * The calling thread (virtual or platform) writes its request's SQEs and enters a ring
     * itself, taking one nobody else is driving; a read that completes inside that call
     * returns without parking or waking anyone. Completions that finish later are reaped by
     * the next caller to enter that ring, or by the ring's reaper thread, woken only for
     * those. Asynchronous requests too (futures, callbacks): the thread that submits one
     * makes a turn of the ring for it and leaves.
     */
    CALLERS,
    /**
     * Each ring has its own thread, which takes requests from an inbox, enters the ring and
     * wakes the waiters: submitters never make a system call. Better where submitters must
     * not spend their own time in the kernel.
     */
    RING_THREADS,
    /**
     * Each kind of call where it measured best: blocking calls ({@code readFully},
     * {@code writeFully}, the {@code FileChannel} view, batches) as {@link #CALLERS};
     * asynchronous ones (futures, callbacks) as {@link #RING_THREADS}, on rings with their own
     * threads, made when the first asynchronous request comes. The default.
     *
     * <p>Measured on the virtio disk, one thread keeping 32 reads in flight with futures or
     * callbacks: callers driving the rings made 0.80-0.93x the ring threads' reads per
     * second, at up to 1.47x their CPU per read. A ring thread submits and reaps in one
     * {@code io_uring_enter} that also waits; a caller-driven ring is reaped by a thread
     * woken through an eventfd for every completion that finishes out of line. On a device
     * where reads finish inside the submitting call the callers measured better (1.11-1.83x
     * the ring threads' reads per second on zram, at 1.20-1.36x their CPU per read): choose
     * {@link #CALLERS} there. README, "Caller-driven rings", has the tables.
     */
    BY_CALL
}
