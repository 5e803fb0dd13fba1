package io.dioring;

import io.dioring.backend.ThreadPoolSink;
import io.dioring.request.RequestSink;

/** The thread-pool backend ({@link Backend#THREADS}): pread/pwrite on the pool's platform threads. */
final class PoolBackend implements EngineBackend {
    private final ThreadPoolSink pool;

    PoolBackend(ThreadPoolSink pool) {
        this.pool = pool;
    }

    @Override
    public RequestSink sinkForCurrentThread(boolean blocking) {
        return pool;
    }

    @Override
    public OwnedRing ownedRing(EngineContext context, int entries, RingOptions options) {
        return new OwnedRing(context, entries, pool);
    }

    @Override
    public boolean onOwnThread() {
        return ThreadPoolSink.current() == pool;
    }

    @Override
    public RingSetup ringSetup() {
        throw new IllegalStateException("io_uring is not in use: this engine runs on the THREADS backend (" + pool
                + "); ringSetup() describes an io_uring ring");
    }

    @Override
    public long slicesIssued() {
        return pool.syscalls();
    }

    @Override
    public long coalescedRequests() {
        return pool.coalescedRequests();
    }

    @Override
    public long enterCalls() {
        return 0; // no ring is entered
    }

    @Override
    public boolean registeredBuffers() {
        return false;
    }

    @Override
    public String registeredBuffersRefusal() {
        return null;
    }

    @Override
    public long fixedBufferSlices() {
        return 0;
    }

    @Override
    public Throwable failure() {
        return null;
    }

    @Override
    public void close(boolean cancel) {
        pool.close(cancel);
    }
}
