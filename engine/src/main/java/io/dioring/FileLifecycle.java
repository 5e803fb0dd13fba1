package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.file.FileState;
import io.dioring.reap.RingThreads;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file's open or closed state and its count of requests accepted and not yet finished:
 * a closed file takes no more requests, and its descriptor is closed once the last of them
 * is done, by the closer, or, when the closer could not wait (a completion callback), by
 * the last request to finish.
 */
final class FileLifecycle {
    private final EngineContext engine;
    private final FileState state;
    private final boolean ownsDescriptor;
    /** The file the engine is told of when it closes (the {@link DirectFile} facade). */
    private final AutoCloseable file;
    private final Object closeMonitor = new Object();
    private volatile boolean closed;
    /** Guarded by closeMonitor: the last request to finish closes the descriptor. */
    private boolean closeDeferred;
    /**
     * Requests accepted and not yet finished, and page-cache reads made with no request
     * ({@link FileIssuer#readNow}) while they use the descriptor. Lock-free on the data
     * path: a submitter increments it and then reads {@link #closed}; close writes closed and
     * then reads it (both sequentially consistent), so either the submitter sees the close or
     * the closer sees the request.
     */
    private final AtomicInteger pending = new AtomicInteger();

    FileLifecycle(EngineContext engine, FileState state, boolean ownsDescriptor, AutoCloseable file) {
        this.engine = engine;
        this.state = state;
        this.ownsDescriptor = ownsDescriptor;
        this.file = file;
    }

    /** Whether {@link #close()} was called. */
    boolean closed() {
        return closed;
    }

    /** @throws IllegalStateException if the file or its engine is closed */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("file closed: " + state.path());
        }
        engine.checkOpen();
    }

    /**
     * Counts a request in, unless the file is closed: it then throws IllegalStateException,
     * the request counted out again.
     */
    void enter() {
        pending.incrementAndGet();
        if (closed) {
            requestFinished(); // the closer may be waiting for this count to drop
            throw new IllegalStateException("file closed: " + state.path());
        }
    }

    /** Counts a request out; the last one out after a deferred close closes the descriptor. */
    void requestFinished() {
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

    /**
     * Closes the file: later requests fail; those in flight are waited for (the calling
     * thread's owned rings driven, since nothing else completes their requests), unless this
     * thread is inside a callback of a ring it drives: the last request closes it then.
     */
    void close() {
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
        engine.fileClosed(file);
        if (!ownsDescriptor) {
            return;
        }
        int r = Libc.close(state.fd());
        if (r < 0 && r != -Errno.EBADF) {
            throw new IllegalStateException("close " + state.path() + ": " + Errno.describe(r));
        }
    }
}
