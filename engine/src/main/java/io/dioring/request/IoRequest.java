package io.dioring.request;

import io.dioring.CompletionHandler;
import io.dioring.file.FileState;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

/**
 * One read, write or sync a caller asked for, from submission to its single result.
 *
 * <p>Requests are pooled and reused: a request is owned by the submitting thread until
 * it is handed to a ring, by that ring's owner until its last slice is in, and by the
 * thread that delivers its result until it is recycled. Each hand-off happens through a
 * queue or executor that orders memory, so the fields are plain.
 *
 * <p>Who writes what, by phase (a field is written only by the phase that owns it):
 * <ul>
 * <li>what was asked ({@code op} ... {@code syncAfter}) and who to tell ({@code attachment}
 *     ... {@code inlineCompletion}): the public face ({@code DirectFile}, {@code OwnedRing}),
 *     before the request is handed on; the split step clears {@code syncAfter} once the
 *     slices carry RWF_DSYNC, and turns a zero-length durable write into its sync;
 * <li>the splitting cursor and {@code outstanding}/{@code allIssued}: {@code split.Splitter}
 *     and {@code split.Coalescer}, on the ring's owner;
 * <li>the aggregate ({@code errno} ... {@code shortPosition}): {@code reap.Aggregator};
 * <li>{@code completed}, {@code result}, {@code failure}: the loop's finish, or
 *     {@code deliver.Delivery.fail} for a request that never reached a ring;
 * <li>ordering ({@code sequence}, {@code registeredWrite}, {@code blockers},
 *     {@code nextHeld}): {@code file.InFlightWrites}, under its monitor;
 * <li>{@code nextMerged}, {@code unmerged}: the coalescer and the merged split-back;
 * <li>{@code waiter}, {@code delivered}: the blocking caller and the delivery.
 * </ul>
 */
public final class IoRequest implements Runnable {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int FSYNC = 2;
    public static final int FDATASYNC = 3;

    // What was asked.
    public int op;
    public FileState file;
    public long offset;
    public long length;
    /** The buffers, in file order; one for a plain read/write. */
    public MemorySegment[] segments = new MemorySegment[1];
    public int segmentCount;
    /** Registered buffer index per segment for READ_FIXED/WRITE_FIXED, or -1. */
    public int[] bufIndex = new int[1];
    /** Ask for the write to be durable (a linked fsync/fdatasync) before completing. */
    public int syncAfter = -1;

    // Who to tell.
    public Object attachment;
    public CompletionHandler<Object> handler;
    public CompletableFuture<Long> future;
    public boolean inlineCompletion;

    // Splitting cursor: the next slice to issue starts at segment segIndex, byte segPos.
    public int segIndex;
    public long segPos;
    /** Bytes of the request already handed out as slices (its relative position). */
    public long issued;
    public boolean allIssued;

    // Aggregation (seed 003).
    /** Slices handed to the ring and not yet finished. */
    public int outstanding;
    /** First error by arrival, as a positive errno; 0 when none. */
    public int errno;
    public long errorOffset;
    public long errorLength;
    public String errorDetail;
    /** Smallest position (relative to offset) at which a read slice came up short. */
    public long shortPosition;
    public boolean completed;

    // Outcome, delivered by run().
    public long result;
    public Throwable failure;

    // Ordering and size extension (seeds 000, 002).
    /** Sequence number among this file's requests, for ordering against earlier writes. */
    public long sequence;
    public boolean registeredWrite;
    /** While held: earlier overlapping writes still in flight (InFlightWrites owns it). */
    public int blockers;
    public IoRequest nextHeld;
    /**
     * Coalescing (seed 004): the next request carried by the same READV/WRITEV SQE, whose
     * slot names the first request of the chain; null at the end of the chain.
     */
    public IoRequest nextMerged;
    /** Set once a merged SQE came back short: the rest goes out on its own, never merged again. */
    public boolean unmerged;
    /** Where to (re)submit this request: the ring it was given to. */
    public RequestSink sink;

    /** Called after delivery so the request can be reused; null for unpooled requests. */
    public RequestPool pool;
    /** Released by the engine to whoever waits on completion (synchronous paths). */
    public volatile boolean delivered;
    /** Set by the completing side so a synchronous waiter can be woken. */
    public Thread waiter;
    /** Called on the completing thread before user code, e.g. to release ordering holds. */
    public CompletionListener listener;

    public IoRequest() {}

    /** Sets the request up for one buffer. */
    public IoRequest set(int op, FileState file, long offset, MemorySegment segment, int bufferIndex) {
        this.op = op;
        this.file = file;
        this.offset = offset;
        this.segments[0] = segment;
        this.bufIndex[0] = bufferIndex;
        this.segmentCount = segment == null ? 0 : 1;
        this.length = segment == null ? 0 : segment.byteSize();
        this.shortPosition = this.length;
        return this;
    }

    /** Sets the request up for several buffers read or written back to back. */
    public IoRequest set(int op, FileState file, long offset, MemorySegment[] buffers, int[] bufferIndexes) {
        this.op = op;
        this.file = file;
        this.offset = offset;
        if (segments.length < buffers.length) {
            segments = new MemorySegment[buffers.length];
            bufIndex = new int[buffers.length];
        }
        long total = 0;
        for (int i = 0; i < buffers.length; i++) {
            segments[i] = buffers[i];
            bufIndex[i] = bufferIndexes == null ? -1 : bufferIndexes[i];
            total += buffers[i].byteSize();
        }
        this.segmentCount = buffers.length;
        this.length = total;
        this.shortPosition = total;
        return this;
    }

    public boolean isWrite() {
        return op == WRITE;
    }

    public boolean isData() {
        return op == READ || op == WRITE;
    }

    /** The end of the byte range this request touches. */
    public long end() {
        return offset + length;
    }

    /** Name used in messages: "read", "write", "fsync", "fdatasync". */
    public String opName() {
        return switch (op) {
            case READ -> "read";
            case WRITE -> "write";
            case FSYNC -> "fsync";
            case FDATASYNC -> "fdatasync";
            default -> "op " + op;
        };
    }

    /** Delivers the outcome to the handler or future; then recycles the request. */
    @Override
    public void run() {
        Completion.deliver(this);
    }

    /** Clears everything so the request can be reused. */
    public void reset() {
        op = 0;
        file = null;
        offset = 0;
        length = 0;
        for (int i = 0; i < segmentCount; i++) {
            segments[i] = null;
        }
        segmentCount = 0;
        syncAfter = -1;
        attachment = null;
        handler = null;
        future = null;
        inlineCompletion = false;
        segIndex = 0;
        segPos = 0;
        issued = 0;
        allIssued = false;
        outstanding = 0;
        errno = 0;
        errorOffset = 0;
        errorLength = 0;
        errorDetail = null;
        shortPosition = 0;
        completed = false;
        result = 0;
        failure = null;
        sequence = 0;
        registeredWrite = false;
        blockers = 0;
        nextHeld = null;
        nextMerged = null;
        unmerged = false;
        sink = null;
        delivered = false;
        waiter = null;
        listener = null;
    }
}
