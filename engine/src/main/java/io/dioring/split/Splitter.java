package io.dioring.split;

import io.dioring.ffi.RwFlags;
import io.dioring.request.IoRequest;
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
        if (r.errno != 0) {
            r.allIssued = true; // an error stops the rest (first error wins anyway)
            return true;
        }
        if (!r.isData()) {
            if (!encoder.hasRoom()) {
                return false;
            }
            int datasync = r.op == IoRequest.FDATASYNC ? 1 : 0;
            int slot = slots.acquire(r, SqeEncoder.OP_FSYNC, r.offset, 0, 0, 0, datasync);
            r.outstanding++;
            r.allIssued = true;
            encoder.encode(slot);
            return true;
        }
        int maxIo = r.file.maxIoBytes();
        // A durable write goes out in one round trip: every slice carries RWF_DSYNC (or
        // RWF_SYNC with metadata), so it is durable when its CQE arrives; no fsync follows.
        int rwFlags = r.syncAfter < 0 || r.length == 0 ? 0
                : r.syncAfter == IoRequest.FSYNC ? RwFlags.RWF_SYNC : RwFlags.RWF_DSYNC;
        while (r.segIndex < r.segmentCount) {
            MemorySegment seg = r.segments[r.segIndex];
            long remaining = seg.byteSize() - r.segPos;
            if (remaining == 0) {
                r.segIndex++;
                r.segPos = 0;
                continue;
            }
            if (!encoder.hasRoom()) {
                return false;
            }
            int len = (int) Math.min(remaining, maxIo);
            int buf = r.bufIndex[r.segIndex];
            if (buf < 0) {
                buf = encoder.fixedBufferIndex(seg, seg.address() + r.segPos, len);
            }
            int opcode = r.op == IoRequest.READ
                    ? (buf >= 0 ? SqeEncoder.OP_READ_FIXED : SqeEncoder.OP_READ)
                    : (buf >= 0 ? SqeEncoder.OP_WRITE_FIXED : SqeEncoder.OP_WRITE);
            int slot = slots.acquire(r, opcode, r.offset + r.issued, seg.address() + r.segPos, len, r.issued,
                    Math.max(buf, 0));
            slots.setRwFlags(slot, rwFlags);
            r.outstanding++;
            r.segPos += len;
            r.issued += len;
            encoder.encode(slot);
        }
        if (r.syncAfter >= 0 && r.outstanding == 0) {
            // Zero-length durable write: just the sync.
            r.op = r.syncAfter;
            r.syncAfter = -1;
            return split(r);
        }
        if (rwFlags != 0) {
            r.syncAfter = -1; // the slices' flags make it durable
        }
        r.allIssued = true;
        return true;
    }
}
