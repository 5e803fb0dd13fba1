package io.dioring;

import io.dioring.deliver.Completion;
import io.dioring.ffi.Errno;
import io.dioring.file.FileState;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.RingThreads;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * The path every request of a file takes: checked, taken from a pool, then dispatched
 * (counted in, its sink chosen, the synchronous way if it extends the file, else issued);
 * a blocking call then waits for it on its own thread.
 */
final class FileRequests {
    private final EngineContext engine;
    private final FileState state;
    private final RequestChecks checks;
    private final FileLifecycle lifecycle;
    private final FileIssuer issuer;
    private final FileExtension extension;
    /** Writes submitted; those not extending went the asynchronous way. */
    private final LongAdder writes = new LongAdder();
    /** The engine-chosen sink of this file's latest write: where its syncs go (see {@link #sync}). */
    private volatile RequestSink lastWriteSink;

    FileRequests(EngineContext engine, FileState state, FileLifecycle lifecycle, FileIssuer issuer,
            FileExtension extension) {
        this.engine = engine;
        this.state = state;
        this.checks = new RequestChecks(state);
        this.lifecycle = lifecycle;
        this.issuer = issuer;
        this.extension = extension;
    }

    /** Writes submitted, extending or not. */
    long writes() {
        return writes.sum();
    }

    /** Checks, builds and dispatches a single-buffer request with requests from {@code pool}. */
    <A> void submit(int op, long offset, MemorySegment segment, A attachment, CompletionHandler<? super A> handler,
            CompletableFuture<Long> future, RequestSink sink, boolean inline, RequestPool pool) {
        IoRequest r = prepareOne(op, offset, segment, pool).replyTo(handler, attachment, future, inline);
        dispatchAsync(r, sink);
    }

    /** A sync (FSYNC or FDATASYNC), a barrier behind every earlier write of the file. */
    CompletableFuture<Long> sync(int op) {
        lifecycle.checkOpen();
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

    /** Checks a single-buffer request (or a batch entry), taking nothing. */
    void check(int op, long offset, MemorySegment segment) {
        lifecycle.checkOpen();
        checks.segment(op, offset, segment, 0);
        checks.range(op, offset, segment.byteSize());
    }

    /** Checks a single-buffer request and takes a request object for it (nothing allocated). */
    IoRequest prepareOne(int op, long offset, MemorySegment segment, RequestPool pool) {
        check(op, offset, segment);
        // Buffer index -1: the ring that issues it looks the segment up among its own
        // registered buffers (registrations are per ring; see OwnedRing.registerBuffers).
        return pool.take().set(op, state, offset, segment, -1);
    }

    /** Checks a scatter/gather request and takes a request object for it. */
    IoRequest prepare(int op, long offset, MemorySegment[] segments) {
        lifecycle.checkOpen();
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

    /**
     * A blocking single-buffer read: checked, then, on a file that tries the page cache,
     * made from it with no request ({@link FileIssuer#readNow}); otherwise a request from
     * the engine's pool, {@link #blocking}, where the page cache is tried only if it was not
     * tried here.
     */
    long readFully(long offset, MemorySegment dst) throws IOException {
        check(IoRequest.READ, offset, dst);
        boolean fromCache = issuer.triesCache(dst.byteSize());
        if (fromCache) {
            long n = issuer.readNow(offset, dst);
            if (n >= 0) {
                return n;
            }
            fromCache = n == FileIssuer.NOT_TRIED;
        }
        return blocking(engine.pool().take().set(IoRequest.READ, state, offset, dst, -1), fromCache);
    }

    /** Submits {@code r} and waits for it; {@code fromCache}: a read that tries the page cache first. */
    long blocking(IoRequest r, boolean fromCache) throws IOException {
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
    void dispatchAsync(IoRequest r, RequestSink sink) {
        try {
            dispatch(r, sink, false);
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
     * {@code fromCache}: a blocking read, tried in the page cache once admitted.
     */
    void dispatch(IoRequest r, RequestSink sinkOrNull, boolean fromCache) throws InterruptedIOException {
        IoEvents.submitted(r); // JFR: the request's event starts here
        RequestSink sink = sinkOrNull != null ? sinkOrNull
                : engine.sinkForCurrentThread(r.ticket().waiter() != null); // a blocking call has its waiter
        r.givenTo(sink);
        lifecycle.enter();
        if (r.op() == IoRequest.WRITE) {
            writes.increment();
            if (sinkOrNull == null) {
                lastWriteSink = sink; // an engine ring (an owned ring's sink takes only its owner's)
            }
        }
        if (r.op() == IoRequest.WRITE && r.end() > state.size().get() && extension.isExtending(r)) {
            extension.extend(r, sink);
            return;
        }
        issuer.issue(r, sink, fromCache);
    }

    /** Whether a batch entry's request writes past the file's end (its dispatch then waits for it). */
    boolean mayExtend(IoRequest r) {
        return r.op() == IoRequest.WRITE && r.end() > state.size().get();
    }
}
