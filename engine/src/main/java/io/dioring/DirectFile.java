package io.dioring;

import io.dioring.backend.CachedRead;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

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
    /** Open or closed, and the requests not yet finished. */
    private final FileLifecycle lifecycle;
    /** Admission past in-flight writes, the page cache, the hand-off to a sink. */
    private final FileIssuer issuer;
    /** The size lock: extending writes, fallocate, ftruncate. */
    private final FileExtension extension;
    /** Check, take, dispatch, wait. */
    private final FileRequests requests;

    DirectFile(EngineContext engine, FileState state, boolean ownsDescriptor) {
        this.engine = engine;
        this.state = state;
        this.lifecycle = new FileLifecycle(engine, state, ownsDescriptor, this);
        this.issuer = new FileIssuer(engine, state, lifecycle);
        this.extension = new FileExtension(engine, state, lifecycle, issuer);
        this.requests = new FileRequests(engine, state, lifecycle, issuer, extension);
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
        return extension.extendingWrites();
    }

    /** Writes that went through the asynchronous path. */
    public long asyncWrites() {
        return requests.writes() - extension.extendingWrites();
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
        return issuer.cachedReads();
    }

    /** Blocking reads that tried the page cache and went on to the ring (not cached, in part or at all). */
    public long cachedReadMisses() {
        return issuer.cachedReadMisses();
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
        IoRequest r = requests.prepare(IoRequest.WRITE, offset, new MemorySegment[] {src});
        r.durable(metadata ? IoRequest.FSYNC : IoRequest.FDATASYNC).replyTo(null, null, f, false);
        requests.dispatchAsync(r, null);
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
        IoRequest r = requests.prepare(IoRequest.READ, offset, dsts).replyTo(null, null, f, false);
        requests.dispatchAsync(r, null);
        return f;
    }

    /** Gather write: writes {@code srcs} back to back from {@code offset} on. */
    public CompletableFuture<Long> write(long offset, MemorySegment... srcs) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        IoRequest r = requests.prepare(IoRequest.WRITE, offset, srcs).replyTo(null, null, f, false);
        requests.dispatchAsync(r, null);
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
        return requests.readFully(offset, dst);
    }

    /**
     * Writes all of {@code src} at {@code offset}, blocking.
     *
     * @return {@code src.byteSize()}
     * @throws DirectIoException on an operating error
     */
    public long writeFully(long offset, MemorySegment src) throws IOException {
        return requests.blocking(requests.prepareOne(IoRequest.WRITE, offset, src, engine.pool()), false);
    }

    /**
     * fsync(2) through the ring: data and metadata durable. A barrier: it is issued only
     * once every write submitted earlier on this file has completed, so it covers them all.
     */
    public CompletableFuture<Long> fsync() {
        return requests.sync(IoRequest.FSYNC);
    }

    /** fdatasync(2) through the ring: data durable. A barrier, as {@link #fsync()}. */
    public CompletableFuture<Long> fdatasync() {
        return requests.sync(IoRequest.FDATASYNC);
    }

    /**
     * Allocates space (fallocate). With {@code keepSize}, the size does not change
     * (FALLOC_FL_KEEP_SIZE); otherwise the file grows to at least {@code offset + length},
     * and writes below that are no longer extending.
     */
    public void preallocate(long offset, long length, boolean keepSize) throws IOException {
        extension.preallocate(offset, length, keepSize);
    }

    /** Sets the file's size (ftruncate). */
    public void truncate(long size) throws IOException {
        extension.truncate(size);
    }

    // ---- for OwnedRing and IoBatch --------------------------------------------------------

    /** Checks, builds and dispatches a single-buffer request (used by OwnedRing too). */
    <A> void submit(int op, long offset, MemorySegment segment, A attachment, CompletionHandler<? super A> handler,
            CompletableFuture<Long> future, RequestSink sink, boolean inline) {
        requests.submit(op, offset, segment, attachment, handler, future, sink, inline, engine.pool());
    }

    /** As above, with requests from {@code pool} (an owner-driven ring's own, lock-free). */
    <A> void submit(int op, long offset, MemorySegment segment, A attachment, CompletionHandler<? super A> handler,
            CompletableFuture<Long> future, RequestSink sink, boolean inline, RequestPool pool) {
        requests.submit(op, offset, segment, attachment, handler, future, sink, inline, pool);
    }

    EngineContext engine() {
        return engine;
    }

    /** Checks a batch entry as a single read or write is checked, taking nothing. */
    void checkEntry(int op, long offset, MemorySegment segment) {
        requests.check(op, offset, segment);
    }

    /** A checked request for a batch entry, then {@link #dispatchEntry}ed to its sink. */
    IoRequest takeEntry(int op, long offset, MemorySegment segment) {
        return requests.prepareOne(op, offset, segment, engine.pool());
    }

    /** Sends a batch entry's request on its way, as every request goes (see {@link FileRequests#dispatch}). */
    void dispatchEntry(IoRequest r, RequestSink sink) throws InterruptedIOException {
        requests.dispatch(r, sink, false);
    }

    /** Whether a batch entry's request writes past the file's end (its dispatch then waits for it). */
    boolean mayExtend(IoRequest r) {
        return requests.mayExtend(r);
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
        lifecycle.close();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return lifecycle.closed();
    }
}
