package io.dioring;

import io.dioring.deliver.Completion;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.reap.RingThreads;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The file's size lock and what runs under it: extending writes (seed 000: made
 * synchronously, the size updated before the next is judged), fallocate and ftruncate.
 * Non-extending requests never take it.
 */
final class FileExtension {
    private final EngineContext engine;
    private final FileState state;
    private final FileLifecycle lifecycle;
    private final FileIssuer issuer;
    private final ReentrantLock sizeLock = new ReentrantLock();
    private final LongAdder extendingWrites = new LongAdder();

    FileExtension(EngineContext engine, FileState state, FileLifecycle lifecycle, FileIssuer issuer) {
        this.engine = engine;
        this.state = state;
        this.lifecycle = lifecycle;
        this.issuer = issuer;
    }

    /** Writes that ended beyond the size and went through the synchronous path. */
    long extendingWrites() {
        return extendingWrites.sum();
    }

    /** Re-reads the size (someone else may have grown the file) before judging a write extending. */
    boolean isExtending(IoRequest r) {
        long actual = FileProbe.size(state.fd());
        if (actual >= 0) {
            state.size().accumulateAndGet(actual, Math::max);
        }
        return r.end() > state.size().get();
    }

    /**
     * Seed 000: an extending write cannot run asynchronously beside others without racing
     * the size update. Under the size lock: submit, wait, update the size; then deliver.
     * {@code r} is counted in; if this throws, it is counted out.
     */
    void extend(IoRequest r, RequestSink sink) throws InterruptedIOException {
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
            lifecycle.requestFinished();
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
                    done = issuer.issueOnCaller(r);
                } else {
                    issuer.issue(r, sink, false);
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
     * through {@code sink}'s ring (see {@link io.dioring.backend.CallerIo} for why and by how
     * much): on a kernel ring, from a platform thread. A virtual thread keeps the ring, where
     * it waits unmounted (a system call would pin its carrier for the write's whole duration);
     * the thread-pool backend already makes the calls on its workers.
     */
    private static boolean writesOnCaller(RequestSink sink) {
        if (Thread.currentThread().isVirtual()) {
            return false;
        }
        return sink.kernelRing();
    }

    /** fallocate(2) under the size lock; see {@code DirectFile.preallocate}. */
    void preallocate(long offset, long length, boolean keepSize) throws IOException {
        lifecycle.checkOpen();
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

    /** ftruncate(2) under the size lock. */
    void truncate(long size) throws IOException {
        lifecycle.checkOpen();
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
}
