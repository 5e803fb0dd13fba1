package io.dioring;

import io.dioring.deliver.Delivery;
import io.dioring.reap.RingLoop;
import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Queue;

/** An owned ring over a kernel io_uring ring of its own, driven by its {@link RingLoop}. */
final class RingOwnerDriver implements OwnerDriver {
    /** Slots in the ring's registered file table (made on the first {@link #registerFile}). */
    static final int FILE_TABLE_SIZE = 64;

    private final Ring ring;
    private final RingLoop loop;
    private final Thread owner;
    /** The owned ring's queue of requests released from other threads; this picks them up. */
    private final Queue<IoRequest> released;

    RingOwnerDriver(int entries, RingOptions options, Thread owner, Delivery delivery, Queue<IoRequest> released)
            throws RingSetupException {
        this.owner = owner;
        this.released = released;
        this.ring = Ring.create(entries, options);
        ring.registerRingFd();
        this.loop = new RingLoop(ring, ring.cqEntries(), 0, delivery, null);
    }

    @Override
    public Ring ring() {
        return ring;
    }

    @Override
    public Backend backend() {
        return Backend.IO_URING;
    }

    @Override
    public boolean kernelRing() {
        return true;
    }

    @Override
    public int completionsReady() {
        return ring.cqReady();
    }

    @Override
    public long enterCalls() {
        return ring.enterCalls();
    }

    @Override
    public void accept(IoRequest r) {
        loop.add(r);
    }

    @Override
    public boolean takeBack(IoRequest r) {
        if (Thread.currentThread() != owner) {
            return false;
        }
        loop.add(r);
        return true;
    }

    @Override
    public void pickUp() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            loop.add(r);
        }
    }

    @Override
    public void prepare() {
        loop.prepare();
    }

    @Override
    public void submit(boolean wait) {
        loop.submit(wait && loop.inFlight() > 0 && released.isEmpty());
    }

    @Override
    public int reap() {
        return loop.reap();
    }

    @Override
    public void submitBatch(int n) {
        loop.submitBatch(n);
    }

    @Override
    public int submitBatch() {
        return loop.submitBatch();
    }

    @Override
    public int inFlight() {
        return loop.inFlight();
    }

    @Override
    public boolean resultsAwaitDelivery() {
        return false; // results are delivered in the reap
    }

    @Override
    public boolean busy() {
        return loop.busy() || !released.isEmpty();
    }

    @Override
    public long slicesIssued() {
        return loop.slicesIssued();
    }

    @Override
    public long coalescedRequests() {
        return loop.coalescedRequests();
    }

    @Override
    public long fixedIssued() {
        return loop.fixedIssued();
    }

    @Override
    public long fixedFileIssued() {
        return loop.fixedFileIssued();
    }

    @Override
    public void registerBuffers(MemorySegment... buffers) throws RingSetupException {
        if (ring.registrations().buffersRegistered()) {
            throw new IllegalStateException("this ring has registered buffers already; call unregisterBuffers() "
                    + "before registering others");
        }
        ring.registrations().registerBuffers(buffers);
    }

    @Override
    public void unregisterBuffers() throws RingSetupException {
        ring.registrations().unregisterBuffers();
    }

    @Override
    public int registerFile(DirectFile file) throws RingSetupException {
        int existing = fileSlot(file);
        if (existing >= 0) {
            return existing;
        }
        if (ring.registrations().fileTableSize() == 0) {
            int[] empty = new int[FILE_TABLE_SIZE];
            Arrays.fill(empty, -1);
            ring.registrations().registerFiles(empty);
        }
        int index = freeFileSlot();
        ring.registrations().updateFile(index, file.fd());
        loop.encoder().useFixedFile(index, file.state());
        return index;
    }

    private int freeFileSlot() {
        for (int i = 0; i < FILE_TABLE_SIZE; i++) {
            if (!loop.encoder().fixedFileSlotUsed(i)) {
                return i;
            }
        }
        throw new IllegalStateException("registerFile: all " + FILE_TABLE_SIZE + " slots of this ring's file "
                + "table are taken; unregisterFile one first");
    }

    @Override
    public int fileSlot(DirectFile file) {
        return loop.encoder().fixedFileIndex(file.state());
    }

    @Override
    public void clearFileSlot(int slot) throws RingSetupException {
        ring.registrations().updateFile(slot, -1);
        loop.encoder().useFixedFile(slot, null);
    }

    @Override
    public void close() {
        ring.close();
    }
}
