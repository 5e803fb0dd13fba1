package io.dioring.ffi;

/**
 * Per-I/O flags of preadv2(2)/pwritev2(2) and io_uring's read/write SQEs ({@code rw_flags}), from
 * {@code <linux/fs.h>}. They are kernel ABI and never change; they are spelled out here
 * because the committed bindings predate them ({@code native-bindings/jextract/libc.includes}
 * names them, so the next {@code regen.sh} run adds them to {@code libc_h}).
 */
public final class RwFlags {
    /** Per-write O_DSYNC: the data (and the metadata needed to read it) is durable on completion. */
    public static final int RWF_DSYNC = 0x00000002;
    /** Per-write O_SYNC: data and all metadata durable on completion. */
    public static final int RWF_SYNC = 0x00000004;
    /**
     * Per-I/O "do not wait": a read copies what the page cache holds and returns (EAGAIN if it
     * would have to wait for the device, a short count if only a prefix is cached); on io_uring
     * an I/O that would block fails rather than being punted to io-wq.
     */
    public static final int RWF_NOWAIT = 0x00000008;

    private RwFlags() {}
}
