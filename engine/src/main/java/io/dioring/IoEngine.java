package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.backend.ThreadPoolSink;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.deliver.Delivery;
import io.dioring.deliver.LazyExecutor;
import io.dioring.reap.EngineRing;
import io.dioring.reap.RingThread;
import io.dioring.reap.SharedRing;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import io.dioring.ring.Ring;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The entry point: opens {@link DirectFile}s, owns the rings, their threads and the
 * buffer memory.
 *
 * <pre>{@code
 * try (IoEngine engine = IoEngine.create();
 *      DirectFile file = engine.open(path, StandardOpenOption.READ)) {
 *     MemorySegment buf = engine.buffers().allocate(1 << 20);
 *     long n = file.read(0, buf).join();
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing the engine waits for (or, with {@link #close(boolean) close(true)},
 * cancels) every request in flight before it frees any memory the kernel could write.
 *
 * <p>Backends ({@link EngineConfig#backend()}): io_uring ring threads, or, where io_uring is
 * blocked (seccomp, {@code kernel.io_uring_disabled}, old kernels), a bounded pool of platform
 * threads making pread/pwrite/preadv/pwritev/fsync/fdatasync with the same API and results
 * ({@link #backend()} says which runs). On THREADS the io_uring-only views say so:
 * {@link #ringSetup()} throws IllegalStateException, {@link #enterCalls()} is 0,
 * {@link #slicesIssued()} counts syscalls.
 */
public final class IoEngine implements AutoCloseable {
    private static volatile String unavailabilityCause;
    private static volatile boolean probed;
    private static final java.util.concurrent.atomic.AtomicBoolean FALLBACK_LOGGED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** How long close waits for callbacks still running before it frees the engine's memory. */
    private static final long DELIVERY_GRACE_SECONDS = 30;

    private final EngineConfig config;
    private final Arena arena = Arena.ofShared();
    private final IoBuffers buffers = new IoBuffers(arena);
    private final RequestPool pool;
    private final LazyExecutor lazyExecutor = new LazyExecutor("dioring-completion");
    private final Executor offloadExecutor = r -> lazyExecutor.get().execute(r);
    private final Delivery delivery;
    private final Backend backend;
    /** The io_uring backend's rings; empty on THREADS. */
    private final EngineRing[] rings;
    /** The thread-pool backend; null on IO_URING. */
    private final ThreadPoolSink threadPool;
    private final Set<DirectFile> files = ConcurrentHashMap.newKeySet();
    private final Set<OwnedRing> ownedRings = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private IoEngine(EngineConfig config, Backend backend) throws IOException {
        if (config.ringOptions().iopoll()) {
            throw new IllegalArgumentException("EngineConfig.ringOptions().iopoll() = true: IOPOLL is for owned rings "
                    + "only (IoEngine.ownedRing(entries, options)); an IOPOLL ring cannot keep the eventfd read "
                    + "the engine's ring threads sleep on (the kernel refuses it with EOPNOTSUPP)");
        }
        this.config = config;
        this.backend = backend;
        this.pool = RequestPool.shared(Math.max(1024, config.queueDepth() * config.rings() * 4));
        Executor user = config.completionExecutor();
        Executor deferred = user != null ? user : offloadExecutor;
        this.delivery = new Delivery(config.completionMode() == CompletionMode.INLINE ? null : deferred,
                offloadExecutor);
        if (backend == Backend.THREADS) {
            this.rings = new EngineRing[0];
            this.threadPool = new ThreadPoolSink("dioring-io", config.threads(), config.submitQueueCapacity(),
                    delivery);
            return;
        }
        this.threadPool = null;
        this.rings = new EngineRing[config.rings()];
        try {
            for (int i = 0; i < rings.length; i++) {
                rings[i] = config.submission() == Submission.CALLERS
                        ? SharedRing.kernel("dioring-ring-" + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity())
                        : new RingThread("dioring-ring-" + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity());
            }
        } catch (IOException | RuntimeException e) {
            for (EngineRing r : rings) {
                if (r != null) {
                    r.close(false);
                }
            }
            arena.close();
            throw e;
        }
    }

    /**
     * An engine with {@link EngineConfig#defaults()}: on io_uring where it can be set up, else
     * on the thread pool ({@link Backend#AUTO}).
     */
    public static IoEngine create() throws IOException {
        return create(EngineConfig.defaults());
    }

    /**
     * An engine with the given configuration, on the backend it names: with
     * {@link Backend#AUTO} (the default) io_uring where a probe ring can be set up, else the
     * thread pool (logged once per process, INFO, logger {@code io.dioring}, with the cause).
     *
     * @throws IOException when the backend is {@link Backend#IO_URING} and io_uring cannot be
     *         set up ({@link #unavailabilityCause()} says why)
     */
    public static IoEngine create(EngineConfig config) throws IOException {
        return new IoEngine(config, chooseBackend(config.backend()));
    }

    /** The backend {@code requested} resolves to in this process: IO_URING or THREADS. */
    public static Backend chooseBackend(Backend requested) throws IOException {
        String cause = unavailabilityCause();
        return switch (requested) {
            case THREADS -> Backend.THREADS;
            case IO_URING -> {
                if (cause != null) {
                    throw new IOException("io_uring is unavailable: " + cause);
                }
                yield Backend.IO_URING;
            }
            case AUTO -> {
                if (cause == null) {
                    yield Backend.IO_URING;
                }
                if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                    System.getLogger("io.dioring").log(System.Logger.Level.INFO, "dioring: io_uring is unavailable ("
                            + cause + "); using the thread-pool backend (pread/pwrite on platform threads), which "
                            + "costs a thread per I/O in flight. EngineConfig.withBackend(Backend.THREADS) says so "
                            + "explicitly; Backend.IO_URING fails instead");
                }
                yield Backend.THREADS;
            }
        };
    }

    /** Which backend AUTO picks in this process, and why, in one line (for {@code dioring info}). */
    public static String autoChoice() {
        String cause = unavailabilityCause();
        return cause == null ? "io_uring (a probe ring was set up)"
                : "threads (io_uring is unavailable: " + cause + ")";
    }

    /** The backend this engine runs on: {@link Backend#IO_URING} or {@link Backend#THREADS}. */
    public Backend backend() {
        return backend;
    }

    /** Whether this process can use io_uring. */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /**
     * Why io_uring cannot be used here (kernel without it, seccomp, the
     * {@code kernel.io_uring_disabled} sysctl), or null when it can.
     */
    public static String unavailabilityCause() {
        if (!probed) {
            synchronized (IoEngine.class) {
                if (!probed) {
                    unavailabilityCause = probeAvailability();
                    probed = true;
                }
            }
        }
        return unavailabilityCause;
    }

    private static String probeAvailability() {
        try {
            Ring ring = Ring.create(2, io.dioring.RingOptions.defaults().withoutSingleIssuer());
            ring.close();
            return null;
        } catch (RingSetupException e) {
            String sysctl = readSysctl();
            return switch (e.errno()) {
                case Errno.ENOSYS -> "io_uring_setup: ENOSYS: the kernel has no io_uring (Linux < 5.6, or built "
                        + "without CONFIG_IO_URING), or a seccomp filter answers ENOSYS for it";
                case Errno.EPERM, Errno.EACCES -> sysctl != null && !sysctl.equals("0")
                        ? "disabled by sysctl kernel.io_uring_disabled = " + sysctl + " (io_uring_setup: "
                                + Errno.name(e.errno()) + ")"
                        : "io_uring_setup denied (" + Errno.name(e.errno())
                                + "): a seccomp filter (containers often have one) or an LSM forbids it";
                default -> e.getMessage();
            };
        } catch (Throwable t) {
            return "cannot call into the kernel: " + t;
        }
    }

    private static String readSysctl() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The configuration this engine runs with. */
    public EngineConfig config() {
        return config;
    }

    /** The engine's aligned buffer allocator. */
    public IoBuffers buffers() {
        return buffers;
    }

    /**
     * The set-up the first ring got from the kernel (flags taken, features).
     *
     * @throws IllegalStateException on the THREADS backend: there is no ring
     */
    public io.dioring.RingSetup ringSetup() {
        if (threadPool != null) {
            throw new IllegalStateException("io_uring is not in use: this engine runs on the THREADS backend ("
                    + threadPool + "); ringSetup() describes an io_uring ring");
        }
        return rings[0].ring().setup();
    }

    /**
     * SQEs issued so far, over every ring thread (data, sync and resubmitted slices); on
     * THREADS, the data and sync syscalls made (resubmissions and retries included).
     */
    public long slicesIssued() {
        if (threadPool != null) {
            return threadPool.syscalls();
        }
        long n = 0;
        for (EngineRing r : rings) {
            n += r.loop().slicesIssued();
        }
        return n;
    }

    /**
     * Requests that went out inside another request's READV/WRITEV SQE, over every ring
     * thread: the SQEs coalescing saved ({@link EngineConfig#coalescing()}). On THREADS, the
     * requests that went out inside another's preadv/pwritev.
     */
    public long coalescedRequests() {
        if (threadPool != null) {
            return threadPool.coalescedRequests();
        }
        long n = 0;
        for (EngineRing r : rings) {
            n += r.loop().coalescedRequests();
        }
        return n;
    }

    /** Reads of every file, counted by DirectFile: done from the page cache on the caller, no ring. */
    final java.util.concurrent.atomic.LongAdder cachedReads = new java.util.concurrent.atomic.LongAdder();

    /**
     * Blocking buffered reads the page cache held, copied on their caller's thread with no
     * ring turn or pool call ({@link EngineConfig#cachedReads()}); not in {@link #slicesIssued()}.
     */
    public long cachedReads() {
        return cachedReads.sum();
    }

    /** io_uring_enter calls so far, over every ring thread; 0 on THREADS (no ring is entered). */
    public long enterCalls() {
        long n = 0;
        for (EngineRing r : rings) {
            n += r.ring().enterCalls();
        }
        return n;
    }

    /** Whether the completion executor exists yet (it is created on first need). */
    public boolean completionExecutorCreated() {
        return lazyExecutor.isCreated();
    }

    /**
     * Opens {@code path}. Options: {@link StandardOpenOption} READ, WRITE, CREATE,
     * CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC, and a {@link DirectIoPolicy} (default
     * REQUIRED). Neither READ nor WRITE means READ.
     *
     * @throws DirectIoException when open(2) fails (errno kept), or O_DIRECT is REQUIRED
     *         and the filesystem refuses it
     * @throws IllegalArgumentException for an option dioring does not support (APPEND)
     */
    public DirectFile open(Path path, OpenOption... options) throws IOException {
        checkOpen();
        boolean read = false;
        boolean write = false;
        int flags = libc_h.O_CLOEXEC();
        DirectIoPolicy policy = DirectIoPolicy.REQUIRED;
        for (OpenOption o : options) {
            if (o instanceof DirectIoPolicy p) {
                policy = p;
            } else if (o == StandardOpenOption.READ) {
                read = true;
            } else if (o == StandardOpenOption.WRITE) {
                write = true;
            } else if (o == StandardOpenOption.CREATE) {
                flags |= libc_h.O_CREAT();
            } else if (o == StandardOpenOption.CREATE_NEW) {
                flags |= libc_h.O_CREAT() | libc_h.O_EXCL();
            } else if (o == StandardOpenOption.TRUNCATE_EXISTING) {
                flags |= libc_h.O_TRUNC();
            } else if (o == StandardOpenOption.DSYNC) {
                flags |= libc_h.O_DSYNC();
            } else if (o == StandardOpenOption.SYNC) {
                flags |= libc_h.O_SYNC();
            } else {
                throw new IllegalArgumentException("open " + path + ": option " + o + " is not supported "
                        + "(positional I/O only; supported: READ, WRITE, CREATE, CREATE_NEW, TRUNCATE_EXISTING, "
                        + "DSYNC, SYNC, DirectIoPolicy)");
            }
        }
        if (!read && !write) {
            read = true;
        }
        if ((flags & libc_h.O_TRUNC()) != 0 && !write) {
            throw new IllegalArgumentException("open " + path + ": TRUNCATE_EXISTING needs WRITE");
        }
        flags |= read && write ? libc_h.O_RDWR() : write ? libc_h.O_WRONLY() : libc_h.O_RDONLY();
        String name = path.toString();
        boolean direct = policy != DirectIoPolicy.OFF;
        int fd = Libc.open(name, flags | (direct ? libc_h.O_DIRECT() : 0), 0644);
        if (fd == -Errno.EINVAL && direct) {
            if (policy == DirectIoPolicy.REQUIRED) {
                throw new DirectIoException(Errno.EINVAL, "open", path, 0, 0,
                        "the filesystem refuses O_DIRECT; open with DirectIoPolicy.OPTIONAL or OFF to use the page cache");
            }
            direct = false;
            fd = Libc.open(name, flags, 0644);
            if (fd == -Errno.EEXIST) {
                fd = Libc.open(name, flags & ~libc_h.O_EXCL(), 0644); // we created it on the first try
            }
        }
        if (fd < 0) {
            throw new DirectIoException(-fd, "open", path, 0, 0);
        }
        try {
            return wrap(fd, path, direct, read, write, true);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * Opens {@code path} as a {@link java.nio.channels.FileChannel} whose reads and writes go
     * through this engine, with {@link java.nio.channels.FileChannel#open}'s options (and a
     * {@link DirectIoPolicy}); any {@code ByteBuffer} at any offset works, aligned direct
     * buffers without a copy. See {@link io.dioring.channel.DirectFileChannel}.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist and is not created
     */
    public java.nio.channels.FileChannel openChannel(Path path, OpenOption... options) throws IOException {
        return io.dioring.channel.DirectFileChannel.open(this, path, options);
    }

    /**
     * A {@link java.nio.file.FileSystem} whose paths are the platform's, one to one, and whose
     * files' channels and streams ({@code Files.newByteChannel}, {@code FileChannel.open},
     * {@code Files.readAllBytes}, ...) go through this engine, buffered unless opened with
     * {@code ExtendedOpenOption.DIRECT}; see {@link io.dioring.fs.DioringFileSystemProvider}.
     * Closing it leaves the engine open.
     */
    public java.nio.file.FileSystem fileSystem() {
        checkOpen();
        return io.dioring.fs.DioringFileSystemProvider.over(this);
    }

    /**
     * Wraps a descriptor the caller opened (with flags of its own choosing, as a dd-style
     * tool must). The descriptor stays the caller's: closing the {@link DirectFile} waits
     * for its I/O but does not close it.
     *
     * @param fd an open descriptor
     * @param name the path, for messages
     * @param direct whether it was opened with O_DIRECT (alignment is then enforced)
     * @param read whether it may be read
     * @param write whether it may be written
     */
    public DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException {
        checkOpen();
        if (fd < 0) {
            throw new IllegalArgumentException("adopt " + name + ": descriptor " + fd + " is negative");
        }
        return wrap(fd, name, direct, read, write, false);
    }

    private DirectFile wrap(int fd, Path path, boolean direct, boolean read, boolean write, boolean owns)
            throws IOException {
        DioAlignment alignment = FileProbe.alignment(fd);
        long size = FileProbe.size(fd);
        if (size < 0) {
            throw new DirectIoException((int) -size, "fstat", path, 0, 0);
        }
        long deviceMax = FileProbe.maxIoBytes(fd);
        long maxIo = config.maxIoBytes();
        if (deviceMax > 0 && deviceMax < maxIo) {
            maxIo = Long.highestOneBit(deviceMax);
        }
        maxIo = Math.max(maxIo, alignment.offset());
        FileState state = new FileState(fd, path, direct, read, write, alignment, (int) maxIo, size);
        state.setCoalescing(config.coalescing());
        DirectFile file = new DirectFile(this, state, owns);
        files.add(file);
        if (closed) {
            file.close();
            throw new IllegalStateException("engine closed");
        }
        return file;
    }

    /**
     * A ring owned by the calling thread, for owner-driven use (see {@link OwnedRing}).
     * Same queue depth and set-up flags as the engine's rings.
     */
    public OwnedRing ownedRing() throws IOException {
        return ownedRing(config.queueDepth());
    }

    /** An owned ring with {@code entries} SQ entries. */
    public OwnedRing ownedRing(int entries) throws IOException {
        return ownedRing(entries, config.ringOptions());
    }

    /**
     * An owned ring with {@code entries} SQ entries and set-up flags of its own, e.g.
     * {@code RingOptions.defaults().withSqpoll(true)} or {@code .withIopoll(true)}. Flags the
     * kernel refuses are dropped and reported in {@code ring().setup()} ({@code dropped()},
     * {@code refusals()}).
     *
     * <p>IOPOLL busy-polls the device for completions: it needs O_DIRECT files on a driver
     * that supports polling; elsewhere the kernel fails each read or write with EOPNOTSUPP,
     * which the request reports as a {@link DirectIoException}.
     */
    public OwnedRing ownedRing(int entries, io.dioring.RingOptions options) throws IOException {
        checkOpen();
        if (options == null) {
            throw new IllegalArgumentException("ownedRing: options must not be null");
        }
        OwnedRing r = threadPool != null ? new OwnedRing(this, entries, threadPool) : new OwnedRing(this, entries, options);
        ownedRings.add(r);
        return r;
    }

    // ---- package-private plumbing for DirectFile and OwnedRing --------------------------

    RequestPool pool() {
        return pool;
    }

    /** The ring thread for the caller: its own ring if it is one, else by thread id. */
    RequestSink sinkForCurrentThread() {
        if (threadPool != null) {
            return threadPool;
        }
        EngineRing current = EngineRing.current();
        if (current != null) {
            for (EngineRing r : rings) {
                if (r == current) {
                    return r;
                }
            }
        }
        int n = rings.length;
        int preferred = (int) Long.remainderUnsigned(Thread.currentThread().threadId(), n);
        // Callers drive the rings themselves: take one nobody drives now, so callers on
        // different CPUs do not queue behind one another; all driven, the preferred one.
        for (int i = 0; i < n; i++) {
            EngineRing r = rings[preferred + i < n ? preferred + i : preferred + i - n];
            if (r.looksFree()) {
                return r;
            }
        }
        return rings[preferred];
    }

    /** Where this engine's results go (see {@link Delivery}). */
    Delivery delivery() {
        return delivery;
    }

    /** Runs deliveries that must leave the current thread and have no ring to go to. */
    Executor offloadExecutor() {
        return offloadExecutor;
    }

    void forget(DirectFile file) {
        files.remove(file);
    }

    /**
     * Whether the calling thread is running a completion handler of one of its owned rings,
     * or is a worker of this engine's thread pool (running an inline callback): either way it
     * must not wait for requests that it may be the one to run.
     */
    boolean inOwnedRingHandler() {
        if (threadPool != null && ThreadPoolSink.current() == threadPool) {
            return true;
        }
        for (OwnedRing r : ownedRings) {
            if (r.inHandler()) {
                return true;
            }
        }
        return false;
    }

    void forget(OwnedRing ring) {
        ownedRings.remove(ring);
        if (closed) {
            release(); // the engine's memory waited for this ring, which may have had it registered
        }
    }

    /**
     * Why a ring of this engine stopped working (io_uring_enter failed for good), or null
     * while every ring is healthy. A failed ring has failed every request it held, with
     * that errno, and refuses new ones.
     */
    public Throwable failure() {
        for (EngineRing r : rings) {
            Throwable f = r.failure();
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    /** Whether every ring works ({@link #failure()} is null). */
    public boolean isHealthy() {
        return failure() == null;
    }

    /**
     * Drives the calling thread's owned rings until {@code done} holds or none of them has
     * anything left: requests queued on an owned ring complete only when its owner polls.
     * Does nothing inside one of their completion handlers (a reap must not nest in a reap).
     */
    void driveOwnedRingsOfCurrentThread(BooleanSupplier done) {
        if (inOwnedRingHandler()) {
            return;
        }
        for (OwnedRing r : ownedRings) {
            if (r.isOwner()) {
                // On THREADS a request finishes on a pool thread before its result reaches the
                // owner: keep driving until those results are delivered too.
                while (r.busy() && (!done.getAsBoolean() || r.resultsAwaitDelivery())) {
                    r.await(1);
                }
            }
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("engine closed");
        }
    }

    /** Waits for everything in flight, then releases rings, files and memory. */
    @Override
    public void close() {
        close(false);
    }

    /**
     * Closes the engine. With {@code cancel}, requests in flight are cancelled
     * (IORING_OP_ASYNC_CANCEL; on THREADS a call already made cannot be cancelled and
     * finishes) and queued ones failed with CancellationException; without,
     * they are waited for. Either way memory is freed only when the kernel is done with it.
     * Safe to call from a completion callback, and more than once.
     */
    public void close(boolean cancel) {
        synchronized (this) {
            if (closed && !cancel) {
                return;
            }
            closed = true;
        }
        for (EngineRing r : rings) {
            r.close(cancel);
        }
        if (threadPool != null) {
            threadPool.close(cancel);
        }
        if (EngineRing.current() != null || (threadPool != null && ThreadPoolSink.current() == threadPool)) {
            // Called from an inline callback on one of our ring threads: it cannot wait for
            // itself. Finish on another thread once every ring has stopped.
            Thread.ofVirtual().name("dioring-close").start(() -> {
                for (EngineRing r : rings) {
                    r.close(cancel);
                }
                if (threadPool != null) {
                    threadPool.close(cancel);
                }
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
        List<DirectFile> open = new ArrayList<>(files);
        for (DirectFile f : open) {
            f.close();
        }
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

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }
}
