package io.dioring.ffi;

/**
 * Per-I/O flags of pwritev2(2) and io_uring's read/write SQEs ({@code rw_flags}), from
 * {@code <linux/fs.h>}. They are kernel ABI and never change; they are spelled out here
 * because the committed bindings predate them ({@code native-bindings/jextract/libc.includes}
 * names them, so the next {@code regen.sh} run adds them to {@code libc_h}).
 */
public final class RwFlags {
    /** Per-write O_DSYNC: the data (and the metadata needed to read it) is durable on completion. */
    public static final int RWF_DSYNC = 0x00000002;
    /** Per-write O_SYNC: data and all metadata durable on completion. */
    public static final int RWF_SYNC = 0x00000004;
    /** Per-I/O non-blocking: fail with EAGAIN (or return short) rather than wait; on io_uring, never punted to io-wq. */
    public static final int RWF_NOWAIT = 0x00000008;

    private RwFlags() {}
}
