package io.dioring.ring;

import io.dioring.RingSetupException;
import io.dioring.RingSetup;
import io.dioring.RingOptions;
import io.dioring.ffi.ErrnoCapture;
import io.dioring.ffi.Errno;
import io.dioring.ffi.IoUringAbi;
import io.dioring.ffi.Libc;
import io.dioring.ffi.Syscalls;
import io.dioring.ffi.linux.io_cqring_offsets;
import io.dioring.ffi.linux.io_sqring_offsets;
import io.dioring.ffi.linux.io_uring_cqe;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_params;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kernel io_uring driven from Java over its mmapped memory.
 *
 * <pre>
 *  SQ ring (mmap IORING_OFF_SQ_RING)      SQE array (mmap IORING_OFF_SQES)
 *  +------+------+------+-------+-----+   +--------+--------+-----
 *  | head | tail | mask | flags | ... |   | sqe[0] | sqe[1] | ... 64 bytes each
 *  +------+------+------+-------+-----+   +--------+--------+-----
 *  | array[0..entries): index into SQEs   (set once to the identity: array[i] = i)
 *
 *  CQ ring (same mapping with IORING_FEAT_SINGLE_MMAP, else IORING_OFF_CQ_RING)
 *  +------+------+------+----------+-----------------------------+
 *  | head | tail | mask | overflow | cqes[0..entries) 16 bytes   |
 *  +------+------+------+----------+-----------------------------+
 * </pre>
 *
 * We own the SQ tail and the CQ head; the kernel owns the SQ head and the CQ tail. Each
 * cross-ownership access goes through {@link RingBarriers}.
 *
 * <p>Single owner: only the thread that created the ring may call it (the ring is set up
 * with SINGLE_ISSUER where the kernel has it, which the kernel enforces too).
 */
public final class Ring implements IoRing {
    private static final long SQE_SIZE = Sqe.SIZE;
    private static final long CQE_SIZE = Sqe.CQE_SIZE;
    private static final long CQE_USER_DATA = io_uring_cqe.user_data$offset();
    private static final long CQE_RES = io_uring_cqe.res$offset();

    private static final int ENTER_GETEVENTS = io_uring_h.IORING_ENTER_GETEVENTS();
    private static final int ENTER_REGISTERED_RING = io_uring_h.IORING_ENTER_REGISTERED_RING();
    private static final int ENTER_SQ_WAKEUP = io_uring_h.IORING_ENTER_SQ_WAKEUP();
    private static final int SQ_CQ_OVERFLOW = io_uring_h.IORING_SQ_CQ_OVERFLOW();
    private static final int SQ_NEED_WAKEUP = io_uring_h.IORING_SQ_NEED_WAKEUP();

    private final RingSetup setup;
    private final int fd;
    private final RingMemory memory;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final MemorySegment errnoSlot = ErrnoCapture.allocateSlot();

    private final int sqEntries;
    private final int sqMask;
    private final long sqHeadOffset;
    private final long sqTailOffset;
    private final long sqFlagsOffset;
    private final int cqEntries;
    private final int cqMask;
    private final long cqHeadOffset;
    private final long cqTailOffset;
    private final long cqOverflowOffset;
    private final long cqesOffset;
    private final long cqFlagsOffset;

    /** Next SQE index we will fill (ours). */
    private int sqeTail;
    /** SQ head as last loaded from the kernel; refreshed only when the SQ looks full. */
    private int cachedSqHead;
    /** SQEs prepared but not yet taken by io_uring_enter. */
    private int toSubmit;
    /** CQ head (ours), mirrored to the ring on each release. */
    private int cqHead;

    /** fd passed to io_uring_enter: the registered index once the ring fd is registered. */
    private int enterFd;
    private int enterFlags;

    private long enterCalls;
    private long sqesSubmitted;
    private long sqWakeups;
    private final RingRegistrations registrations;
    private boolean closed;

    private Ring(RingSetup setup, int fd, RingMemory memory, MemorySegment params) {
        this.setup = setup;
        this.fd = fd;
        this.memory = memory;
        this.sqRing = memory.sqRing();
        this.cqRing = memory.cqRing();
        this.sqes = memory.sqes();
        this.enterFd = fd;
        this.registrations = new RingRegistrations(fd);

        MemorySegment sqOff = io_uring_params.sq_off(params);
        MemorySegment cqOff = io_uring_params.cq_off(params);
        this.sqEntries = io_uring_params.sq_entries(params);
        this.cqEntries = io_uring_params.cq_entries(params);
        this.sqHeadOffset = Integer.toUnsignedLong(io_sqring_offsets.head(sqOff));
        this.sqTailOffset = Integer.toUnsignedLong(io_sqring_offsets.tail(sqOff));
        this.sqFlagsOffset = Integer.toUnsignedLong(io_sqring_offsets.flags(sqOff));
        this.sqMask = RingBarriers.lpInt(sqRing, Integer.toUnsignedLong(io_sqring_offsets.ring_mask(sqOff)));
        this.cqHeadOffset = Integer.toUnsignedLong(io_cqring_offsets.head(cqOff));
        this.cqTailOffset = Integer.toUnsignedLong(io_cqring_offsets.tail(cqOff));
        this.cqOverflowOffset = Integer.toUnsignedLong(io_cqring_offsets.overflow(cqOff));
        this.cqesOffset = Integer.toUnsignedLong(io_cqring_offsets.cqes(cqOff));
        this.cqFlagsOffset = Integer.toUnsignedLong(io_cqring_offsets.flags(cqOff));
        this.cqMask = RingBarriers.lpInt(cqRing, Integer.toUnsignedLong(io_cqring_offsets.ring_mask(cqOff)));

        // The SQ array maps ring slots to SQE indices. We always use slot i for SQE i, so it
        // is written once here and never again.
        long array = Integer.toUnsignedLong(io_sqring_offsets.array(sqOff));
        for (int i = 0; i < sqEntries; i++) {
            RingBarriers.spInt(sqRing, array + 4L * i, i);
        }
        this.sqeTail = RingBarriers.lpInt(sqRing, sqTailOffset);
        this.cachedSqHead = RingBarriers.lvSqHead(sqRing, sqHeadOffset);
        this.cqHead = RingBarriers.lpInt(cqRing, cqHeadOffset);
    }

    /**
     * Creates a ring with room for {@code entries} SQEs and twice that many CQEs, with the
     * fastest set-up flags the kernel accepts (see {@link RingSetup}).
     */
    public static Ring create(int entries, RingOptions options) throws RingSetupException {
        if (entries < 1 || entries > 32768) {
            throw new IllegalArgumentException("ring entries " + entries + " out of range [1, 32768]");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(io_uring_params.layout());
            RingSetup setup = SetupNegotiation.setUp(entries, options, params);
            int fd = setup.fd();
            try {
                return new Ring(setup, fd, RingMemory.map(fd, params), params);
            } catch (RingSetupException | RuntimeException e) {
                Libc.close(fd);
                throw e;
            }
        }
    }

    /** What the kernel gave this ring: flags taken, features. */
    public RingSetup setup() {
        return setup;
    }

    /** The ring's file descriptor (for registration calls). */
    public int fd() {
        return fd;
    }

    @Override
    public int sqEntries() {
        return sqEntries;
    }

    @Override
    public int cqEntries() {
        return cqEntries;
    }

    @Override
    public int sqSpace() {
        int used = sqeTail - cachedSqHead;
        if (used >= sqEntries) {
            cachedSqHead = RingBarriers.lvSqHead(sqRing, sqHeadOffset);
            used = sqeTail - cachedSqHead;
        }
        return sqEntries - used;
    }

    @Override
    public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length,
            int opFlags, int bufIndex, long userData) {
        assert sqSpace() > 0 : "SQ full: the caller must check sqSpace()";
        Sqe.write(sqes, SQE_SIZE * (sqeTail & sqMask), opcode, sqeFlags, fd, fileOffset, address, length, opFlags,
                bufIndex, userData);
        sqeTail++;
        toSubmit++;
    }

    /**
     * Hands the prepared SQEs to the kernel (see {@link IoRing#submit}).
     *
     * <p>Without SQPOLL, one io_uring_enter submits them (and, with DEFER_TASKRUN or IOPOLL,
     * also runs deferred completions or polls the device: GETEVENTS with min_complete 0 does
     * not block). With SQPOLL the kernel's SQ thread takes SQEs from the ring on its own:
     * publishing the tail is the submission, and io_uring_enter is called only to wake that
     * thread when it sleeps (IORING_SQ_NEED_WAKEUP) or to wait for a completion.
     */
    @Override
    public int submit(boolean waitForOne) {
        if (closed) {
            throw new IllegalStateException("ring closed");
        }
        if (setup.sqpoll()) {
            return submitSqpoll(waitForOne);
        }
        int flags = enterFlags;
        int minComplete = 0;
        // DEFER_TASKRUN: completions are posted only when we ask. IOPOLL: only when someone
        // polls the device. GETEVENTS with min_complete 0 does either without blocking.
        boolean askForEvents = setup.deferTaskrun() || setup.iopoll();
        if (waitForOne) {
            flags |= ENTER_GETEVENTS;
            minComplete = 1;
        } else if (toSubmit == 0) {
            if (!askForEvents) {
                return 0;
            }
            flags |= ENTER_GETEVENTS;
        } else if (askForEvents) {
            flags |= ENTER_GETEVENTS;
        }
        if (toSubmit > 0) {
            RingBarriers.soSqTail(sqRing, sqTailOffset, sqeTail);
        }
        int r = enter(toSubmit, minComplete, flags);
        toSubmit -= r;
        sqesSubmitted += r;
        return r;
    }

    private int submitSqpoll(boolean waitForOne) {
        int published = toSubmit;
        int flags = enterFlags;
        if (published > 0) {
            RingBarriers.soSqTail(sqRing, sqTailOffset, sqeTail);
            toSubmit = 0;
            sqesSubmitted += published;
            if ((RingBarriers.lvSqFlagsAfterTailStore(sqRing, sqFlagsOffset) & SQ_NEED_WAKEUP) != 0) {
                flags |= ENTER_SQ_WAKEUP;
                sqWakeups++;
            }
        }
        int minComplete = 0;
        if (waitForOne) {
            flags |= ENTER_GETEVENTS;
            minComplete = 1;
        }
        if (flags != enterFlags) {
            enter(0, minComplete, flags); // to_submit is ignored with SQPOLL
        }
        return published;
    }

    /** io_uring_enter, with EINTR retried and EAGAIN/EBUSY reported as nothing taken. */
    private int enter(int count, int minComplete, int flags) {
        while (true) {
            enterCalls++;
            int r = Syscalls.ioUringEnter(errnoSlot, enterFd, count, minComplete, flags, 0L, 0L);
            if (r >= 0) {
                return r;
            }
            switch (-r) {
                case Errno.EINTR:
                    continue;
                case Errno.EAGAIN:
                case Errno.EBUSY:
                    return 0;
                default:
                    throw new RingFailedException("io_uring_enter(fd " + fd + ", to_submit " + count
                            + ", min_complete " + minComplete + ", flags 0x" + Integer.toHexString(flags) + ")", r);
            }
        }
    }

    @Override
    public int reap(long[] userData, int[] result, int max) {
        int head = cqHead;
        int tail = RingBarriers.lvCqTail(cqRing, cqTailOffset);
        int n = Math.min(tail - head, max);
        if (n <= 0) {
            return 0;
        }
        try {
            for (int i = 0; i < n; i++) {
                long cqe = cqesOffset + CQE_SIZE * ((head + i) & cqMask);
                userData[i] = cqRing.get(ValueLayout.JAVA_LONG, cqe + CQE_USER_DATA);
                result[i] = cqRing.get(ValueLayout.JAVA_INT, cqe + CQE_RES);
            }
        } finally {
            cqHead = head + n;
            RingBarriers.soCqHead(cqRing, cqHeadOffset, cqHead);
        }
        return n;
    }

    /**
     * Turns the registered eventfd's signals on or off (IORING_CQ_EVENTFD_DISABLED in the CQ
     * ring's flags). Whoever drives the ring turns them off while it is in io_uring_enter and
     * reaps what that call completed itself; it turns them back on before it lets go, and
     * then reaps whatever {@link #cqReady} shows: a CQE posted while they were off would
     * otherwise wake nobody.
     *
     * @return {@link #cqReady()} after the change
     */
    @Override
    public int notifyCompletions(boolean on) {
        RingBarriers.svCqFlags(cqRing, cqFlagsOffset, on ? 0 : IoUringAbi.IORING_CQ_EVENTFD_DISABLED);
        return RingBarriers.lvCqTailAfterFlagsStore(cqRing, cqTailOffset) - cqHead;
    }

    /** CQEs ready to reap right now. */
    @Override
    public int cqReady() {
        // The head as last published, not the field: any thread may ask (a ring driven by
        // several threads rechecks this after letting go of it).
        return RingBarriers.lvCqTail(cqRing, cqTailOffset) - RingBarriers.lvCqHead(cqRing, cqHeadOffset);
    }

    /**
     * Completions the kernel could not post because the CQ was full. The engine bounds its
     * in-flight SQEs by the CQ size, so a non-zero value is a bug worth reporting.
     */
    @Override
    public int cqOverflow() {
        boolean flagged = (RingBarriers.lvSqFlags(sqRing, sqFlagsOffset) & SQ_CQ_OVERFLOW) != 0;
        int dropped = RingBarriers.lpInt(cqRing, cqOverflowOffset);
        return flagged && dropped == 0 ? 1 : dropped;
    }

    /** io_uring_enter calls made so far. */
    public long enterCalls() {
        return enterCalls;
    }

    /** SQEs the kernel took so far (with SQPOLL: SQEs published to the SQ thread). */
    public long sqesSubmitted() {
        return sqesSubmitted;
    }

    /** Times the SQPOLL thread was asleep and io_uring_enter had to wake it. */
    public long sqWakeups() {
        return sqWakeups;
    }

    /** What this ring has registered (eventfd, buffers, files), and the buffer lookup. */
    @Override
    public RingRegistrations registrations() {
        return registrations;
    }

    /**
     * Registers the ring's own fd (IORING_REGISTER_RING_FDS) so io_uring_enter skips the fd
     * table lookup. Returns false (and changes nothing) where the kernel lacks it.
     */
    public boolean registerRingFd() {
        int index = registrations.registerRingFd();
        if (index < 0) {
            return false;
        }
        enterFd = index;
        enterFlags |= ENTER_REGISTERED_RING;
        return true;
    }

    /** Whether io_uring_enter goes through a registered ring fd. */
    public boolean ringFdRegistered() {
        return (enterFlags & ENTER_REGISTERED_RING) != 0;
    }

    /** Whether buffers are registered with this ring. */
    public boolean buffersRegistered() {
        return registrations.buffersRegistered();
    }

    /** The opcodes this kernel supports (IORING_REGISTER_PROBE). */
    public Probe probe() throws RingSetupException {
        return Probe.of(fd);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        registrations.releaseOnClose();
        memory.unmap();
        Libc.close(fd);
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }
}
