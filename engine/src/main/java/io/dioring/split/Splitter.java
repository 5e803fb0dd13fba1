package io.dioring.split;

import io.dioring.ffi.RwFlags;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestFile;
import io.dioring.ring.SqeEncoder;
import io.dioring.ring.Slots;
import java.lang.foreign.MemorySegment;

/**
 * The split step: cuts a request into slices of at most its file's {@code maxIoBytes}, one
 * slot and one SQE each, in file order, while the ring has room. A request that does not
 * fit now keeps its cursor ({@code segIndex}, {@code segPos}, {@code issued}) and goes on
 * at the next call.
 */
public final class Splitter {
    private final Slots slots;
    private final SqeEncoder encoder;

    public Splitter(Slots slots, SqeEncoder encoder) {
        this.slots = slots;
        this.encoder = encoder;
    }

    /** Issues slices of {@code r} while there is room; true once every slice is out. */
    public boolean split(IoRequest r) {
        SliceCursor<IoRequest> c = r.cursor();
        if (r.outcome().errno() != 0) {
            c.allIssued = true; // an error stops the rest (first error wins anyway)
            return true;
        }
        if (c.syncing || !r.isData()) {
            if (!encoder.hasRoom()) {
                return false;
            }
            int datasync = r.phaseOp() == IoRequest.FDATASYNC ? 1 : 0;
            int slot = slots.acquire(r, SqeEncoder.OP_FSYNC, r.offset(), 0, 0, 0, datasync);
            c.outstanding++;
            c.allIssued = true;
            encoder.encode(slot);
            return true;
        }
        int maxIo = r.file().maxIoBytes();
        int rwFlags = rwFlags(r);
        for (int len; (len = nextSlice(r, maxIo)) > 0; ) {
            if (!encoder.hasRoom()) {
                return false;
            }
            MemorySegment seg = r.segment(c.segIndex);
            int buf = r.bufferIndex(c.segIndex);
            if (buf < 0) {
                buf = encoder.fixedBufferIndex(seg, seg.address() + c.segPos, len);
            }
            int opcode = r.op() == IoRequest.READ
                    ? (buf >= 0 ? SqeEncoder.OP_READ_FIXED : SqeEncoder.OP_READ)
                    : (buf >= 0 ? SqeEncoder.OP_WRITE_FIXED : SqeEncoder.OP_WRITE);
            long offset = r.offset() + c.issued;
            int slot = slots.acquire(r, opcode, offset, seg.address() + c.segPos, len, c.issued, Math.max(buf, 0));
            slots.setRwFlags(slot, rwFlags | endOfFileFlags(r, offset, len));
            c.outstanding++;
            sliceOut(r, len);
            encoder.encode(slot);
        }
        if (r.syncAfter() >= 0 && c.outstanding == 0) {
            // Zero-length durable write: just the sync.
            c.syncing = true;
            return split(r);
        }
        if (rwFlags != 0) {
            c.durableByFlags = true; // the slices' flags make it durable: no sync follows
        }
        c.allIssued = true;
        return true;
    }

    /**
     * The per-slice flags of a data request: a durable write goes out in one round trip,
     * every slice carrying RWF_DSYNC (or RWF_SYNC with metadata), so it is durable when its
     * slice completes and no sync follows. 0 for anything else (and a zero-length write).
     */
    public static int rwFlags(IoRequest r) {
        return r.syncAfter() < 0 || r.length() == 0 ? 0
                : r.syncAfter() == IoRequest.FSYNC ? RwFlags.RWF_SYNC : RwFlags.RWF_DSYNC;
    }

    /**
     * RWF_NOWAIT for a slice of an O_DIRECT read that reaches past the file's known size; 0
     * for any other slice. Such a read comes back short at end of file, and io_uring, seeing
     * a short read of a regular file that it tried without blocking, retries the rest on an
     * io-wq worker (a thread handoff per read) even when the device completed it inline, as
     * zram does. With RWF_NOWAIT it completes short right away and the engine judges it as
     * usual (a remainder off the alignment is end of file). An EAGAIN or a short remainder
     * goes again without the flag ({@code RingLoop}), so the hint costs at most a round trip.
     * Not on files with raw outcomes: a short read there is final. A file that refuses the
     * flag (EOPNOTSUPP: FUSE) has the slice go again without it, and never gets it again.
     */
    static int endOfFileFlags(IoRequest r, long offset, int len) {
        RequestFile f = r.file();
        return r.op() == IoRequest.READ && f.direct() && !f.rawOutcomes() && offset + len > f.knownSize()
                && f.nowaitReads() ? RwFlags.RWF_NOWAIT : 0;
    }

    /**
     * The cursor's next slice of {@code r}: its length, at most {@code maxIo}, starting at
     * segment {@code cursor().segIndex()}, byte {@code cursor().segPos()}, request position
     * {@code cursor().issued()}; 0 once every byte is handed out. Used by every backend.
     */
    public static int nextSlice(IoRequest r, int maxIo) {
        SliceCursor<IoRequest> c = r.cursor();
        while (c.segIndex < r.segmentCount()) {
            long remaining = r.segment(c.segIndex).byteSize() - c.segPos;
            if (remaining > 0) {
                return (int) Math.min(remaining, maxIo);
            }
            c.segIndex++;
            c.segPos = 0;
        }
        return 0;
    }

    /** The slice {@link #nextSlice} gave ({@code len} bytes) is handed out: the cursor moves past it. */
    public static void sliceOut(IoRequest r, int len) {
        SliceCursor<IoRequest> c = r.cursor();
        c.segPos += len;
        c.issued += len;
    }

    /**
     * A backend that makes the slices itself by blocking calls ({@code backend.PoolWorker})
     * starts a request: its slices carry {@link #rwFlags}, so no sync follows a durable write;
     * a zero-length durable write is just its sync ({@link SliceCursor#syncing}).
     *
     * @return the request's per-slice flags
     */
    public static int startBlocking(IoRequest r) {
        SliceCursor<IoRequest> c = r.cursor();
        if (r.isData() && r.syncAfter() >= 0 && r.length() == 0) {
            c.syncing = true;
        }
        int flags = rwFlags(r);
        c.durableByFlags = flags != 0;
        return flags;
    }
}
