package io.dioring;

import io.dioring.backend.OwnerCompletions;
import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;

/**
 * An owned ring on the engine's THREADS backend: there is no io_uring ring; requests run
 * on the engine's pool threads and their results wait in {@link OwnerCompletions} until the
 * owner delivers them. Registrations are accepted and do nothing.
 */
final class PoolOwnerDriver implements OwnerDriver {
    private final EngineContext engine;
    private final OwnerCompletions threads;
    /** Kept for {@link #submitBatch()}; each request goes to the pool as it is queued. */
    private int submitBatch;

    PoolOwnerDriver(EngineContext engine, OwnerCompletions threads, int submitBatch) {
        this.engine = engine;
        this.threads = threads;
        this.submitBatch = submitBatch;
    }

    /** The range an owned ring's entries must lie in (the kernel's, checked here as there is no kernel ring). */
    static void checkEntries(int entries) {
        if (entries < 1 || entries > 32768) {
            throw new IllegalArgumentException("ring entries " + entries + " out of range [1, 32768]");
        }
    }

    @Override
    public Ring ring() {
        throw new IllegalStateException("io_uring is not in use: this owned ring runs on the engine's THREADS "
                + "backend and has no io_uring ring");
    }

    @Override
    public Backend backend() {
        return Backend.THREADS;
    }

    @Override
    public boolean kernelRing() {
        return false;
    }

    @Override
    public int completionsReady() {
        return 0; // completions wait in a queue of their own
    }

    @Override
    public long enterCalls() {
        return 0;
    }

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        threads.accept(r); // to the pool; may block for room there
    }

    @Override
    public boolean takeBack(IoRequest r) {
        threads.handBack(r);
        return true;
    }

    @Override
    public void pickUp() {
        // released requests are handed back to the pool, not queued here
    }

    @Override
    public void prepare() {
        // nothing to write: each request went to the pool when it was queued
    }

    @Override
    public void submit(boolean wait) {
        if (wait) {
            threads.awaitReady();
        }
    }

    @Override
    public int reap() {
        return threads.deliverReady();
    }

    @Override
    public void submitBatch(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("submitBatch = " + n + ": must be 0 (submit after each reap) or "
                    + "positive (submit once that many requests are queued)");
        }
        submitBatch = n;
    }

    @Override
    public int submitBatch() {
        return submitBatch;
    }

    @Override
    public int inFlight() {
        return threads.inPool();
    }

    @Override
    public boolean resultsAwaitDelivery() {
        return threads.busy();
    }

    @Override
    public boolean busy() {
        return threads.busy();
    }

    @Override
    public long slicesIssued() {
        return engine.slicesIssued();
    }

    @Override
    public long coalescedRequests() {
        return engine.coalescedRequests();
    }

    @Override
    public long fixedIssued() {
        return 0;
    }

    @Override
    public long fixedFileIssued() {
        return 0;
    }

    @Override
    public void registerBuffers(MemorySegment... buffers) {
        // nothing to register with
    }

    @Override
    public void unregisterBuffers() {
        // nothing was registered
    }

    @Override
    public int registerFile(DirectFile file) {
        return -1; // no file table
    }

    @Override
    public int fileSlot(DirectFile file) {
        return -1;
    }

    @Override
    public void clearFileSlot(int slot) {
        throw new AssertionError("no file table on THREADS, so no slot " + slot + " to clear");
    }

    @Override
    public void close() {
        // the pool belongs to the engine
    }
}
