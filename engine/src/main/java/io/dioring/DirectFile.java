package io.dioring;

import io.dioring.backend.CachedRead;
import io.dioring.backend.CallerIo;
import io.dioring.backend.PositionalIo;
import io.dioring.deliver.Completion;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.RingThreads;
import io.dioring.request.CompletionListener;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A file opened for direct I/O through an {@link IoEngine}.
 *
 * <h2>Alignment</h2>
 * With O_DIRECT ({@link #isDirect()}), every offset and length must be a multiple of
 * {@link #offsetAlignment()} and every buffer address a multiple of
 * {@link #memoryAlignment()} (from STATX_DIOALIGN, else the device's logical block size).
 * A request that breaks a rule throws {@link IllegalArgumentException} at the call, naming
 * the value, the alignment and the path. Where the kernel reports no alignment (FUSE, NFS,
 * tmpfs: {@code alignment().reported()} is false) dioring checks none and the kernel
 * decides each request (EINVAL fails it). Buffers must be native memory
 * ({@link IoBuffers}).
 *
 * <h2>Results</h2>
 * A request larger than {@link #maxIoBytes()} is split into several SQEs and completes
 * once, when all are in. A write completes with its full length or fails: a short write is
 * resubmitted for the rest and fails with EIO if it makes no progress. A read completes
 * with the length of the longest prefix read: shorter than asked only at end of file.
 * Operating errors fail the request with {@link DirectIoException} (errno, op, path, offset,
 * length).
 *
 * <h2>Ordering and size</h2>
 * A request overlapping a write still in flight on this file waits for that write, so a
 * read issued after a write sees its bytes. A write that ends beyond the file's size is
 * an extending write: it is carried out synchronously under the file's size lock (the
 * calling thread waits for it), and its result is then delivered like any other. On
 * io_uring, a platform thread makes it itself with pwrite(2) (pwritev2 with RWF_DSYNC or
 * RWF_SYNC when durable): filesystems refuse non-blocking extending O_DIRECT writes, so the
 * ring would only hand it to an io-wq worker and wake the caller from there (over half the
 * time of a {@code dd} of 64 KiB blocks on zram); a virtual thread's goes through the ring, where it waits
 * without pinning its carrier. JFR's {@code backend} field says {@code syscall} for the
 * former. Non-extending writes never wait for that lock; {@link #preallocate} turns later
 * extending writes into non-extending ones.
 *
 * <p>Thread-safe: any thread may submit.
 */
public final class DirectFile implements AutoCloseable {
    private final EngineContext engine;
    private final FileState state;
    private final RequestChecks checks;
    private final ReentrantLock sizeLock = new ReentrantLock();
    private final Object closeMonitor = new Object();
    private final CompletionListener<IoRequest> pendingListener;
    private volatile boolean closed;
    /** Guarded by closeMonitor: the last request to finish closes the descriptor. */
    private boolean closeDeferred;
    /**
     * Requests accepted and not yet finished. Lock-free on the data path: a submitter
     * increments it and then reads {@link #closed}; close writes closed and then reads it
     * (both sequentially consistent), so either the submitter sees the close or the closer
     * sees the request.
     */
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder extendingWrites = new LongAdder();
    /** Writes submitted; those not extending went the asynchronous way. */
    private final LongAdder writes = new LongAdder();

    private final boolean ownsDescriptor;
    /** The engine-chosen sink of this file's latest write: where its syncs go (see {@link #sync}). */
    private volatile RequestSink lastWriteSink;
    /**
     * Whether blocking reads try the page cache on the caller first ({@link CachedRead}):
     * buffered files of an engine with {@link EngineConfig#cachedReads()}; cleared for good
     * when the file system refuses RWF_NOWAIT.
     */
    private volatile boolean triesCache;
    private final LongAdder cachedReads = new LongAdder();
    private final LongAdder cachedReadMisses = new LongAdder();

    DirectFile(EngineContext engine, FileState state, boolean ownsDescriptor) {
        this.engine = engine;
        this.state = state;
        this.checks = new RequestChecks(state);
        this.ownsDescriptor = ownsDescriptor;
        this.triesCache = engine.config().cachedReads() && !state.direct();
        this.pendingListener = r -> {
            if (r.order().registeredWrite()) {
                IoRequest released = state.inFlightWrites().onComplete(r);
                while (released != null) {
                    IoRequest next = released.order().unlinkNextHeld();
                    released.sink().release(released); // never blocks: we may be a ring thread inside a reap
                    released = next;
                }
            }
            requestFinished();
        };
    }

    /** The path the file was opened with. */
    public Path path() {
        return state.path();
    }

    /** Whether the file was opened with O_DIRECT. */
    public boolean isDirect() {
        return state.direct();
    }

    /** Required alignment of buffer addresses (1 without O_DIRECT). */
    public int memoryAlignment() {
        return state.direct() ? state.alignment().memory() : 1;
    }

    /** Required alignment of offsets and lengths (1 without O_DIRECT). */
    public int offsetAlignment() {
        return state.direct() ? state.alignment().offset() : 1;
    }

    /** The O_DIRECT alignment as the kernel reported it, with its source. */
    public DioAlignment alignment() {
        return state.alignment();
    }

    /** Bytes per SQE at most; larger requests are split. */
    public int maxIoBytes() {
        return state.maxIoBytes();
    }

    /** The file's size as the engine tracks it. */
    public long size() {
        return state.size().get();
    }

    /** The file descriptor (for diagnostics; do not close it). */
    public int fd() {
        return state.fd();
    }

    /** Writes that ended beyond the size and went through the synchronous path. */
    public long extendingWrites() {
        return extendingWrites.sum();
    }

    /** Writes that went through the asynchronous path. */
    public long asyncWrites() {
        return writes.sum() - extendingWrites.sum();
    }

    /**
     * With {@code on}, each read on this file completes with exactly the bytes the kernel
     * returned for it: a short read is not resubmitted for the rest (its prefix is the
     * result, even mid-file) and the file's requests are never merged with others. For
     * callers that must account for every read as the kernel made it, as dd does. Off by
     * default; writes are unaffected.
     */
    public void setRawOutcomes(boolean on) {
        state.setRawOutcomes(on);
    }

    /** Whether {@link #setRawOutcomes(boolean)} is on. */
    public boolean rawOutcomes() {
        return state.rawOutcomes();
    }

    /** Requests held back so far because they overlapped a write in flight. */
    public long orderingHolds() {
        return state.inFlightWrites().holds();
    }

    /** Blocking reads the page cache held, copied on their caller's thread with no ring ({@link CachedRead}). */
    public long cachedReads() {
        return cachedReads.sum();
    }

    /** Blocking reads that tried the page cache and went on to the ring (not cached, in part or at all). */
    public long cachedReadMisses() {
        return cachedReadMisses.sum();
    }

    FileState state() {
        return state;
    }

    // ---- reads and writes -------------------------------------------------------------

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst}.
     *
     * @return the bytes read: all of them, or fewer only at end of file
     */
    public CompletableFuture<Long> read(long offset, MemorySegment dst) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        submit(IoRequest.READ, offset, dst, null, null, f, null, false);
        return f;
    }

    /**
     * Writes all of {@code src} at {@code offset}.
     *
     * @return {@code src.byteSize()}, or fails
     */
    public CompletableFuture<Long> write(long offset, MemorySegment src) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        submit(IoRequest.WRITE, offset, src, null, null, f, null, false);
        return f;
    }

    /**
     * Writes all of {@code src} at {@code offset} and makes it durable before completing: as
     * an fdatasync would, or as an fsync with {@code metadata}. One round trip: each SQE of
     * the write carries RWF_DSYNC (RWF_SYNC with {@code metadata}), so the kernel completes
     * it only once it is durable, with no separate sync after it. (An IOSQE_IO_LINK to an
     * fsync would be the other single-submission way; per-write flags need one SQE less and
     * cover only this write's range.) A zero-length durable write is a plain sync.
     */
    public CompletableFuture<Long> writeDurably(long offset, MemorySegment src, boolean metadata) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        IoRequest r = prepare(IoRequest.WRITE, offset, new MemorySegment[] {src});
        r.durable(metadata ? IoRequest.FSYNC : IoRequest.FDATASYNC).replyTo(null, null, f, false);
        dispatchAsync(r, null);
        return f;
    }

    /** Allocation-free read: the result goes to {@code handler} with {@code attachment}. */
    public <A> void read(long offset, MemorySegment dst, A attachment, CompletionHandler<? super A> handler) {
        submit(IoRequest.READ, offset, dst, attachment, handler, null, null, false);
    }

    /** Allocation-free write: the result goes to {@code handler} with {@code attachment}. */
    public <A> void write(long offset, MemorySegment src, A attachment, CompletionHandler<? super A> handler) {
        submit(IoRequest.WRITE, offset, src, attachment, handler, null, null, false);
    }

    /** Scatter read: fills {@code dsts} in order from {@code offset} on. */
    public CompletableFuture<Long> read(long offset, MemorySegment... dsts) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        IoRequest r = prepare(IoRequest.READ, offset, dsts).replyTo(null, null, f, false);
        dispatchAsync(r, null);
        return f;
    }

    /** Gather write: writes {@code srcs} back to back from {@code offset} on. */
    public CompletableFuture<Long> write(long offset, MemorySegment... srcs) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        IoRequest r = prepare(IoRequest.WRITE, offset, srcs).replyTo(null, null, f, false);
        dispatchAsync(r, null);
        return f;
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset}, blocking.
     *
     * <p>On a buffered file the page cache is tried first, on this thread
     * ({@link EngineConfig#cachedReads()}): what it holds whole is copied with no ring turn.
     *
     * @return bytes read; fewer than asked only at end of file
     * @throws DirectIoException on an operating error
     */
    public long readFully(long offset, MemorySegment dst) throws IOException {
        IoRequest r = prepareOne(IoRequest.READ, offset, dst, engine.pool());
        return blocking(r, triesCache && dst.byteSize() <= state.maxIoBytes());
    }

    /**
     * Writes all of {@code src} at {@code offset}, blocking.
     *
     * @return {@code src.byteSize()}
     * @throws DirectIoException on an operating error
     */
    public long writeFully(long offset, MemorySegment src) throws IOException {
        return blocking(prepareOne(IoRequest.WRITE, offset, src, engine.pool()), false);
    }

    /**
     * fsync(2) through the ring: data and metadata durable. A barrier: it is issued only
     * once every write submitted earlier on this file has completed, so it covers them all.
     */
    public CompletableFuture<Long> fsync() {
        return sync(IoRequest.FSYNC);
    }

    /** fdatasync(2) through the ring: data durable. A barrier, as {@link #fsync()}. */
    public CompletableFuture<Long> fdatasync() {
        return sync(IoRequest.FDATASYNC);
    }

    private CompletableFuture<Long> sync(int op) {
        checkOpen();
        CompletableFuture<Long> f = new CompletableFuture<>();
        IoRequest r = engine.pool().take().set(op, state, 0, (MemorySegment) null, -1).replyTo(null, null, f, false);
        // On the ring of the file's last write: a write whose result a caller reaped may still
        // wait there for its ring to deliver it (INLINE), and a ring delivers in the order the
        // kernel finished, so the sync is never seen done before that write. (An engine ring's
        // own thread keeps to its ring: it must not drive another from inside its turn.)
        RequestSink last = lastWriteSink;
        dispatchAsync(r, last != null && RingThreads.current() == null ? last : null);
        return f;
    }

    /**
     * Allocates space (fallocate). With {@code keepSize}, the size does not change
     * (FALLOC_FL_KEEP_SIZE); otherwise the file grows to at least {@code offset + length},
     * and writes below that are no longer extending.
     */
    public void preallocate(long offset, long length, boolean keepSize) throws IOException {
        checkOpen();
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("preallocate(offset " + offset + ", length " + length
                    + "): offset must be >= 0 and length > 0");
        }
        sizeLock.lock();
        try {
            int r = Libc.fallocate(state.fd(), keepSize ? libc_h.FALLOC_FL_KEEP_SIZE() : 0, offset, length);
            if (r < 0) {
                throw new DirectIoException(-r, "fallocate", state.path(), offset, length);
            }
            if (!keepSize) {
                state.size().accumulateAndGet(offset + length, Math::max);
            }
        } finally {
            sizeLock.unlock();
        }
    }

    /** Sets the file's size (ftruncate). */
    public void truncate(long size) throws IOException {
        checkOpen();
        if (size < 0) {
            throw new IllegalArgumentException("truncate(" + size + "): size must be >= 0");
        }
        sizeLock.lock();
        try {
            int r = Libc.ftruncate(state.fd(), size);
            if (r < 0) {
                throw new DirectIoException(-r, "ftruncate", state.path(), size, 0);
            }
            state.size().set(size);
        } finally {
            sizeLock.unlock();
        }
    }

    // ---- the path every request takes ---------------------------------------------------

    /** Checks, builds and dispatches a single-buffer request (used by OwnedRing too). */
    <A> void submit(int op, long offset, MemorySegment segment, A attachment, CompletionHandler<? super A> handler,
            CompletableFuture<Long> future, RequestSink sink, boolean inline) {
        submit(op, offset, segment, attachment, handler, future, sink, inline, engine.pool());
    }

    /** As above, with requests from {@code pool} (an owner-driven ring's own, lock-free). */
    <A> void submit(int op, long offset, MemorySegment segment, A attachment, CompletionHandler<? super A> handler,
            CompletableFuture<Long> future, RequestSink sink, boolean inline, RequestPool pool) {
        IoRequest r = prepareOne(op, offset, segment, pool).replyTo(handler, attachment, future, inline);
        dispatchAsync(r, sink);
    }

    /** Checks a single-buffer request and takes a request object for it (nothing allocated). */
    private IoRequest prepareOne(int op, long offset, MemorySegment segment, RequestPool pool) {
        checkOpen();
        checks.segment(op, offset, segment, 0);
        checks.range(op, offset, segment.byteSize());
        // Buffer index -1: the ring that issues it looks the segment up among its own
        // registered buffers (registrations are per ring; see OwnedRing.registerBuffers).
        return pool.take().set(op, state, offset, segment, -1);
    }

    private IoRequest prepare(int op, long offset, MemorySegment[] segments) {
        checkOpen();
        if (segments == null || segments.length == 0) {
            throw new IllegalArgumentException(RequestChecks.opName(op) + " " + state.path() + ": no buffers given");
        }
        long total = 0;
        for (int i = 0; i < segments.length; i++) {
            checks.segment(op, offset + total, segments[i], i);
            total += segments[i].byteSize();
        }
        checks.range(op, offset, total);
        return engine.pool().take().set(op, state, offset, segments, null);
    }

    /** Submits {@code r} and waits for it; {@code fromCache}: a read that tries the page cache first. */
    private long blocking(IoRequest r, boolean fromCache) throws IOException {
        if (RingThreads.current() != null) {
            // The engine's ring thread (a ring thread, a caller-driven ring's reaper) running an
            // INLINE callback: it drives the ring this call would wait on, so nobody would reap it.
            r.recycle();
            throw new IllegalStateException(RequestChecks.opName(r.op()) + "Fully at " + r.offset() + " of " + state.path()
                    + " from an INLINE completion callback on " + Thread.currentThread().getName()
                    + ": a blocking call there would wait for the thread that must complete it; "
                    + "submit with a future or a callback instead, or use DEFERRED completion");
        }
        r.ticket().awaitOn(Thread.currentThread());
        try {
            dispatch(r, null, fromCache);
        } catch (InterruptedIOException | RuntimeException e) {
            r.recycle();
            throw e;
        }
        Completion.await(r);
        long result = r.outcome().result();
        Throwable failure = r.outcome().failure();
        r.recycle();
        if (failure instanceof IOException e) {
            throw e;
        } else if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        return result;
    }

    /**
     * {@link #dispatch} for the asynchronous APIs: a submitter interrupted while it waited for
     * room gets its request failed with InterruptedIOException (delivered as any result is,
     * never inside this call); a closed file or engine throws IllegalStateException here.
     */
    private void dispatchAsync(IoRequest r, RequestSink sink) {
        try {
            dispatch(r, sink);
        } catch (InterruptedIOException e) {
            engine.delivery().fail(r, e, Errno.EINTR, false);
        } catch (RuntimeException e) {
            r.recycle();
            throw e;
        }
    }

    /**
     * Sends a checked request on its way: counts it, orders it against in-flight writes,
     * and takes the synchronous path if it extends the file. If it throws, nothing of the
     * request is left registered anywhere (not counted, not ordered against).
     */
    private void dispatch(IoRequest r, RequestSink sinkOrNull) throws InterruptedIOException {
        dispatch(r, sinkOrNull, false);
    }

    /** {@link #dispatch}; {@code fromCache}: a blocking read, tried in the page cache once admitted. */
    private void dispatch(IoRequest r, RequestSink sinkOrNull, boolean fromCache) throws InterruptedIOException {
        IoEvents.submitted(r); // JFR: the request's event starts here
        RequestSink sink = sinkOrNull != null ? sinkOrNull : engine.sinkForCurrentThread();
        r.givenTo(sink);
        pending.incrementAndGet();
        if (closed) {
            requestFinished(); // the closer may be waiting for this count to drop
            throw new IllegalStateException("file closed: " + state.path());
        }
        if (r.op() == IoRequest.WRITE) {
            writes.increment();
            if (sinkOrNull == null) {
                lastWriteSink = sink; // an engine ring (an owned ring's sink takes only its owner's)
            }
        }
        if (r.op() == IoRequest.WRITE && r.end() > state.size().get() && isExtending(r)) {
            extend(r, sink);
            return;
        }
        issue(r, sink, fromCache);
    }

    private void issue(IoRequest r, RequestSink sink) throws InterruptedIOException {
        issue(r, sink, false);
    }

    private void issue(IoRequest r, RequestSink sink, boolean fromCache) throws InterruptedIOException {
        r.listenWith(pendingListener); // on completion: release ordering holds, count it out
        if (!state.inFlightWrites().admit(r)) {
            return; // held; released to its sink when the writes it waits for are done
        }
        // Admitted: no write in flight overlaps it, so the page cache has what a ring would read.
        if (fromCache && readCached(r)) {
            Completion.deliver(r); // its waiter is this thread: marks it delivered
            return;
        }
        try {
            sink.accept(r);
        } catch (InterruptedIOException | RuntimeException e) {
            r.listenWith(null);
            pendingListener.onComplete(r); // not taken: unregister it and count it out
            throw e;
        }
    }

    /** Tries an admitted blocking read in the page cache ({@link CachedRead}): whether it was done there. */
    private boolean readCached(IoRequest r) {
        int outcome = CachedRead.attempt(r);
        if (outcome == CachedRead.DONE) {
            cachedReads.increment();
            engine.cachedRead();
            return true;
        }
        if (outcome == CachedRead.UNSUPPORTED) {
            triesCache = false; // the file system has no non-blocking reads: never ask again
        }
        cachedReadMisses.increment();
        return false;
    }

    private void requestFinished() {
        boolean closeNow;
        if (pending.decrementAndGet() > 0 || !closed) {
            return;
        }
        synchronized (closeMonitor) {
            closeMonitor.notifyAll();
            closeNow = closeDeferred;
            closeDeferred = false;
        }
        if (closeNow) {
            closeDescriptor();
        }
    }

    /** Re-reads the size (someone else may have grown the file) before judging a write extending. */
    private boolean isExtending(IoRequest r) {
        long actual = FileProbe.size(state.fd());
        if (actual >= 0) {
            state.size().accumulateAndGet(actual, Math::max);
        }
        return r.end() > state.size().get();
    }

    /**
     * Seed 000: an extending write cannot run asynchronously beside others without racing
     * the size update. Under the size lock: submit, wait, update the size; then deliver.
     */
    private void extend(IoRequest r, RequestSink sink) throws InterruptedIOException {
        if (sink.callerInHandler()) {
            // Waiting here would nest a reap in the handler's reap: the owner carries it out
            // once the handlers have returned, still synchronously, under the size lock.
            sink.afterReap(() -> {
                try {
                    extendNow(r, sink);
                } catch (InterruptedIOException | RuntimeException e) {
                    engine.delivery().fail(r, e, Errno.ECANCELED, false);
                }
            });
            return;
        }
        if (RingThreads.current() != null) {
            requestFinished();
            throw new IllegalStateException("write at " + r.offset() + " of " + r.length() + " bytes extends "
                    + state.path() + " (size " + state.size().get() + "): extending writes wait for their "
                    + "completion and cannot be issued from an inline completion callback; use DEFERRED "
                    + "completion or preallocate()");
        }
        extendNow(r, sink);
    }

    /**
     * Under the size lock: submit, wait, update the size; then deliver, never on this
     * caller's stack (a blocking caller gets its result from its own call).
     */
    private void extendNow(IoRequest r, RequestSink sink) throws InterruptedIOException {
        Thread caller = Thread.currentThread();
        sizeLock.lock();
        Thread previousWaiter = r.ticket().awaitOn(caller);
        try {
            extendingWrites.increment();
            boolean done = false;
            try {
                if (writesOnCaller(sink)) {
                    done = issueOnCaller(r);
                } else {
                    issue(r, sink);
                }
            } catch (InterruptedIOException | RuntimeException e) {
                r.ticket().awaitOn(previousWaiter);
                throw e;
            }
            if (done) {
                // made here: nothing to wait for
            } else if (sink.drivenByCaller()) {
                sink.runUntilDelivered(r);
            } else {
                Completion.await(r);
            }
            if (r.outcome().failure() == null) {
                state.size().accumulateAndGet(r.end(), Math::max);
            }
        } finally {
            sizeLock.unlock();
        }
        r.ticket().rearm(previousWaiter);
        if (previousWaiter != null) {
            Completion.deliver(r); // a blocking caller: mark it delivered (it is us)
        } else {
            engine.delivery().offRing(r);
        }
    }

    /**
     * Whether an extending write on this thread is made with pwrite(2) here rather than
     * through {@code sink}'s ring (see {@link CallerIo} for why and by how much): on a kernel
     * ring, from a platform thread. A virtual thread keeps the ring, where it waits unmounted
     * (a system call would pin its carrier for the write's whole duration); the thread-pool
     * backend already makes the calls on its workers.
     */
    private static boolean writesOnCaller(RequestSink sink) {
        if (Thread.currentThread().isVirtual()) {
            return false;
        }
        return sink.kernelRing();
    }

    /**
     * Admits {@code r} past the writes it overlaps and, unless it must wait for them (it then
     * goes to its sink when they are done, as {@link #issue} does it), makes it on this thread:
     * its result, its JFR event and its listener, as a ring would; the caller delivers it.
     *
     * @return whether it was made here
     */
    private boolean issueOnCaller(IoRequest r) {
        r.listenWith(pendingListener); // on completion: release ordering holds, count it out
        if (!state.inFlightWrites().admit(r)) {
            return false; // held; released to its sink when the writes it waits for are done
        }
        CallerIo.run(PositionalIo.LIBC, r); // its result, its JFR event, its listener, as a ring would
        return true;
    }

    // ---- batches (IoBatch drives these) -------------------------------------------------

    EngineContext engine() {
        return engine;
    }

    /** Checks a batch entry as a single read or write is checked, taking nothing. */
    void checkEntry(int op, long offset, MemorySegment segment) {
        checkOpen();
        checks.segment(op, offset, segment, 0);
        checks.range(op, offset, segment.byteSize());
    }

    /** A checked request for a batch entry, then {@link #dispatch}ed to {@code sink}. */
    IoRequest takeEntry(int op, long offset, MemorySegment segment) {
        return prepareOne(op, offset, segment, engine.pool());
    }

    void dispatchEntry(IoRequest r, RequestSink sink) throws InterruptedIOException {
        dispatch(r, sink);
    }

    /** Whether a batch entry's request writes past the file's end (its dispatch then waits for it). */
    boolean mayExtend(IoRequest r) {
        return r.op() == IoRequest.WRITE && r.end() > state.size().get();
    }

    // ---- checks -------------------------------------------------------------------------

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("file closed: " + state.path());
        }
        engine.checkOpen();
    }

    /**
     * Closes the file: later calls fail with IllegalStateException; requests in flight are
     * waited for (on the owner of an {@link OwnedRing}, by driving that ring, since nothing
     * else completes its requests); then the descriptor is closed. Called from a completion
     * callback, it returns at once and the last request to finish closes the descriptor.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeMonitor) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Requests this thread queued on its own OwnedRing finish only if it polls that ring.
        engine.driveOwnedRingsOfCurrentThread(this::nothingPending);
        synchronized (closeMonitor) {
            boolean interrupted = false;
            while (pending.get() > 0) {
                if (RingThreads.current() != null || engine.inOwnedRingHandler()) {
                    break; // in a callback of a ring this thread drives: cannot wait for ourselves
                }
                try {
                    closeMonitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (pending.get() > 0) {
                closeDeferred = true; // the last completion closes the descriptor
                return;
            }
        }
        closeDescriptor();
    }

    private boolean nothingPending() {
        return pending.get() == 0;
    }

    private void closeDescriptor() {
        engine.fileClosed(this);
        if (!ownsDescriptor) {
            return;
        }
        int r = Libc.close(state.fd());
        if (r < 0 && r != -Errno.EBADF) {
            throw new IllegalStateException("close " + state.path() + ": " + Errno.describe(r));
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }
}
