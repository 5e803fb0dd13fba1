package io.dioring;

import io.dioring.deliver.Delivery;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * What a {@link DirectFile}, an {@link OwnedRing} and an {@link IoBatch} need of the engine
 * they belong to: its request pool, the backend to submit to, where results go, and its
 * bookkeeping. {@link IoEngine} hands out its {@link EngineCore}; they name only this, so
 * nothing calls up into the engine.
 */
interface EngineContext {
    /** The engine's configuration. */
    EngineConfig config();

    RequestPool pool();

    /**
     * The backend for the calling thread: a ring (its own, else one nobody drives, for a
     * {@code blocking} call or an asynchronous one), or the thread pool.
     */
    RequestSink sinkForCurrentThread(boolean blocking);

    /** Where this engine's results go. */
    Delivery delivery();

    /** Runs deliveries that must leave the current thread and have no ring to go to. */
    Executor offloadExecutor();

    /** @throws IllegalStateException if the engine is closed */
    void checkOpen();

    /**
     * Whether the calling thread runs a completion handler of one of its owned rings, or is
     * a worker of the engine's thread pool: it must not wait for requests it may have to run.
     */
    boolean inOwnedRingHandler();

    /** Drives the calling thread's owned rings until {@code done} holds or none has anything left. */
    void driveOwnedRingsOfCurrentThread(BooleanSupplier done);

    /** A file of this engine ({@link DirectFile}) was closed. */
    void fileClosed(AutoCloseable file);

    /** An owned ring of this engine ({@link OwnedRing}) was closed. */
    void ringClosed(AutoCloseable ring);

    /** Slices issued by the engine's rings (the thread pool's calls on THREADS). */
    long slicesIssued();

    /** Requests the engine's rings merged into another's SQE. */
    long coalescedRequests();

    /** A blocking read was copied from the page cache on its caller (counted for {@code IoEngine.cachedReads}). */
    void cachedRead();
}
