package io.dioring;

import io.dioring.backend.OwnerCompletions;
import io.dioring.backend.ThreadPoolSink;
import io.dioring.deliver.Delivery;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.ring.Ring;
import java.lang.foreign.MemorySegment;
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
    /** The kernel ring or the thread pool, picked at construction. */
    private final OwnerDriver driver;
    /** Requests are taken, completed and recycled on the owner thread: no locks. */
    private final RequestPool pool;
    /** The owner's side: requests handed in, handler depth, closing. */
    private final OwnerSink sink;
    /** Slots in the ring's registered file table (made on the first {@link #registerFile}). */
    public static final int FILE_TABLE_SIZE = RingOwnerDriver.FILE_TABLE_SIZE;

    /**
     * Submit each request a completion handler queues right away (see {@link #submitBatch(int)}):
     * the device's queue stays full, as fio keeps it by default.
     */
    public static final int DEFAULT_SUBMIT_BATCH = 1;

    OwnedRing(EngineContext engine, int entries, RingOptions options) throws RingSetupException {
        this.engine = engine;
        Thread owner = Thread.currentThread();
        this.pool = RequestPool.confined(4 * entries);
        Delivery delivery = new Delivery(null, engine.offloadExecutor());
        // SINGLE_ISSUER binds the ring to an OS thread; a virtual thread may move between them.
        RingOptions effective = owner.isVirtual() ? options.withoutSingleIssuer() : options;
        ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
        this.driver = new RingOwnerDriver(entries, effective, owner, delivery, released);
        driver.submitBatch(DEFAULT_SUBMIT_BATCH);
        this.sink = new OwnerSink(owner, driver, delivery, released);
    }

    /** An owned ring on the THREADS backend: requests run on {@code threadPool}, results are delivered on the owner. */
    OwnedRing(EngineContext engine, int entries, ThreadPoolSink threadPool) {
        PoolOwnerDriver.checkEntries(entries);
        this.engine = engine;
        Thread owner = Thread.currentThread();
        this.pool = RequestPool.confined(4 * entries);
        Delivery delivery = new Delivery(null, engine.offloadExecutor());
        this.driver = new PoolOwnerDriver(engine, new OwnerCompletions(threadPool, owner, delivery), DEFAULT_SUBMIT_BATCH);
        this.sink = new OwnerSink(owner, driver, delivery, new ConcurrentLinkedQueue<>());
    }

    /**
     * The underlying ring (engine-internal: set-up flags, counters).
     *
     * @throws IllegalStateException on the THREADS backend, which has no io_uring ring
     */
    Ring ring() {
        return driver.ring();
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
        sink.checkOwner();
        return driver.completionsReady();
    }

    /** The backend this ring runs on (the engine's). */
    public Backend backend() {
        return driver.backend();
    }

    /** io_uring_enter calls of this ring so far; 0 on THREADS. */
    public long enterCalls() {
        return driver.enterCalls();
    }

    /** Queues a read of {@code dst.byteSize()} bytes at {@code offset}; see {@link DirectFile#read}. */
    public <A> void read(DirectFile file, long offset, MemorySegment dst, A attachment,
            CompletionHandler<? super A> handler) {
        sink.checkOwner();
        file.submit(IoRequest.READ, offset, dst, attachment, handler, null, sink, true, pool);
    }

    /** Queues a write of {@code src} at {@code offset}; see {@link DirectFile#write}. */
    public <A> void write(DirectFile file, long offset, MemorySegment src, A attachment,
            CompletionHandler<? super A> handler) {
        sink.checkOwner();
        file.submit(IoRequest.WRITE, offset, src, attachment, handler, null, sink, true, pool);
    }

    /** Submits what is queued and runs the handlers of whatever has completed; never blocks. */
    public int poll() {
        sink.checkOwnerOutsideHandler("poll");
        int n = sink.turn(false);
        sink.runAfterReap();
        return n;
    }

    /**
     * Submits what is queued and blocks until at least {@code minCompletions} requests'
     * slices have come back (or nothing is left in flight), running handlers as they do.
     *
     * @return CQEs reaped (on THREADS: requests delivered)
     */
    public int await(int minCompletions) {
        sink.checkOwnerOutsideHandler("await");
        int reaped = 0;
        do {
            reaped += sink.turn(true);
            sink.runAfterReap();
        } while (reaped < minCompletions && busy());
        return reaped;
    }

    /** Runs until everything queued or in flight has completed. */
    public void drain() {
        sink.checkOwnerOutsideHandler("drain");
        while (busy()) {
            await(1);
        }
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
        sink.checkOwner();
        driver.submitBatch(n);
    }

    /** The current {@link #submitBatch(int)} setting. */
    public int submitBatch() {
        return driver.submitBatch();
    }

    /** Slices in flight (on THREADS: requests on the pool or waiting to be delivered). */
    public int inFlight() {
        return driver.inFlight();
    }

    /**
     * Whether results that finished elsewhere still wait to be delivered on the owner (THREADS:
     * the pool finishes a request, then hands its result here; io_uring delivers in the reap).
     */
    boolean resultsAwaitDelivery() {
        return driver.resultsAwaitDelivery();
    }

    /** Whether anything is queued or in flight. */
    public boolean busy() {
        return sink.busy();
    }

    /** SQEs issued so far (on THREADS, for the whole engine pool: {@link IoEngine#slicesIssued()}). */
    public long slicesIssued() {
        return driver.slicesIssued();
    }

    /** Requests that went out inside another request's READV/WRITEV SQE: SQEs saved by coalescing. */
    public long coalescedRequests() {
        return driver.coalescedRequests();
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED so far; 0 on THREADS. */
    public long fixedIssued() {
        return driver.fixedIssued();
    }

    /** SQEs issued with IOSQE_FIXED_FILE so far; 0 on THREADS. */
    public long fixedFileIssued() {
        return driver.fixedFileIssued();
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
        sink.checkOwner();
        driver.registerBuffers(buffers); // THREADS: nothing to register with (see the class comment)
    }

    /** Waits for everything in flight, then unregisters the buffers. No-op when none are. */
    public void unregisterBuffers() throws RingSetupException {
        sink.checkOwner();
        drain();
        driver.unregisterBuffers();
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
        sink.checkOwner();
        if (file.isClosed()) {
            throw new IllegalStateException("registerFile: " + file.path() + " is closed");
        }
        return driver.registerFile(file); // THREADS: -1, no file table (see the class comment)
    }

    /** Waits for everything in flight, then takes {@code file} out of the table. No-op when it is not in it. */
    public void unregisterFile(DirectFile file) throws RingSetupException {
        sink.checkOwner();
        int index = driver.fileSlot(file);
        if (index < 0) {
            return;
        }
        drain();
        driver.clearFileSlot(index);
    }

    boolean isOwner() {
        return sink.isOwner();
    }

    /** Whether the calling thread is this ring's owner, running one of its completion handlers. */
    boolean inHandler() {
        return sink.inHandler();
    }

    /** Waits for everything in flight, then releases the ring. */
    @Override
    public void close() {
        if (sink.closed()) {
            return;
        }
        sink.checkOwnerOutsideHandler("close");
        drain();
        sink.close();
        engine.ringClosed(this);
    }
}
