package io.dioring;

import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;

/**
 * What drives an owner-driven ring on one backend: a kernel ring ({@link RingOwnerDriver})
 * or the engine's thread pool ({@link PoolOwnerDriver}). The owned ring picks one when it
 * is made and keeps what both share (owner checks, handler depth, work left for after a
 * reap, the queue of requests released from other threads); a driver only moves requests
 * and results. Called on the owner thread, except {@link #takeBack}.
 */
interface OwnerDriver {
    /** @throws IllegalStateException where there is no io_uring ring */
    Ring ring();

    Backend backend();

    /** Whether requests go to a kernel ring (the {@code RequestSink.kernelRing} seam). */
    boolean kernelRing();

    /** Completions posted and not reaped yet. */
    int completionsReady();

    long enterCalls();

    /** Takes a request from the owner, after the owned ring checked it may. */
    void accept(IoRequest r) throws InterruptedIOException;

    /**
     * Takes back a released or handed-back request while the ring is open, if it can right
     * away; false leaves it to the owned ring's queue of released requests.
     */
    boolean takeBack(IoRequest r);

    // One turn of the owner's loop: pickUp, prepare, submit, reap (prepare and reap run handlers).

    /** Moves requests released from other threads into the ring. */
    void pickUp();

    /** Writes what is queued (may deliver requests handed back, so it runs handlers). */
    void prepare();

    /** Submits; with {@code wait}, blocks for a completion where there is something to wait for. */
    void submit(boolean wait);

    /** Reaps what completed and runs its handlers; returns what was reaped or delivered. */
    int reap();

    void submitBatch(int n);

    int submitBatch();

    int inFlight();

    /** Whether results that finished elsewhere still wait to be delivered on the owner. */
    boolean resultsAwaitDelivery();

    /** Whether anything is queued or in flight (not counting work for after a reap). */
    boolean busy();

    long slicesIssued();

    long coalescedRequests();

    long fixedIssued();

    long fixedFileIssued();

    void registerBuffers(MemorySegment... buffers) throws RingSetupException;

    /** Called once nothing is in flight. */
    void unregisterBuffers() throws RingSetupException;

    /** @return the file's slot, -1 where there is no file table */
    int registerFile(DirectFile file) throws RingSetupException;

    /** The file's slot in the file table, or -1 when it has none. */
    int fileSlot(DirectFile file);

    /** Empties a slot {@link #fileSlot} gave, once nothing is in flight. */
    void clearFileSlot(int slot) throws RingSetupException;

    /** Releases what the driver holds, once nothing is in flight. */
    void close();
}
