package io.dioring.ring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Syscalls;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_params;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * io_uring_setup with flag negotiation: ask for everything wanted, and on EINVAL drop
 * the newest flag and try again, so an older kernel still gets a ring. What was asked,
 * what was taken and the kernel's features are kept for {@code dioring info}.
 *
 * @param fd the ring's file descriptor
 * @param flags the IORING_SETUP_* flags the kernel accepted
 * @param dropped the flags asked for but refused
 * @param features IORING_FEAT_* bits
 * @param refusals what the kernel answered when each dropped flag was given up, e.g.
 *        {@code "SQPOLL: EPERM (Operation not permitted)"}; empty when nothing was dropped
 */
public record RingSetup(int fd, int flags, int dropped, int features, String refusals) {
    static final int SINGLE_ISSUER = io_uring_h.IORING_SETUP_SINGLE_ISSUER();
    static final int DEFER_TASKRUN = io_uring_h.IORING_SETUP_DEFER_TASKRUN();
    static final int COOP_TASKRUN = io_uring_h.IORING_SETUP_COOP_TASKRUN();
    static final int SQPOLL = io_uring_h.IORING_SETUP_SQPOLL();
    static final int IOPOLL = io_uring_h.IORING_SETUP_IOPOLL();
    static final int CQSIZE = io_uring_h.IORING_SETUP_CQSIZE();
    static final int SUBMIT_ALL = io_uring_h.IORING_SETUP_SUBMIT_ALL();

    /**
     * Flags in the order they are given up on EINVAL: newest, least essential first; the
     * polling modes last, since the caller asked for them explicitly. SQPOLL is also given
     * up at once on EPERM (before 5.11 it needed CAP_SYS_ADMIN), the only flag that can
     * cause it.
     */
    private static final int[] DROP_ORDER = {DEFER_TASKRUN, SINGLE_ISSUER, COOP_TASKRUN, SUBMIT_ALL, SQPOLL, IOPOLL};

    static RingSetup setUp(int entries, RingOptions options, MemorySegment params) throws RingSetupException {
        int wanted = CQSIZE | SUBMIT_ALL;
        if (options.singleIssuer()) {
            wanted |= SINGLE_ISSUER;
            if (options.deferTaskrun() && !options.sqpoll()) {
                wanted |= DEFER_TASKRUN;
            }
        }
        if (options.coopTaskrun() && !options.sqpoll()) {
            wanted |= COOP_TASKRUN;
        }
        if (options.sqpoll()) {
            wanted |= SQPOLL;
        }
        if (options.iopoll()) {
            wanted |= IOPOLL;
        }
        int flags = wanted;
        int dropIndex = 0;
        StringBuilder refusals = new StringBuilder();
        while (true) {
            params.fill((byte) 0);
            io_uring_params.flags(params, flags);
            // CQ twice the SQ: a full SQ's worth of completions plus the previous batch
            // can sit in the CQ without overflow.
            io_uring_params.cq_entries(params, 2 * Integer.highestOneBit(2 * entries - 1));
            if ((flags & SQPOLL) != 0) {
                io_uring_params.sq_thread_idle(params, options.sqpollIdleMillis());
            }
            int fd = Syscalls.ioUringSetup(entries, params);
            if (fd >= 0) {
                return new RingSetup(fd, flags, wanted & ~flags, io_uring_params.features(params),
                        refusals.toString());
            }
            int drop = 0;
            if (fd == -Errno.EPERM && (flags & SQPOLL) != 0) {
                drop = SQPOLL;
            } else if (fd == -Errno.EINVAL) {
                while (dropIndex < DROP_ORDER.length && (flags & DROP_ORDER[dropIndex]) == 0) {
                    dropIndex++;
                }
                drop = dropIndex < DROP_ORDER.length ? DROP_ORDER[dropIndex++] : 0;
            }
            if (drop == 0) {
                throw new RingSetupException("io_uring_setup(" + entries + " entries, flags "
                        + flagNames(flags) + ")", fd);
            }
            if (drop == SINGLE_ISSUER && (flags & DEFER_TASKRUN) != 0) {
                drop |= DEFER_TASKRUN; // DEFER_TASKRUN requires SINGLE_ISSUER
            }
            if (refusals.length() > 0) {
                refusals.append("; ");
            }
            refusals.append(flagNames(drop)).append(": ").append(Errno.describe(fd));
            flags &= ~drop;
        }
    }

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
