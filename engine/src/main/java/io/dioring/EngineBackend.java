package io.dioring;

import io.dioring.request.RequestSink;

/**
 * The engine's backend, whichever it is: its io_uring rings ({@link RingsBackend}) or its
 * thread pool ({@link PoolBackend}). The engine holds one and asks it, never which it is.
 */
interface EngineBackend {
    /**
     * Where the calling thread submits a request: a ring (its own, else one nobody drives, of
     * the kind {@link Submission} gives a {@code blocking} call or an asynchronous one), or the pool.
     */
    RequestSink sinkForCurrentThread(boolean blocking);

    /** An owned ring over this backend (an owner-driven ring, or the pool's emulation of one). */
    OwnedRing ownedRing(EngineContext context, int entries, RingOptions options) throws RingSetupException;

    /**
     * Whether the calling thread is one of the backend's own (a ring thread or reaper, a pool
     * worker): it runs inline callbacks and must never wait for a request of its own.
     */
    boolean onOwnThread();

    /** The kernel's set-up of the first ring. @throws IllegalStateException without rings */
    RingSetup ringSetup();

    /** SQEs issued (on the pool: the data and sync calls made). */
    long slicesIssued();

    /** Requests that went out inside another's vector SQE or call. */
    long coalescedRequests();

    /** io_uring_enter calls (0 on the pool). */
    long enterCalls();

    /** Whether every ring registers the buffer pool's memory (false on the pool). */
    boolean registeredBuffers();

    /** Why a ring refused to register the pool's memory, or null. */
    String registeredBuffersRefusal();

    /** SQEs issued as READ_FIXED/WRITE_FIXED (0 on the pool). */
    long fixedBufferSlices();

    /** Why the backend stopped working, or null while it is healthy. */
    Throwable failure();

    /** Stops it: waits for (or with {@code cancel} cancels) what is in flight and fails what is queued. */
    void close(boolean cancel);
}
