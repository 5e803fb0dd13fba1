package io.dioring.ffi;

/**
 * io_uring constants from {@code <linux/io_uring.h>} that the committed bindings predate.
 * They are kernel ABI and never change; they are spelled out here until the next
 * {@code regen.sh} run ({@code native-bindings/jextract/io_uring.includes} names them, so that
 * run adds them to {@code io_uring_h}). {@code BindingsTest} checks each against the
 * installed header.
 */
public final class IoUringAbi {
    /** io_uring_register opcode: signal an eventfd whenever a CQE is posted. */
    public static final int IORING_REGISTER_EVENTFD = 4;
    /** io_uring_register opcode: stop signalling the registered eventfd. */
    public static final int IORING_UNREGISTER_EVENTFD = 5;
    /** io_uring_register opcode: a buffer table, possibly sparse ({@code struct io_uring_rsrc_register}). */
    public static final int IORING_REGISTER_BUFFERS2 = 15;
    /** io_uring_register opcode: replace entries of a buffer table ({@code struct io_uring_rsrc_update2}). */
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 16;
    /** {@code io_uring_rsrc_register.flags}: a table of empty entries, filled by updates. */
    public static final int IORING_RSRC_REGISTER_SPARSE = 1;
    /** CQ ring {@code flags} bit, written by the application: do not signal the registered eventfd. */
    public static final int IORING_CQ_EVENTFD_DISABLED = 1;

    private IoUringAbi() {}
}
