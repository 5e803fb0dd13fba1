package io.dioring.ring;

import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.iovec;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The encode step: turns a slot of the slice table into one SQE on its ring.
 *
 * <p>It owns what encoding needs beyond the slot: the ring's registered file table, the
 * ring's buffer lookup ({@link RingRegistrations#bufferIndex}) and the iovec arrays of vector SQEs (one array
 * of {@link #MAX_IOVECS_PER_SQE} entries per slot, in memory allocated once, on the first
 * merge, and alive as long as this encoder).
 *
 * <h2>Registered buffers and files</h2>
 * A slice whose memory lies inside a registered buffer, and comes from the same memory
 * scope, goes out as READ_FIXED/WRITE_FIXED with that buffer's index: a binary search of
 * the ring's registered ranges, nothing allocated. The scope test keeps a segment from a later allocation that
 * reuses a freed buffer's addresses from being issued against the (still pinned) old pages.
 * A request of a registered file goes out with IOSQE_FIXED_FILE and the file's index in
 * place of its fd. Vector SQEs take no buffer index.
 */
public final class SqeEncoder {
    public static final int OP_READ = io_uring_h.IORING_OP_READ();
    public static final int OP_WRITE = io_uring_h.IORING_OP_WRITE();
    public static final int OP_READ_FIXED = io_uring_h.IORING_OP_READ_FIXED();
    public static final int OP_WRITE_FIXED = io_uring_h.IORING_OP_WRITE_FIXED();
    public static final int OP_READV = io_uring_h.IORING_OP_READV();
    public static final int OP_WRITEV = io_uring_h.IORING_OP_WRITEV();
    public static final int OP_FSYNC = io_uring_h.IORING_OP_FSYNC();
    private static final int OP_ASYNC_CANCEL = io_uring_h.IORING_OP_ASYNC_CANCEL();
    private static final int SQE_FIXED_FILE = io_uring_h.IOSQE_FIXED_FILE();
    private static final int FSYNC_DATASYNC = io_uring_h.IORING_FSYNC_DATASYNC();
    private static final int CANCEL_ANY = io_uring_h.IORING_ASYNC_CANCEL_ANY();
    private static final int CANCEL_ALL = io_uring_h.IORING_ASYNC_CANCEL_ALL();
    private static final FileState[] NO_FILES = new FileState[0];
    /**
     * Buffers per vector SQE at most. The kernel takes up to IOV_MAX (1024); beyond 64 the
     * SQE is already at {@code maxIoBytes} for any request size worth merging, and the
     * per-slot iovec arrays stay at 1 KiB.
     */
    public static final int MAX_IOVECS_PER_SQE = 64;
    private static final long IOVEC_BYTES = iovec.layout().byteSize();
    private static final long IOV_BASE = iovec.iov_base$offset();
    private static final long IOV_LEN = iovec.iov_len$offset();

    static {
        if (IOVEC_BYTES != 16) {
            throw new ExceptionInInitializerError("unexpected struct iovec size " + IOVEC_BYTES);
        }
    }

    private final IoRing ring;
    private final Slots slots;
    private MemorySegment iovecs;
    private long sqesEncoded;

    /** The ring's registrations (its buffer lookup), or null for a ring without any. */
    private final RingRegistrations registrations;
    private long fixedIssued;
    /** The ring's registered file table: index i holds the file in slot i, or null. */
    private FileState[] fixedFiles = NO_FILES;
    private int fixedFileCount;
    private long fixedFileIssued;

    public SqeEncoder(IoRing ring, Slots slots) {
        this.ring = ring;
        this.slots = slots;
        this.registrations = ring.registrations();
    }

    /** Whether one more slice fits: a free SQE and a free slot. */
    public boolean hasRoom() {
        return ring.sqSpace() > 0 && slots.free() > 0;
    }

    /** Writes the SQE for {@code slot}, with a fresh user_data (its generation moves on). */
    public void encode(int slot) {
        IoRequest r = slots.request(slot);
        int opcode = slots.opcode(slot);
        long userData = slots.issue(slot);
        int fd = r.file().fd();
        int sqeFlags = 0;
        if (fixedFileCount > 0) {
            int index = fixedFileIndex(r.file());
            if (index >= 0) {
                fd = index;
                sqeFlags = SQE_FIXED_FILE;
                fixedFileIssued++;
            }
        }
        if (opcode == OP_FSYNC) {
            ring.prepare(OP_FSYNC, sqeFlags, fd, 0, 0, 0, slots.bufIndex(slot) == 1 ? FSYNC_DATASYNC : 0, 0,
                    userData);
        } else if (isVector(opcode)) {
            ring.prepare(opcode, sqeFlags, fd, slots.fileOffset(slot), iovecs.address() + iovecOffset(slot),
                    slots.bufIndex(slot), 0, 0, userData);
        } else {
            if (opcode == OP_READ_FIXED || opcode == OP_WRITE_FIXED) {
                fixedIssued++;
            }
            ring.prepare(opcode, sqeFlags, fd, slots.fileOffset(slot), slots.address(slot), slots.length(slot),
                    slots.rwFlags(slot), slots.bufIndex(slot), userData);
        }
        sqesEncoded++;
    }

    /**
     * Fills {@code slot}'s iovec array with the buffers of the chain that starts at
     * {@code head} (linked by {@link IoRequest#nextMerged}), one entry per request.
     */
    public void writeIovecs(int slot, IoRequest head) {
        if (iovecs == null) {
            iovecs = Arena.ofAuto().allocate(IOVEC_BYTES * MAX_IOVECS_PER_SQE * slots.capacity(), 8);
        }
        long base = iovecOffset(slot);
        int i = 0;
        for (IoRequest r = head; r != null; r = r.cursor().nextMerged(), i++) {
            assert i < MAX_IOVECS_PER_SQE : "more requests merged than one SQE's iovec array holds";
            iovecs.set(ValueLayout.JAVA_LONG, base + i * IOVEC_BYTES + IOV_BASE, r.segment(0).address());
            iovecs.set(ValueLayout.JAVA_LONG, base + i * IOVEC_BYTES + IOV_LEN, r.length());
        }
    }

    /** Writes an ASYNC_CANCEL of everything in flight, with the given user_data. */
    public void encodeCancelAll(long userData) {
        ring.prepare(OP_ASYNC_CANCEL, 0, 0, 0, 0, 0, CANCEL_ANY | CANCEL_ALL, 0, userData);
    }

    /** Writes an SQE of the engine's own (no slot). */
    public void encodeReserved(int opcode, int fd, long address, int length, long userData) {
        ring.prepare(opcode, 0, fd, 0, address, length, 0, 0, userData);
    }

    public static boolean isVector(int opcode) {
        return opcode == OP_READV || opcode == OP_WRITEV;
    }

    private static long iovecOffset(int slot) {
        return (long) slot * MAX_IOVECS_PER_SQE * IOVEC_BYTES;
    }

    /** SQEs written so far for slots (resubmissions included). */
    public long sqesEncoded() {
        return sqesEncoded;
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED. */
    public long fixedIssued() {
        return fixedIssued;
    }

    /** SQEs issued with IOSQE_FIXED_FILE. */
    public long fixedFileIssued() {
        return fixedFileIssued;
    }

    /**
     * The index of the registered buffer holding {@code [address, address + length)} of
     * {@code segment}, or -1 (also when none are registered).
     */
    public int fixedBufferIndex(MemorySegment segment, long address, int length) {
        return registrations == null ? -1 : registrations.bufferIndex(segment, address, length);
    }

    /**
     * Records that {@code file} sits in slot {@code index} of the ring's registered file
     * table (null empties the slot); its SQEs then carry IOSQE_FIXED_FILE and the index.
     */
    public void useFixedFile(int index, FileState file) {
        if (index >= fixedFiles.length) {
            fixedFiles = Arrays.copyOf(fixedFiles, Math.max(index + 1, 2 * fixedFiles.length));
        }
        if (fixedFiles[index] != null) {
            fixedFileCount--;
        }
        fixedFiles[index] = file;
        if (file != null) {
            fixedFileCount++;
        }
    }

    /** Whether slot {@code index} of the ring's registered file table holds a file. */
    public boolean fixedFileSlotUsed(int index) {
        return index < fixedFiles.length && fixedFiles[index] != null;
    }

    /** The registered-file index of {@code file} on this ring, or -1. */
    public int fixedFileIndex(RequestFile file) {
        if (fixedFileCount == 0) {
            return -1;
        }
        for (int i = 0; i < fixedFiles.length; i++) {
            if (fixedFiles[i] == file) {
                return i;
            }
        }
        return -1;
    }
}
