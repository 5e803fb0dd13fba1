package io.dioring;

import io.dioring.backend.CachedRead;
import io.dioring.backend.CallerIo;
import io.dioring.backend.PositionalIo;
import io.dioring.deliver.Completion;
import io.dioring.file.FileState;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.RingThreads;
import io.dioring.request.CompletionListener;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * Issues a file's counted requests: admits each past the writes in flight it overlaps (or
 * leaves it held until they are done), then makes it from the page cache on the caller, with
 * pwrite(2) on the caller, or hands it to its sink; and, as each finishes, releases what it
 * held and counts it out of the file's {@link FileLifecycle}.
 */
final class FileIssuer {
    /** What {@link #readNow} returns when it did not try: the request way, the page cache tried there. */
    static final long NOT_TRIED = -1;
    /** What {@link #readNow} returns when the page cache did not hold it: the request way, to the sink. */
    static final long NOT_CACHED = -2;

    private final EngineContext engine;
    private final FileState state;
    private final FileLifecycle lifecycle;
    /** On completion: release the requests it held back, count it out. */
    private final CompletionListener<IoRequest> pendingListener;
    /**
     * Whether blocking reads try the page cache on the caller first ({@link CachedRead}):
     * buffered files of an engine with {@link EngineConfig#cachedReads()}; cleared for good
     * when the file system refuses RWF_NOWAIT.
     */
    private volatile boolean triesCache;
    private final LongAdder cachedReads = new LongAdder();
    private final LongAdder cachedReadMisses = new LongAdder();

    FileIssuer(EngineContext engine, FileState state, FileLifecycle lifecycle) {
        this.engine = engine;
        this.state = state;
        this.lifecycle = lifecycle;
        this.triesCache = engine.config().cachedReads() && !state.direct();
        this.pendingListener = r -> {
            if (r.order().registeredWrite()) {
                IoRequest.releaseHeld(state.inFlightWrites().onComplete(r));
            }
            lifecycle.requestFinished();
        };
    }

    /** Whether a blocking read of {@code length} bytes tries the page cache first. */
    boolean triesCache(long length) {
        return triesCache && length <= state.maxIoBytes();
    }

    /** Blocking reads the page cache held. */
    long cachedReads() {
        return cachedReads.sum();
    }

    /** Blocking reads that tried the page cache and went on to the ring. */
    long cachedReadMisses() {
        return cachedReadMisses.sum();
    }

    /**
     * A checked blocking read of a file that {@link #triesCache}, made from the page cache
     * before any request is built: when no write is in flight on the file (none it could
     * have to wait for: a read admitted past no write, as {@link #issue} would admit it), no
     * recording wants its JFR event, and this is not a ring thread (whose blocking calls
     * fail on the request way), preadv2(RWF_NOWAIT) into {@code dst} by
     * {@link CachedRead#read}'s rules. The file's pending count holds the descriptor open
     * meanwhile, as it does for a request: after close this throws IllegalStateException as
     * a request's dispatch does, and close waits for the read. Nothing allocated.
     *
     * @return the bytes read, {@link #NOT_TRIED} or {@link #NOT_CACHED}
     */
    long readNow(long offset, MemorySegment dst) {
        if (state.inFlightWrites().count() != 0 || IoEvents.readsRecorded() || RingThreads.current() != null) {
            return NOT_TRIED;
        }
        lifecycle.enter(); // counted in, or IllegalStateException if the file is closed
        long n;
        try {
            n = CachedRead.read(state.fd(), dst, offset, state.rawOutcomes());
        } finally {
            lifecycle.requestFinished(); // a closer waiting for the count may close the descriptor now
        }
        counted(n >= 0, n == CachedRead.REFUSED);
        return n >= 0 ? n : NOT_CACHED;
    }

    /**
     * Admits {@code r} and hands it to {@code sink} (or, with {@code fromCache}, first tries
     * the page cache). If the sink refuses it, it is counted out and the failure thrown.
     */
    void issue(IoRequest r, RequestSink sink, boolean fromCache) throws InterruptedIOException {
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
        return counted(outcome == CachedRead.DONE, outcome == CachedRead.UNSUPPORTED);
    }

    /** Counts a try of the page cache ({@code hit} or a miss) and, when the file system {@code refused}, stops trying. */
    private boolean counted(boolean hit, boolean refused) {
        if (hit) {
            cachedReads.increment();
            engine.cachedRead();
            return true;
        }
        if (refused) {
            triesCache = false; // the file system has no non-blocking reads: never ask again
        }
        cachedReadMisses.increment();
        return false;
    }

    /**
     * Admits {@code r} past the writes it overlaps and, unless it must wait for them (it then
     * goes to its sink when they are done, as {@link #issue} does it), makes it on this thread:
     * its result, its JFR event and its listener, as a ring would; the caller delivers it.
     *
     * @return whether it was made here
     */
    boolean issueOnCaller(IoRequest r) {
        r.listenWith(pendingListener); // on completion: release ordering holds, count it out
        if (!state.inFlightWrites().admit(r)) {
            return false; // held; released to its sink when the writes it waits for are done
        }
        CallerIo.run(PositionalIo.LIBC, r); // its result, its JFR event, its listener, as a ring would
        return true;
    }
}
