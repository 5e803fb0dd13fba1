package io.dioring;

import io.dioring.ffi.linux.io_uring_h;
import java.util.ArrayList;
import java.util.List;

/**
 * What io_uring_setup gave a ring: the flags asked for, taken and refused (the engine asks
 * for everything wanted and, on EINVAL, drops the newest flag and tries again, so an older
 * kernel still gets a ring), and the kernel's features, as {@code dioring info} shows them.
 *
 * @param fd the ring's file descriptor
 * @param flags the IORING_SETUP_* flags the kernel accepted
 * @param dropped the flags asked for but refused
 * @param features IORING_FEAT_* bits
 * @param refusals what the kernel answered when each dropped flag was given up, e.g.
 *        {@code "SQPOLL: EPERM (Operation not permitted)"}; empty when nothing was dropped
 */
public record RingSetup(int fd, int flags, int dropped, int features, String refusals) {
    public static final int SINGLE_ISSUER = io_uring_h.IORING_SETUP_SINGLE_ISSUER();
    public static final int DEFER_TASKRUN = io_uring_h.IORING_SETUP_DEFER_TASKRUN();
    public static final int COOP_TASKRUN = io_uring_h.IORING_SETUP_COOP_TASKRUN();
    public static final int SQPOLL = io_uring_h.IORING_SETUP_SQPOLL();
    public static final int IOPOLL = io_uring_h.IORING_SETUP_IOPOLL();
    public static final int CQSIZE = io_uring_h.IORING_SETUP_CQSIZE();
    public static final int SUBMIT_ALL = io_uring_h.IORING_SETUP_SUBMIT_ALL();

    /** Whether {@code flag} (an IORING_SETUP_* bit) was asked for and refused. */
    public boolean wasDropped(int flag) {
        return (dropped & flag) != 0;
    }

    /** The IORING_SETUP_SQPOLL bit, for {@link #wasDropped}. */
    public static int sqpollFlag() {
        return SQPOLL;
    }

    /** The IORING_SETUP_IOPOLL bit, for {@link #wasDropped}. */
    public static int iopollFlag() {
        return IOPOLL;
    }

    public boolean singleIssuer() {
        return (flags & SINGLE_ISSUER) != 0;
    }

    public boolean deferTaskrun() {
        return (flags & DEFER_TASKRUN) != 0;
    }

    public boolean sqpoll() {
        return (flags & SQPOLL) != 0;
    }

    public boolean iopoll() {
        return (flags & IOPOLL) != 0;
    }

    /** "SINGLE_ISSUER|DEFER_TASKRUN|..." for the given IORING_SETUP_* bits. */
    public static String flagNames(int flags) {
        List<String> names = new ArrayList<>();
        String[] all = {"IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ", "R_DISABLED",
            "SUBMIT_ALL", "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER",
            "DEFER_TASKRUN"};
        for (int bit = 0; bit < 32; bit++) {
            if ((flags & (1 << bit)) != 0) {
                names.add(bit < all.length ? all[bit] : "1<<" + bit);
            }
        }
        return names.isEmpty() ? "none" : String.join("|", names);
    }

    /** "SINGLE_MMAP|NODROP|..." for the given IORING_FEAT_* bits. */
    public static String featureNames(int features) {
        List<String> names = new ArrayList<>();
        String[] all = {"SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS", "CUR_PERSONALITY",
            "FAST_POLL", "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS",
            "CQE_SKIP", "LINKED_FILE", "REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR",
            "NO_IOWAIT"};
        for (int bit = 0; bit < 32; bit++) {
            if ((features & (1 << bit)) != 0) {
                names.add(bit < all.length ? all[bit] : "1<<" + bit);
            }
        }
        return names.isEmpty() ? "none" : String.join("|", names);
    }
}
