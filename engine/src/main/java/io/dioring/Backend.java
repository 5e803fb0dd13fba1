package io.dioring;

/**
 * Who executes an engine's reads, writes and syncs. The API and its guarantees (one result
 * per request, ordering, synchronous extending writes, coalescing, deferred completion,
 * back-pressure, close) are the same on both.
 */
public enum Backend {
    /**
     * io_uring when a probe ring can be set up in this process, else {@link #THREADS}; the
     * fallback is logged once per process (INFO, logger {@code io.dioring}) with the errno
     * and its likely cause.
     */
    AUTO,
    /** io_uring only: {@link IoEngine#create} fails, with the cause, where it is unavailable. */
    IO_URING,
    /**
     * A bounded pool of platform threads making pread/pwrite/preadv/pwritev/fsync/fdatasync
     * (where io_uring is blocked: seccomp, {@code kernel.io_uring_disabled}, old kernels).
     */
    THREADS
}
