package io.dioring;

import io.dioring.backend.ThreadPoolSink;
import io.dioring.channel.ChannelEngine;
import io.dioring.deliver.Delivery;
import io.dioring.deliver.LazyExecutor;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * The parts of an engine its files, owned rings and batches share (the {@link EngineContext}
 * they see; its channels see the {@link ChannelEngine}): the buffers, the request pool, the
 * backend, where results go, the open files and owned rings; and the engine's closing, which
 * frees the memory only once nothing can touch it any more.
 */
final class EngineCore implements EngineContext, ChannelEngine {
    /** How long close waits for callbacks still running before it frees the engine's memory. */
    private static final long DELIVERY_GRACE_SECONDS = 30;

    private final EngineConfig config;
    private final Arena arena = Arena.ofShared();
    private final IoBuffers buffers = new IoBuffers(arena);
    private final RequestPool pool;
    private final LazyExecutor lazyExecutor = new LazyExecutor("dioring-completion");
    private final Executor offloadExecutor = r -> lazyExecutor.get().execute(r);
    private final Delivery delivery;
    /** The rings or the thread pool, asked, never told apart. */
    private final EngineBackend backend;
    private final EngineFiles files = new EngineFiles(this);
    private final OwnedRings ownedRings;
    /** Reads of every file, counted by its files: done from the page cache on the caller, no ring. */
    private final LongAdder cachedReads = new LongAdder();
    private volatile boolean closed;

    EngineCore(EngineConfig config, Backend backend) throws IOException {
        this.config = config;
        this.pool = RequestPool.shared(Math.max(1024, config.queueDepth() * config.rings() * 4));
        Executor user = config.completionExecutor();
        Executor deferred = user != null ? user : offloadExecutor;
        this.delivery = new Delivery(config.completionMode() == CompletionMode.INLINE ? null : deferred,
                offloadExecutor);
        if (backend == Backend.THREADS) {
            this.backend = new PoolBackend(new ThreadPoolSink("dioring-io", config.threads(), config.submitQueueCapacity(),
                    delivery));
        } else {
            try {
                this.backend = RingsBackend.create(config, delivery, buffers.slabs());
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
        this.ownedRings = new OwnedRings(this.backend);
    }

    @Override
    public IoBuffers buffers() {
        return buffers;
    }

    @Override
    public DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException {
        return files.adopt(fd, name, direct, read, write);
    }

    EngineBackend backend() {
        return backend;
    }

    EngineFiles files() {
        return files;
    }

    long cachedReads() {
        return cachedReads.sum();
    }

    boolean completionExecutorCreated() {
        return lazyExecutor.isCreated();
    }

    /** An owned ring over the backend, kept until it closes. */
    OwnedRing ownedRing(int entries, RingOptions options) throws IOException {
        checkOpen();
        if (options == null) {
            throw new IllegalArgumentException("ownedRing: options must not be null");
        }
        OwnedRing r = backend.ownedRing(this, entries, options);
        ownedRings.add(r);
        return r;
    }

    // ---- what files, owned rings and batches see ----------------------------------------

    @Override
    public EngineConfig config() {
        return config;
    }

    @Override
    public void cachedRead() {
        cachedReads.increment();
    }

    @Override
    public RequestPool pool() {
        return pool;
    }

    @Override
    public RequestSink sinkForCurrentThread(boolean blocking) {
        return backend.sinkForCurrentThread(blocking);
    }

    @Override
    public Delivery delivery() {
        return delivery;
    }

    @Override
    public Executor offloadExecutor() {
        return offloadExecutor;
    }

    @Override
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("engine closed");
        }
    }

    @Override
    public boolean inOwnedRingHandler() {
        return ownedRings.inHandler();
    }

    @Override
    public void driveOwnedRingsOfCurrentThread(BooleanSupplier done) {
        ownedRings.driveOwnRings(done);
    }

    @Override
    public void fileClosed(AutoCloseable file) {
        files.remove(file);
    }

    @Override
    public void ringClosed(AutoCloseable ring) {
        ownedRings.remove(ring);
        if (closed) {
            release(); // the engine's memory waited for this ring, which may have had it registered
        }
    }

    @Override
    public long slicesIssued() {
        return backend.slicesIssued();
    }

    @Override
    public long coalescedRequests() {
        return backend.coalescedRequests();
    }

    // ---- closing ------------------------------------------------------------------------

    boolean isClosed() {
        return closed;
    }

    /** See {@code IoEngine.close(boolean)}. */
    void close(boolean cancel) {
        synchronized (this) {
            if (closed && !cancel) {
                return;
            }
            closed = true;
        }
        backend.close(cancel);
        if (backend.onOwnThread()) {
            // Called from an inline callback on one of our ring threads: it cannot wait for
            // itself. Finish on another thread once every ring has stopped.
            Thread.ofVirtual().name("dioring-close").start(() -> {
                backend.close(cancel);
                release();
            });
            return;
        }
        release();
    }

    /**
     * Closes the files, then frees the engine's memory, but only once no owned ring is left
     * (their owners may still have engine buffers registered or in flight): the last
     * {@link OwnedRing#close()} finishes it then.
     */
    private synchronized void release() {
        if (!arena.scope().isAlive()) {
            return;
        }
        files.closeAll();
        if (!ownedRings.isEmpty()) {
            return;
        }
        // Callbacks and future stages of results the rings already produced may still be
        // running on executor threads and reading engine buffers: let them finish first.
        if (!delivery.awaitDelivered(DELIVERY_GRACE_SECONDS, TimeUnit.SECONDS)) {
            System.getLogger("io.dioring").log(System.Logger.Level.WARNING, "dioring: engine closed with completion "
                    + "callbacks still running after " + DELIVERY_GRACE_SECONDS + " s; freeing its buffers anyway "
                    + "(those callbacks now get IllegalStateException touching them)");
        }
        arena.close();
        lazyExecutor.shutdown();
    }
}
