package io.dioring.request;

import io.dioring.CompletionHandler;
import io.dioring.deliver.Ticket;
import io.dioring.file.DeliveryHold;
import io.dioring.file.WriteOrder;
import io.dioring.jfr.EventSlot;
import io.dioring.reap.Outcome;
import io.dioring.split.SliceCursor;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One read, write or sync a caller asked for, from submission to its single result.
 *
 * <p>Requests are pooled and reused: a request is owned by the submitting thread until
 * it is handed to a ring, by that ring's owner until its last slice is in, and by the
 * thread that delivers its result until it is recycled. Each hand-off happens through a
 * queue or executor that orders memory, so the fields are plain.
 *
 * <p>Its state comes in parts, each written by the one phase that owns it (no field is
 * public; a part's fields are package-private to its owner, and another phase moves it
 * only through a method named for the transition):
 * <ul>
 * <li>what was asked ({@code op} ... {@code syncAfter}) and who to tell (handler, future,
 *     listener): this class, written once at submission ({@link #set}, {@link #replyTo},
 *     {@link #durable}, {@link #listenWith}), read-only after;
 * <li>{@link #cursor()}: the split step ({@code split.Splitter}, {@code split.Coalescer});
 *     the sync phase of a durable write is a state of the cursor, not a rewrite of {@code op};
 * <li>{@link #outcome()}: {@code reap.Aggregator};
 * <li>{@link #order()}: {@code file.InFlightWrites}, under its monitor;
 * <li>{@link #ticket()}: the delivery ({@code deliver.Delivery}, {@code deliver.Completion});
 * <li>{@link #jfr()}: {@code jfr.IoEvents};
 * <li>{@link #sink()}: the ring it was given to, set as it is handed on ({@link #givenTo}).
 * </ul>
 *
 * <p>The parts are the layers of this one object, each an abstract superclass in its owner's
 * package ({@code SliceCursor <- Outcome <- WriteOrder <- Ticket <- EventSlot <- IoRequest}),
 * none naming the request: one allocation and one header per request, its fields side by
 * side as when they were one class, rather than six objects to chase between the submitting
 * and the reaping thread. Reach a part through its accessor, typed as the part.
 */
public final class IoRequest extends EventSlot<IoRequest> {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int FSYNC = 2;
    public static final int FDATASYNC = 3;

    // What was asked: set at submission, read-only after.
    private int op;
    private RequestFile file;
    private long offset;
    private long length;
    /** The buffers, in file order; one for a plain read/write. */
    private MemorySegment[] segments = new MemorySegment[1];
    private int segmentCount;
    /** Registered buffer index per segment for READ_FIXED/WRITE_FIXED, or -1. */
    private int[] bufIndex = new int[1];
    /** Ask for the write to be durable (FSYNC or FDATASYNC) before completing; -1 for none. */
    private int syncAfter = -1;

    // Who to tell: set at submission.
    private Object attachment;
    private CompletionHandler<Object> handler;
    private CompletableFuture<Long> future;
    private boolean inlineCompletion;
    /** Called on the completing thread before user code, e.g. to release ordering holds. */
    private CompletionListener<IoRequest> listener;
    /** Where to (re)submit this request: the ring it was given to. */
    private ReleaseSink<IoRequest> sink;
    /** Called after delivery so the request can be reused (its pool's give); null for unpooled requests. */
    Consumer<IoRequest> pool;

    public IoRequest() {}

    /** Sets the request up for one buffer. */
    public IoRequest set(int op, RequestFile file, long offset, MemorySegment segment, int bufferIndex) {
        this.op = op;
        this.file = file;
        this.offset = offset;
        this.segments[0] = segment;
        this.bufIndex[0] = bufferIndex;
        this.segmentCount = segment == null ? 0 : 1;
        this.length = segment == null ? 0 : segment.byteSize();
        return this;
    }

    /** Sets the request up for several buffers read or written back to back. */
    public IoRequest set(int op, RequestFile file, long offset, MemorySegment[] buffers, int[] bufferIndexes) {
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
        return this;
    }

    /** At submission: the write is durable (as {@code syncOp}, FSYNC or FDATASYNC) before it completes. */
    public IoRequest durable(int syncOp) {
        assert syncOp == FSYNC || syncOp == FDATASYNC : "not a sync: " + syncOp;
        this.syncAfter = syncOp;
        return this;
    }

    /** At submission: where the result goes. */
    @SuppressWarnings("unchecked")
    public IoRequest replyTo(CompletionHandler<?> handler, Object attachment, CompletableFuture<Long> future,
            boolean inline) {
        this.handler = (CompletionHandler<Object>) handler;
        this.attachment = attachment;
        this.future = future;
        this.inlineCompletion = inline;
        return this;
    }

    /** At submission: the engine's own bookkeeping told on completion (null: none). */
    public void listenWith(CompletionListener<IoRequest> listener) {
        this.listener = listener;
    }

    /** Handed to {@code sink} (null: its ring is gone, an inline result runs on the offload executor). */
    public void givenTo(ReleaseSink<IoRequest> sink) {
        this.sink = sink;
    }

    public int op() {
        return op;
    }

    public RequestFile file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    public MemorySegment segment(int i) {
        return segments[i];
    }

    public int segmentCount() {
        return segmentCount;
    }

    /** Registered buffer index of segment {@code i}, or -1. */
    public int bufferIndex(int i) {
        return bufIndex[i];
    }

    /** FSYNC or FDATASYNC for a durable write, else -1. */
    public int syncAfter() {
        return syncAfter;
    }

    public Object attachment() {
        return attachment;
    }

    public CompletionHandler<Object> handler() {
        return handler;
    }

    public CompletableFuture<Long> future() {
        return future;
    }

    public boolean inlineCompletion() {
        return inlineCompletion;
    }

    public CompletionListener<IoRequest> listener() {
        return listener;
    }

    public ReleaseSink<IoRequest> sink() {
        return sink;
    }

    public SliceCursor<IoRequest> cursor() {
        return this;
    }

    public Outcome<IoRequest> outcome() {
        return this;
    }

    public WriteOrder<IoRequest> order() {
        return this;
    }

    public Ticket<IoRequest> ticket() {
        return this;
    }

    public EventSlot<IoRequest> jfr() {
        return this;
    }

    /**
     * What goes out now: the asked op, or in a durable write's sync phase its sync
     * ({@link SliceCursor#syncing}).
     */
    public int phaseOp() {
        return syncing() ? syncAfter : op;
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

    /** Name used in messages: "read", "write", "fsync", "fdatasync" (a durable write's sync by its sync). */
    public String opName() {
        return switch (phaseOp()) {
            case READ -> "read";
            case WRITE -> "write";
            case FSYNC -> "fsync";
            case FDATASYNC -> "fdatasync";
            default -> "op " + op;
        };
    }

    /**
     * Gives the request back to its pool (if any), cleared. A completed write whose delivery
     * hold nobody took (a blocking caller's, one abandoned before it was issued) releases it
     * here: its result is in its owner's hands, or nobody's.
     */
    public void recycle() {
        delivered(takeDeliveryHold());
        Consumer<IoRequest> p = pool;
        if (p != null) {
            p.accept(this);
        }
    }

    /**
     * A completed write's result was delivered ({@code hold}, taken from it before it could be
     * recycled; null for none): barriers that waited only for that are issued, to their sinks.
     */
    public static void delivered(DeliveryHold<IoRequest> hold) {
        if (hold == null) {
            return;
        }
        releaseHeld(hold.delivered());
    }

    /**
     * Hands each request of a chain the file's ordering released (linked through
     * {@link WriteOrder#unlinkNextHeld}; null for none) to its sink. Never blocks: the caller
     * may be a ring thread inside a reap.
     */
    public static void releaseHeld(IoRequest released) {
        while (released != null) {
            IoRequest next = released.order().unlinkNextHeld();
            released.sink().release(released);
            released = next;
        }
    }

    /** Clears everything so the request can be reused. */
    void reset() {
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
        listener = null;
        sink = null;
        resetCursor();
        resetOutcome();
        resetOrder();
        resetTicket();
    }
}
