package io.dioring;

import io.dioring.backend.OwnerCompletions;
import io.dioring.backend.ThreadPoolSink;
import io.dioring.deliver.Delivery;
import io.dioring.reap.Aggregator;
import io.dioring.reap.RingLoop;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import io.dioring.ring.Ring;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Owner-driven mode: a ring owned by one thread, which queues requests and polls
 * completions itself, with no hand-off to another thread. For benchmarks, copy tools and
 * thread-per-core designs.
 *
 * <p>Only the creating thread may call it. Completion handlers run inline, on that thread,
 * inside {@link #poll()}, {@link #await(int)} or {@link #drain()}, never inside the call that
 * submitted their request. A handler may queue more reads and writes; it may not call
 * {@link #poll()}, {@link #await(int)}, {@link #drain()} or {@link #close()} of its own ring
 * (they throw IllegalStateException: a reap inside a reap would lose completions). An
 * extending write queued from a handler is carried out synchronously (seed 000) once the
 * handlers of that reap have returned. Queued requests are submitted in one io_uring_enter
 * per poll.
 *
 * <pre>{@code
 * try (OwnedRing ring = engine.ownedRing()) {
 *     ring.read(file, 0, buffer, null, handler);
 *     ring.await(1);
 * }
 * }</pre>
 *
 * <h2>Registered buffers and files</h2>
 * {@link #registerBuffers} registers memory with this ring (io_uring registrations belong
 * to one ring); reads and writes whose buffer lies inside a registered one then go out as
 * READ_FIXED/WRITE_FIXED, which spares the kernel pinning and mapping the pages on every
 * I/O. Registered memory is pinned in RAM until {@link #unregisterBuffers} or
 * {@link #close}, and counts against RLIMIT_MEMLOCK ({@code ulimit -l}) unless the process
 * has CAP_IPC_LOCK; registration over the limit fails with a {@link RingSetupException}
 * (ENOMEM) that says so. {@link #registerFile} puts a file in the ring's file table
 * (IOSQE_FIXED_FILE), sparing the fd lookup per I/O. The engine's own ring threads (the
 * thread-safe {@link DirectFile} methods) register neither: fixed buffers and files are
 * an owner-driven feature.
 *
 * <h2>On the THREADS backend</h2>
 * Where the engine runs on its thread pool ({@link IoEngine#backend()} is
 * {@link Backend#THREADS}), an owned ring has no io_uring ring: its requests run on the
 * engine's pool threads, and their results wait in a queue of this ring until the owner's
 * {@link #poll()}, {@link #await(int)} or {@link #drain()} delivers them, so handlers still
 * run on the owner, never inside the submitting call. {@link #registerBuffers},
 * {@link #unregisterBuffers}, {@link #registerFile} and {@link #unregisterFile} are accepted
 * and do nothing (there is no kernel table to register with; {@code registerFile} returns
 * -1), so owner-driven code has one code path; {@link #ring()} throws, {@link #enterCalls()}
 * is 0, {@link #submitBatch(int)} is kept but changes nothing (each request goes to the pool
 * as it is queued).
 */
public final class OwnedRing implements AutoCloseable {
    private final EngineContext engine;
    /** The io_uring ring and its loop; null on THREADS. */
    private final Ring ring;
    private final RingLoop loop;
    /** The THREADS side: the pool runs the requests, results wait here for the owner; null on io_uring. */
    private final OwnerCompletions threads;
    private int threadsSubmitBatch = DEFAULT_SUBMIT_BATCH;
    private final Thread owner;
    /** Requests are taken, completed and recycled on the owner thread: no locks. */
    private final RequestPool pool;
    private final Sink sink = new Sink();
    /** Where this ring's results go: inline on the owner; off it (closed ring), the engine's offload executor. */
    private final Delivery delivery;
    /** Slots in the ring's registered file table (made on the first {@link #registerFile}). */
    public static final int FILE_TABLE_SIZE = 64;

    /**
     * Submit each request a completion handler queues right away (see {@link #submitBatch(int)}):
     * the device's queue stays full, as fio keeps it by default.
     */
    public static final int DEFAULT_SUBMIT_BATCH = 1;

    /** Requests released from another thread (ordering holds, hand-backs), picked up on the next poll. */
    private final ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
    /** Extending writes queued by handlers, carried out after the reap that ran them. */
    private final ArrayDeque<Runnable> afterReap = new ArrayDeque<>();
    /** Reaps under way on the owner thread (handlers that poll again nest them). */
    private int reapDepth;
    /** Read by other threads releasing held requests. */
    private volatile boolean closed;

    OwnedRing(EngineContext engine, int entries, RingOptions options) throws RingSetupException {
        this.engine = engine;
        this.owner = Thread.currentThread();
        this.pool = RequestPool.confined(4 * entries);
        // SINGLE_ISSUER binds the ring to an OS thread; a virtual thread may move between them.
        RingOptions effective = owner.isVirtual() ? options.withoutSingleIssuer() : options;
        this.ring = Ring.create(entries, effective);
        ring.registerRingFd();
        this.delivery = new Delivery(null, engine.offloadExecutor());
        this.loop = new RingLoop(ring, ring.cqEntries(), 0, delivery, null);
        loop.submitBatch(DEFAULT_SUBMIT_BATCH);
        this.threads = null;
    }

    /** An owned ring on the THREADS backend: requests run on {@code pool}, results are delivered on the owner. */
    OwnedRing(EngineContext engine, int entries, ThreadPoolSink pool) {
        if (entries < 1 || entries > 32768) {
            throw new IllegalArgumentException("ring entries " + entries + " out of range [1, 32768]");
        }
        this.engine = engine;
        this.owner = Thread.currentThread();
        this.pool = RequestPool.confined(4 * entries);
        this.ring = null;
        this.loop = null;
        this.delivery = new Delivery(null, engine.offloadExecutor());
        this.threads = new OwnerCompletions(pool, owner, delivery);
    }

    /**
     * The underlying ring (engine-internal: set-up flags, counters).
     *
     * @throws IllegalStateException on the THREADS backend, which has no io_uring ring
     */
    Ring ring() {
        if (ring == null) {
            throw new IllegalStateException("io_uring is not in use: this owned ring runs on the engine's THREADS "
                    + "backend and has no io_uring ring");
        }
        return ring;
    }

    /**
     * The set-up the kernel gave this ring (flags taken and dropped, features).
     *
     * @throws IllegalStateException on the THREADS backend, which has no io_uring ring
     */
    public RingSetup setup() {
        return ring().setup();
    }

    /**
     * Completions the kernel has posted to this ring that no poll has reaped yet (0 on the
     * THREADS backend, whose completions wait in a queue of their own).
     */
    public int completionsReady() {
        checkOwner();
        return ring == null ? 0 : ring.cqReady();
    }

    /** The backend this ring runs on (the engine's). */
    public Backend backend() {
        return ring == null ? Backend.THREADS : Backend.IO_URING;
    }

    /** io_uring_enter calls of this ring so far; 0 on THREADS. */
    public long enterCalls() {
        return ring == null ? 0 : ring.enterCalls();
    }

    /** Queues a read of {@code dst.byteSize()} bytes at {@code offset}; see {@link DirectFile#read}. */
    public <A> void read(DirectFile file, long offset, MemorySegment dst, A attachment,
            CompletionHandler<? super A> handler) {
        checkOwner();
        file.submit(IoRequest.READ, offset, dst, attachment, handler, null, sink, true, pool);
    }

    /** Queues a write of {@code src} at {@code offset}; see {@link DirectFile#write}. */
    public <A> void write(DirectFile file, long offset, MemorySegment src, A attachment,
            CompletionHandler<? super A> handler) {
        checkOwner();
        file.submit(IoRequest.WRITE, offset, src, attachment, handler, null, sink, true, pool);
    }

    /** Submits what is queued and runs the handlers of whatever has completed; never blocks. */
    public int poll() {
        checkOwnerOutsideHandler("poll");
        if (threads != null) {
            int n = deliverThreads();
            runAfterReap();
            return n;
        }
        pickUpReleased();
        prepare();
        loop.submit(false);
        int n = reap();
        runAfterReap();
        return n;
    }

    /**
     * Submits what is queued and blocks until at least {@code minCompletions} requests'
     * slices have come back (or nothing is left in flight), running handlers as they do.
     *
     * @return CQEs reaped (on THREADS: requests delivered)
     */
    public int await(int minCompletions) {
        checkOwnerOutsideHandler("await");
        if (threads != null) {
            int delivered = 0;
            do {
                threads.awaitReady();
                delivered += deliverThreads();
                runAfterReap();
            } while (delivered < minCompletions && busy());
            return delivered;
        }
        int reaped = 0;
        do {
            pickUpReleased();
            prepare();
            boolean wait = loop.inFlight() > 0 && released.isEmpty();
            loop.submit(wait);
            reaped += reap();
            runAfterReap();
        } while (reaped < minCompletions && busy());
        return reaped;
    }

    /** Runs until everything queued or in flight has completed. */
    public void drain() {
        checkOwnerOutsideHandler("drain");
        while (busy()) {
            await(1);
        }
    }

    /** Runs what handlers left for after their reap (extending writes), outside any handler. */
    private void runAfterReap() {
        Runnable task;
        while ((task = afterReap.pollFirst()) != null) {
            task.run();
        }
    }

    /**
     * Runs {@code task} on the owner once the handlers of the current reap have returned
     * (DirectFile's extending writes queued from a handler).
     */
    void afterReap(Runnable task) {
        afterReap.addLast(task);
    }

    /**
     * How many requests queued by completion handlers, while {@link #poll()} or
     * {@link #await(int)} runs them, are gathered before they are submitted without waiting
     * for the rest of the handlers (fio's {@code iodepth_batch_submit}). 1, the default,
     * submits each at once, which keeps the device's queue full: holding them until every
     * ready completion was handled cost 15-20% IOPS at QD32 on a virtio disk. Larger values
     * trade that for fewer io_uring_enter calls when the CPU, not the device, is the limit; 0
     * submits only after all ready completions were handled.
     *
     * @throws IllegalArgumentException for a negative {@code n}
     */
    public void submitBatch(int n) {
        checkOwner();
        if (threads != null) {
            if (n < 0) {
                throw new IllegalArgumentException("submitBatch = " + n + ": must be 0 (submit after each reap) or "
                        + "positive (submit once that many requests are queued)");
            }
            threadsSubmitBatch = n;
            return;
        }
        loop.submitBatch(n);
    }

    /** The current {@link #submitBatch(int)} setting. */
    public int submitBatch() {
        return threads != null ? threadsSubmitBatch : loop.submitBatch();
    }

    /** Slices in flight (on THREADS: requests on the pool or waiting to be delivered). */
    public int inFlight() {
        return threads != null ? threads.inPool() : loop.inFlight();
    }

    /**
     * Whether results that finished elsewhere still wait to be delivered on the owner (THREADS:
     * the pool finishes a request, then hands its result here; io_uring delivers in the reap).
     */
    boolean resultsAwaitDelivery() {
        return threads != null && threads.busy();
    }

    /** Whether anything is queued or in flight. */
    public boolean busy() {
        if (threads != null) {
            return threads.busy() || !afterReap.isEmpty();
        }
        return loop.busy() || !released.isEmpty() || !afterReap.isEmpty();
    }

    /** SQEs issued so far (on THREADS, for the whole engine pool: {@link IoEngine#slicesIssued()}). */
    public long slicesIssued() {
        return threads != null ? engine.slicesIssued() : loop.slicesIssued();
    }

    /** Requests that went out inside another request's READV/WRITEV SQE: SQEs saved by coalescing. */
    public long coalescedRequests() {
        return threads != null ? engine.coalescedRequests() : loop.coalescedRequests();
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED so far; 0 on THREADS. */
    public long fixedIssued() {
        return threads != null ? 0 : loop.fixedIssued();
    }

    /** SQEs issued with IOSQE_FIXED_FILE so far; 0 on THREADS. */
    public long fixedFileIssued() {
        return threads != null ? 0 : loop.fixedFileIssued();
    }

    /**
     * Registers {@code buffers} with this ring (IORING_REGISTER_BUFFERS): from now on a
     * read or write whose memory lies inside one of them, and belongs to the same memory
     * scope (a slice of it, say), is issued as READ_FIXED/WRITE_FIXED.
     *
     * <p>The kernel pins the memory until {@link #unregisterBuffers()} or {@link #close()};
     * it counts against RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK. The buffers must
     * stay alive (their arena open) for as long as they are registered.
     *
     * @throws RingSetupException when the kernel refuses: ENOMEM over RLIMIT_MEMLOCK (the
     *         message gives the limit), EFAULT for memory that cannot be pinned
     * @throws IllegalStateException if buffers are registered already
     * @throws IllegalArgumentException for no buffers, more than 16384, or one that is not
     *         native memory of 1 byte to 1 GiB
     */
    public void registerBuffers(MemorySegment... buffers) throws RingSetupException {
        checkOwner();
        if (threads != null) {
            return; // THREADS: nothing to register with (see the class comment)
        }
        if (ring.registrations().buffersRegistered()) {
            throw new IllegalStateException("this ring has registered buffers already; call unregisterBuffers() "
                    + "before registering others");
        }
        ring.registrations().registerBuffers(buffers);
    }

    /** Waits for everything in flight, then unregisters the buffers. No-op when none are. */
    public void unregisterBuffers() throws RingSetupException {
        checkOwner();
        drain();
        if (threads != null) {
            return;
        }
        ring.registrations().unregisterBuffers();
    }

    /**
     * Puts {@code file} in this ring's registered file table, so its I/O on this ring goes
     * out with IOSQE_FIXED_FILE. The ring holds its own reference to the open file until
     * {@link #unregisterFile} or {@link #close()}.
     *
     * @return the file's index in the table (the same index if it is registered already)
     * @throws IllegalStateException when all {@link #FILE_TABLE_SIZE} slots are taken
     */
    public int registerFile(DirectFile file) throws RingSetupException {
        checkOwner();
        if (file.isClosed()) {
            throw new IllegalStateException("registerFile: " + file.path() + " is closed");
        }
        if (threads != null) {
            return -1; // THREADS: no file table (see the class comment)
        }
        int existing = loop.encoder().fixedFileIndex(file.state());
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

    /** Waits for everything in flight, then takes {@code file} out of the table. No-op when it is not in it. */
    public void unregisterFile(DirectFile file) throws RingSetupException {
        checkOwner();
        if (threads != null) {
            return;
        }
        int index = loop.encoder().fixedFileIndex(file.state());
        if (index < 0) {
            return;
        }
        drain();
        ring.registrations().updateFile(index, -1);
        loop.encoder().useFixedFile(index, null);
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

    /**
     * Where this ring's requests are handed (the engine's own view of the ring; not part of
     * the public API, so users see no {@code accept}/{@code release} on an OwnedRing).
     */
    final class Sink implements RequestSink {
        OwnedRing ring() {
            return OwnedRing.this;
        }

        @Override
        public boolean kernelRing() {
            return threads == null;
        }

        @Override
        public boolean callerInHandler() {
            return inHandler();
        }

        @Override
        public void afterReap(Runnable task) {
            OwnedRing.this.afterReap(task);
        }

        @Override
        public boolean drivenByCaller() {
            return isOwner();
        }

        @Override
        public void runUntilDelivered(IoRequest r) {
            OwnedRing.this.runUntilDelivered(r);
        }

        @Override
        public void accept(IoRequest r) throws java.io.InterruptedIOException {
            OwnedRing.this.accept(r);
        }

        @Override
        public void release(IoRequest r) {
            OwnedRing.this.release(r);
        }
    }

    /** Takes a request on the owner thread, straight into the loop. */
    private void accept(IoRequest r) throws java.io.InterruptedIOException {
        if (closed) {
            throw new IllegalStateException("owned ring closed");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an OwnedRing takes requests only from its owner " + owner);
        }
        if (threads != null) {
            threads.accept(r); // to the pool; may block for room there
            return;
        }
        loop.add(r);
    }

    /** Takes a released or handed-back request from any thread; picked up on the owner's next poll. */
    private void release(IoRequest r) {
        if (threads != null && !closed) {
            threads.handBack(r);
            return;
        }
        if (threads == null && Thread.currentThread() == owner && !closed) {
            loop.add(r);
            return;
        }
        released.add(r);
        if (closed) {
            failReleased(); // raced with close(): nobody will poll the queue again
        }
    }

    private void failReleased() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            r.givenTo(null);
            if (r.completed()) {
                delivery.offload(r);
            } else {
                delivery.fail(r, Aggregator.cancellation(r, "its owned ring closed while it waited behind a write"),
                        io.dioring.ffi.Errno.ECANCELED, false);
            }
        }
    }

    /** Drives the ring until {@code r} is delivered (synchronous paths on the owner thread, outside handlers). */
    void runUntilDelivered(IoRequest r) {
        assert !inHandler() : "a synchronous wait inside a completion handler would nest reaps";
        while (threads != null && !r.ticket().delivered()) {
            threads.awaitReady();
            deliverThreads();
        }
        while (!r.ticket().delivered()) {
            pickUpReleased();
            prepare();
            loop.submit(loop.inFlight() > 0 && released.isEmpty());
            reap();
        }
    }

    boolean isOwner() {
        return Thread.currentThread() == owner;
    }

    /**
     * Writes SQEs, counting as a handler context: requests finished elsewhere and handed
     * back are delivered here, so their handlers run inside too.
     */
    private void prepare() {
        reapDepth++;
        try {
            loop.prepare();
        } finally {
            reapDepth--;
        }
    }

    /** THREADS: delivers what the pool finished, counting as a reap (handlers run inside, on the owner). */
    private int deliverThreads() {
        reapDepth++;
        try {
            return threads.deliverReady();
        } finally {
            reapDepth--;
        }
    }

    /** Reaps, counting the depth: handlers run inside, on the owner thread. */
    private int reap() {
        reapDepth++;
        try {
            return loop.reap();
        } finally {
            reapDepth--;
        }
    }

    /** Whether the calling thread is this ring's owner, running one of its completion handlers. */
    boolean inHandler() {
        return isOwner() && reapDepth > 0;
    }

    private void checkOwnerOutsideHandler(String call) {
        checkOwner();
        if (reapDepth > 0) {
            throw new IllegalStateException(call + "() called from a completion handler of this ring: a handler may "
                    + "queue reads and writes, which go out when it returns, but not poll, await, drain or close "
                    + "the ring that runs it");
        }
    }

    private void pickUpReleased() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            loop.add(r);
        }
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an OwnedRing is used only by the thread that created it ("
                    + owner + "), not " + Thread.currentThread());
        }
        if (closed) {
            throw new IllegalStateException("owned ring closed");
        }
    }

    /** Waits for everything in flight, then releases the ring. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkOwnerOutsideHandler("close");
        drain();
        closed = true;
        failReleased();
        if (ring != null) {
            ring.close();
        }
        engine.ringClosed(this);
    }
}
