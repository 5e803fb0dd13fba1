package io.dioring.ring;

import static io.dioring.RingSetup.COOP_TASKRUN;
import static io.dioring.RingSetup.CQSIZE;
import static io.dioring.RingSetup.DEFER_TASKRUN;
import static io.dioring.RingSetup.IOPOLL;
import static io.dioring.RingSetup.SINGLE_ISSUER;
import static io.dioring.RingSetup.SQPOLL;
import static io.dioring.RingSetup.SUBMIT_ALL;
import static io.dioring.RingSetup.flagNames;

import io.dioring.RingOptions;
import io.dioring.RingSetup;
import io.dioring.RingSetupException;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Syscalls;
import io.dioring.ffi.linux.io_uring_params;
import java.lang.foreign.MemorySegment;

/**
 * io_uring_setup with flag negotiation: ask for everything wanted, and on EINVAL drop the
 * newest flag and try again, so an older kernel still gets a ring.
 */
final class SetupNegotiation {
    private SetupNegotiation() {}

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

}
