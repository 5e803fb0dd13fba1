package io.dioring.ring;

import io.dioring.RingSetupException;
import io.dioring.ffi.Errno;
import io.dioring.ffi.IoUringAbi;
import io.dioring.ffi.Syscalls;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_rsrc_register;
import io.dioring.ffi.linux.io_uring_rsrc_update;
import io.dioring.ffi.linux.iovec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * What one kernel ring has registered with io_uring_register: its eventfd, its own fd, its
 * buffer table and its file table. Registrations belong to one ring; with SINGLE_ISSUER
 * the kernel takes them only from the ring's submitter thread, so every method here is
 * called by whoever drives the ring (its owner, its ring thread, or the caller holding a
 * shared ring's lock), except {@link #follow}.
 *
 * <h2>Registered buffers</h2>
 * Two ways in. An owned ring registers its caller's buffers in one call
 * ({@link #registerBuffers}: buffer i gets index i). An engine ring {@link #follow}s the
 * engine pool's {@link BufferSlabs}: on its first lookup it registers a sparse table
 * (IORING_REGISTER_BUFFERS2 with RSRC_REGISTER_SPARSE, Linux 5.19+), and each lookup that
 * finds slabs it has not registered yet fills their entries (IORING_REGISTER_BUFFERS_UPDATE;
 * slab i gets index i), on the driving thread, before the SQE that needs them is written.
 * Where the kernel refuses (ENOMEM/EPERM over RLIMIT_MEMLOCK, EINVAL on an old kernel) the
 * ring stops following, keeps what it has registered, and logs that once per process:
 * memory outside the table simply goes out as plain READ/WRITE.
 *
 * <p>{@link #bufferIndex} decides a slice's index from its address: a binary search over the
 * registered ranges, sorted by start, with the memory scope checked too (a segment from a
 * later allocation that reuses freed addresses is not the registered buffer).
 */
public final class RingRegistrations {
    /** The kernel's limits on a buffer table (IORING_MAX_REG_BUFFERS) and on one buffer (SZ_1G). */
    public static final int MAX_REGISTERED_BUFFERS = 1 << 14;
    public static final long MAX_REGISTERED_BUFFER_BYTES = 1L << 30;
    /** Entries of the sparse table an engine ring registers for the pool's slabs. */
    public static final int SLAB_TABLE_ENTRIES = 2048;
    /** System property that, set to {@code false}, keeps engine rings from registering the pool. */
    public static final String OFF_PROPERTY = "dioring.registeredBuffers";
    private static final long UPDATE2_BYTES = 32; // struct io_uring_rsrc_update2
    private static final System.Logger LOG = System.getLogger("io.dioring");
    private static final java.util.concurrent.atomic.AtomicBoolean REFUSAL_LOGGED =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** Test hook: a non-zero errno every buffer registration of an engine ring fails with. */
    private static volatile int refusedForTest;

    private final int ringFd;
    private boolean denseBuffers;
    private int fileTableSize;

    /** Registered buffers, sorted by start: [start, end) is index's memory, of scope owner's. */
    private long[] starts = new long[0];
    private long[] ends = new long[0];
    private int[] indexes = new int[0];
    private MemorySegment[] owners = new MemorySegment[0];
    private int count;

    /** The pool this ring registers the slabs of; null when it does not (or stopped). */
    private volatile BufferSlabs followed;
    private boolean tableRegistered;
    /** Slabs of {@link #followed} registered so far: indices [0, slabsSynced). */
    private int slabsSynced;
    private volatile String refusal;

    RingRegistrations(int ringFd) {
        this.ringFd = ringFd;
    }

    // ---- eventfd and ring fd --------------------------------------------------------------

    /** Has the kernel signal {@code eventFd} on every CQE (IORING_REGISTER_EVENTFD). */
    public void registerEventFd(int eventFd) throws RingSetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fdArg = arena.allocateFrom(ValueLayout.JAVA_INT, eventFd);
            int r = Syscalls.ioUringRegister(ringFd, IoUringAbi.IORING_REGISTER_EVENTFD, fdArg.address(), 1);
            if (r < 0) {
                throw new RingSetupException("IORING_REGISTER_EVENTFD of fd " + eventFd, r);
            }
        }
    }

    /** Registers the ring's own fd (IORING_REGISTER_RING_FDS): its index, or -1 where the kernel lacks it. */
    int registerRingFd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment update = arena.allocate(io_uring_h.C_LONG_LONG, 2);
            update.set(ValueLayout.JAVA_INT, 0, -1);      // offset: any free slot
            update.set(ValueLayout.JAVA_INT, 4, 0);       // resv
            update.set(ValueLayout.JAVA_LONG, 8, ringFd); // data: the fd
            int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_REGISTER_RING_FDS(), update.address(), 1);
            return r == 1 ? update.get(ValueLayout.JAVA_INT, 0) : -1;
        }
    }

    // ---- buffers registered by an owner ---------------------------------------------------

    /**
     * Registers buffers for READ_FIXED/WRITE_FIXED; buffer i gets index i.
     *
     * <p>The kernel pins registered memory (it cannot be swapped out or migrated) until the
     * buffers are unregistered or the ring is closed; the pinned pages count against
     * RLIMIT_MEMLOCK ({@code ulimit -l}) unless the process has CAP_IPC_LOCK. Keep the
     * memory alive at least as long as the registration.
     *
     * @throws RingSetupException with the kernel's errno: ENOMEM over RLIMIT_MEMLOCK, EFAULT
     *         for memory that cannot be pinned, EBUSY when buffers are already registered
     */
    public void registerBuffers(MemorySegment... buffers) throws RingSetupException {
        if (buffers.length < 1 || buffers.length > MAX_REGISTERED_BUFFERS) {
            throw new IllegalArgumentException("registering " + buffers.length + " buffers: the count must be in [1, "
                    + MAX_REGISTERED_BUFFERS + "]");
        }
        long total = 0;
        for (int i = 0; i < buffers.length; i++) {
            checkBuffer("registered buffer " + i, buffers[i]);
            total += buffers[i].byteSize();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iovecs = iovecs(arena, buffers);
            int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_REGISTER_BUFFERS(), iovecs.address(),
                    buffers.length);
            if (r < 0) {
                throw new RingSetupException("IORING_REGISTER_BUFFERS of " + buffers.length + " buffers ("
                        + total + " bytes)" + RegistrationHints.hint(-r, total), r);
            }
        }
        denseBuffers = true;
        for (int i = 0; i < buffers.length; i++) {
            addRange(buffers[i], i);
        }
    }

    /** Drops the registered buffers (nothing in flight may use them). No-op when none are. */
    public void unregisterBuffers() throws RingSetupException {
        if (!buffersRegistered()) {
            return;
        }
        clearRanges();
        followed = null;
        tableRegistered = false;
        denseBuffers = false;
        int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_UNREGISTER_BUFFERS(), 0L, 0);
        if (r < 0) {
            throw new RingSetupException("IORING_UNREGISTER_BUFFERS", r);
        }
    }

    /** Whether a buffer table (an owner's, or the pool's sparse one) is registered with this ring. */
    public boolean buffersRegistered() {
        return denseBuffers || tableRegistered;
    }

    // ---- the engine pool's slabs ----------------------------------------------------------

    /**
     * Registers {@code slabs} with this ring: a sparse table and the slabs there are now, at
     * once, then each new one on the first lookup that finds it. Call on the ring's driver
     * (at set-up, on the thread that made the ring). Never throws: where the kernel refuses,
     * the ring does without (see the class comment) and {@link #refusal} says why. With
     * {@code -Ddioring.registeredBuffers=false} it registers nothing (to measure without).
     */
    public void follow(BufferSlabs slabs) {
        if ("false".equals(System.getProperty(OFF_PROPERTY))) {
            refusal = "turned off by -D" + OFF_PROPERTY + "=false";
            return;
        }
        followed = slabs;
        sync(slabs.snapshot());
    }

    /** Whether this ring still registers the pool's slabs as they appear. */
    public boolean followsSlabs() {
        return followed != null;
    }

    /** Slabs of the pool registered with this ring. */
    public int slabsRegistered() {
        return slabsSynced;
    }

    /** Why the kernel refused this ring's slab registration, or null. */
    public String refusal() {
        return refusal;
    }

    /** Makes every slab registration of an engine ring fail with {@code errno} (0: stop). Tests only. */
    public static void refuseForTest(int errno) {
        refusedForTest = errno;
    }

    /** Registers the slabs that appeared since the last call; on a refusal, stops following. */
    private void sync(MemorySegment[] all) {
        try {
            if (!tableRegistered) {
                registerSparseTable(SLAB_TABLE_ENTRIES);
            }
            int end = Math.min(all.length, SLAB_TABLE_ENTRIES);
            for (int i = slabsSynced; i < end; i++) {
                updateBuffer(i, all[i]);
                addRange(all[i], i);
                slabsSynced = i + 1;
            }
            if (all.length > SLAB_TABLE_ENTRIES) {
                throw new RingSetupException("pool slab " + SLAB_TABLE_ENTRIES + " beyond the ring's table of "
                        + SLAB_TABLE_ENTRIES + " entries", -Errno.ENOSPC);
            }
        } catch (RingSetupException | RuntimeException e) {
            followed = null;
            refusal = e.getMessage();
            if (REFUSAL_LOGGED.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.INFO, "dioring: the buffer pool's memory is not registered with the "
                        + "engine's rings (" + e.getMessage() + "); its I/O goes out as plain READ/WRITE, which "
                        + "pins the pages on every request. Logged once per process");
            }
        }
    }

    /** IORING_REGISTER_BUFFERS2 with RSRC_REGISTER_SPARSE: a table of {@code entries} empty entries. */
    private void registerSparseTable(int entries) throws RingSetupException {
        int refused = refusedForTest;
        if (refused != 0) {
            throw new RingSetupException("IORING_REGISTER_BUFFERS2 (sparse, " + entries + " entries; refused for a "
                    + "test)" + RegistrationHints.hint(refused, 0), -refused);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = arena.allocate(io_uring_rsrc_register.layout());
            io_uring_rsrc_register.nr(reg, entries);
            io_uring_rsrc_register.flags(reg, IoUringAbi.IORING_RSRC_REGISTER_SPARSE);
            int r = Syscalls.ioUringRegister(ringFd, IoUringAbi.IORING_REGISTER_BUFFERS2, reg.address(),
                    (int) reg.byteSize());
            if (r < 0) {
                throw new RingSetupException("IORING_REGISTER_BUFFERS2 (sparse, " + entries + " entries)"
                        + (r == -Errno.EINVAL ? ": this kernel lacks sparse buffer tables (Linux 5.19+)"
                                : RegistrationHints.hint(-r, 0)), r);
            }
        }
        tableRegistered = true;
    }

    /** IORING_REGISTER_BUFFERS_UPDATE: entry {@code index} of the table becomes {@code buffer}. */
    private void updateBuffer(int index, MemorySegment buffer) throws RingSetupException {
        checkBuffer("pool slab " + index, buffer);
        int refused = refusedForTest;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iov = iovecs(arena, buffer);
            MemorySegment update = arena.allocate(UPDATE2_BYTES, 8);
            update.set(ValueLayout.JAVA_INT, 0, index);           // offset
            update.set(ValueLayout.JAVA_LONG, 8, iov.address());  // data: the iovecs
            update.set(ValueLayout.JAVA_LONG, 16, 0L);            // tags: none
            update.set(ValueLayout.JAVA_INT, 24, 1);              // nr
            int r = refused != 0 ? -refused : Syscalls.ioUringRegister(ringFd,
                    IoUringAbi.IORING_REGISTER_BUFFERS_UPDATE, update.address(), (int) UPDATE2_BYTES);
            if (r != 1) {
                throw new RingSetupException("IORING_REGISTER_BUFFERS_UPDATE of slab " + index + " ("
                        + buffer.byteSize() + " bytes)" + RegistrationHints.hint(r < 0 ? -r : 0, buffer.byteSize()),
                        r < 0 ? r : -Errno.EINVAL);
            }
        }
    }

    // ---- lookup ---------------------------------------------------------------------------

    /**
     * The index of the registered buffer holding {@code [address, address + length)} of
     * {@code segment}, or -1. Registers the pool's new slabs first, if this ring follows them.
     */
    public int bufferIndex(MemorySegment segment, long address, int length) {
        BufferSlabs slabs = followed;
        if (slabs != null) {
            MemorySegment[] all = slabs.snapshot();
            if (all.length != slabsSynced) {
                sync(all);
            }
        }
        int lo = 0;
        int hi = count - 1;
        while (lo <= hi) { // the last range starting at or below address
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= address) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (hi < 0 || address + length > ends[hi] || !segment.scope().equals(owners[hi].scope())) {
            return -1;
        }
        return indexes[hi];
    }

    private void addRange(MemorySegment buffer, int index) {
        long start = buffer.address();
        if (count == starts.length) {
            int n = Math.max(8, 2 * count);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
            indexes = Arrays.copyOf(indexes, n);
            owners = Arrays.copyOf(owners, n);
        }
        int at = Arrays.binarySearch(starts, 0, count, start);
        at = at < 0 ? -at - 1 : at;
        System.arraycopy(starts, at, starts, at + 1, count - at);
        System.arraycopy(ends, at, ends, at + 1, count - at);
        System.arraycopy(indexes, at, indexes, at + 1, count - at);
        System.arraycopy(owners, at, owners, at + 1, count - at);
        starts[at] = start;
        ends[at] = start + buffer.byteSize();
        indexes[at] = index;
        owners[at] = buffer;
        count++;
    }

    private void clearRanges() {
        Arrays.fill(owners, null);
        count = 0;
        slabsSynced = 0;
    }

    // ---- files ----------------------------------------------------------------------------

    /** Registers files for IOSQE_FIXED_FILE; file i gets index i. -1 leaves slot i empty. */
    public void registerFiles(int... fds) throws RingSetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocateFrom(ValueLayout.JAVA_INT, fds);
            int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_REGISTER_FILES(), array.address(), fds.length);
            if (r < 0) {
                throw new RingSetupException("IORING_REGISTER_FILES of " + fds.length + " files", r);
            }
            fileTableSize = fds.length;
        }
    }

    /** Size of the registered file table (0 when none is registered). */
    public int fileTableSize() {
        return fileTableSize;
    }

    /**
     * Puts {@code fd} in slot {@code index} of the registered file table (IORING_REGISTER_FILES_UPDATE);
     * -1 empties the slot. The ring holds its own reference to the open file until then.
     */
    public void updateFile(int index, int newFd) throws RingSetupException {
        if (index < 0 || index >= fileTableSize) {
            throw new IllegalArgumentException("registered file index " + index + " out of range [0, "
                    + fileTableSize + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocateFrom(ValueLayout.JAVA_INT, newFd);
            MemorySegment update = arena.allocate(io_uring_rsrc_update.layout());
            io_uring_rsrc_update.offset(update, index);
            io_uring_rsrc_update.data(update, fds.address());
            int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_REGISTER_FILES_UPDATE(), update.address(), 1);
            if (r != 1) {
                throw new RingSetupException("IORING_REGISTER_FILES_UPDATE of slot " + index + " to fd " + newFd,
                        r < 0 ? r : -Errno.EINVAL);
            }
        }
    }

    /**
     * Unregisters the buffer table on the way to closing the ring, so the pinned pages go
     * now rather than when the kernel tears the ring down; errors are ignored (closing the
     * ring's fd frees everything anyway).
     */
    void releaseOnClose() {
        if (buffersRegistered()) {
            clearRanges();
            followed = null;
            tableRegistered = false;
            denseBuffers = false;
            Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_UNREGISTER_BUFFERS(), 0L, 0);
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private static void checkBuffer(String what, MemorySegment b) {
        if (b == null || !b.isNative() || b.byteSize() < 1 || b.byteSize() > MAX_REGISTERED_BUFFER_BYTES) {
            throw new IllegalArgumentException(what + " (" + (b == null ? "null"
                    : b.byteSize() + " bytes, " + (b.isNative() ? "native" : "on the Java heap"))
                    + "): must be native memory of 1 byte to 1 GiB");
        }
    }

    private static MemorySegment iovecs(Arena arena, MemorySegment... buffers) {
        MemorySegment iovecs = arena.allocate(iovec.layout(), buffers.length);
        for (int i = 0; i < buffers.length; i++) {
            MemorySegment v = iovecs.asSlice(i * iovec.layout().byteSize(), iovec.layout());
            iovec.iov_base(v, buffers[i]);
            iovec.iov_len(v, buffers[i].byteSize());
        }
        return iovecs;
    }
}
