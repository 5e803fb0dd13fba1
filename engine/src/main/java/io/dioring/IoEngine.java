package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.backend.ThreadPoolSink;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.deliver.Delivery;
import io.dioring.deliver.LazyExecutor;
import io.dioring.request.RequestPool;
import io.dioring.request.RequestSink;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    /** The URI scheme of dioring's file system ({@link #fileSystem()}). */
    public static final String FILE_SYSTEM_SCHEME = "dioring";
    /**
     * The key under which {@code FileSystems.newFileSystem(URI.create("dioring:///"), env)}
     * takes the engine the file system's I/O goes through (what {@link #fileSystem()} does).
     */
    public static final String FILE_SYSTEM_ENGINE = "io.dioring.engine";


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
    /** The rings or the thread pool, asked, never told apart. */
    private final EngineBackend engineBackend;
    private final Set<DirectFile> files = ConcurrentHashMap.newKeySet();
    private final Set<OwnedRing> ownedRings = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** What the engine's channels see of it. */
    private final io.dioring.channel.ChannelEngine channelEngine = new io.dioring.channel.ChannelEngine() {
        @Override
        public DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException {
            return IoEngine.this.adopt(fd, name, direct, read, write);
        }

        @Override
        public IoBuffers buffers() {
            return buffers;
        }
    };
    /** What the engine's files, owned rings and batches see of it. */
    private final EngineContext context = new EngineContext() {
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
        public RequestSink sinkForCurrentThread() {
            return IoEngine.this.sinkForCurrentThread();
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
            IoEngine.this.checkOpen();
        }

        @Override
        public boolean inOwnedRingHandler() {
            return IoEngine.this.inOwnedRingHandler();
        }

        @Override
        public void driveOwnedRingsOfCurrentThread(BooleanSupplier done) {
            IoEngine.this.driveOwnedRingsOfCurrentThread(done);
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
            return IoEngine.this.slicesIssued();
        }

        @Override
        public long coalescedRequests() {
            return IoEngine.this.coalescedRequests();
        }
    };

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
            this.engineBackend = new PoolBackend(new ThreadPoolSink("dioring-io", config.threads(), config.submitQueueCapacity(),
                    delivery));
            return;
        }
        try {
            this.engineBackend = RingsBackend.create(config, delivery, buffers.slabs());
        } catch (IOException | RuntimeException e) {
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
        return BackendChoice.choose(requested);
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
        return BackendChoice.unavailabilityCause() == null;
    }

    /**
     * Why io_uring cannot be used here (kernel without it, seccomp, the
     * {@code kernel.io_uring_disabled} sysctl), or null when it can.
     */
    public static String unavailabilityCause() {
        return BackendChoice.unavailabilityCause();
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
        return engineBackend.ringSetup();
    }

    /**
     * SQEs issued so far, over every ring thread (data, sync and resubmitted slices); on
     * THREADS, the data and sync syscalls made (resubmissions and retries included).
     */
    public long slicesIssued() {
        return engineBackend.slicesIssued();
    }

    /**
     * Requests that went out inside another request's READV/WRITEV SQE, over every ring
     * thread: the SQEs coalescing saved ({@link EngineConfig#coalescing()}). On THREADS, the
     * requests that went out inside another's preadv/pwritev.
     */
    public long coalescedRequests() {
        return engineBackend.coalescedRequests();
    }

    /**
     * Whether every ring of this engine registers the buffer pool's memory, so I/O on
     * {@link IoBuffers#take pooled buffers} (and the channel's bounce buffers) goes out as
     * READ_FIXED/WRITE_FIXED; false on THREADS, or where the kernel refused (RLIMIT_MEMLOCK,
     * Linux before 5.19), in which case {@link #registeredBuffersRefusal()} says why.
     */
    public boolean registeredBuffers() {
        return engineBackend.registeredBuffers();
    }

    /** Why a ring refused to register the pool's memory, or null (also on THREADS). */
    public String registeredBuffersRefusal() {
        return engineBackend.registeredBuffersRefusal();
    }

    /** SQEs issued as READ_FIXED/WRITE_FIXED so far, over every ring; 0 on THREADS. */
    public long fixedBufferSlices() {
        return engineBackend.fixedBufferSlices();
    }

    /** Reads of every file, counted by DirectFile: done from the page cache on the caller, no ring. */
    private final java.util.concurrent.atomic.LongAdder cachedReads = new java.util.concurrent.atomic.LongAdder();

    /**
     * Blocking buffered reads the page cache held, copied on their caller's thread with no
     * ring turn or pool call ({@link EngineConfig#cachedReads()}); not in {@link #slicesIssued()}.
     */
    public long cachedReads() {
        return cachedReads.sum();
    }

    /** io_uring_enter calls so far, over every ring thread; 0 on THREADS (no ring is entered). */
    public long enterCalls() {
        return engineBackend.enterCalls();
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
        return io.dioring.channel.DirectFileChannel.open(channelEngine, path, options);
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
        // Through the JDK's lookup of installed providers (META-INF/services, or the module's
        // `provides`): the provider is the layer above the engine, which does not name it.
        java.net.URI uri = java.net.URI.create(FILE_SYSTEM_SCHEME + ":///");
        Map<String, Object> env = Map.of(FILE_SYSTEM_ENGINE, this);
        // The installed ones (the system class loader's), then those of the class loader that
        // loaded the engine (an application's own); ServiceLoader instantiates them only as iterated.
        for (Iterable<FileSystemProvider> providers : List.of(FileSystemProvider.installedProviders(),
                java.util.ServiceLoader.load(FileSystemProvider.class, IoEngine.class.getClassLoader()))) {
            for (FileSystemProvider p : providers) {
                if (FILE_SYSTEM_SCHEME.equals(p.getScheme())) {
                    return newFileSystem(p, uri, env);
                }
            }
        }
        throw new java.nio.file.ProviderNotFoundException("no file system provider of scheme " + FILE_SYSTEM_SCHEME
                + " is installed: io.dioring.fs.DioringFileSystemProvider is found through META-INF/services "
                + "(class path) or the io.dioring module's `provides` (module path)");
    }

    private static java.nio.file.FileSystem newFileSystem(FileSystemProvider p, java.net.URI uri, Map<String, ?> env) {
        try {
            return p.newFileSystem(uri, env);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
        DirectFile file = new DirectFile(context, state, owns);
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
        OwnedRing r = engineBackend.ownedRing(context, entries, options);
        ownedRings.add(r);
        return r;
    }

    // ---- package-private plumbing for DirectFile and OwnedRing --------------------------

    /** Where the calling thread submits (see {@link EngineBackend#sinkForCurrentThread}). */
    RequestSink sinkForCurrentThread() {
        return engineBackend.sinkForCurrentThread();
    }

    /**
     * Whether the calling thread is running a completion handler of one of its owned rings,
     * or is a worker of this engine's thread pool (running an inline callback): either way it
     * must not wait for requests that it may be the one to run.
     */
    boolean inOwnedRingHandler() {
        if (engineBackend.onOwnThread()) {
            return true; // a ring's or the pool's own thread, running an inline callback
        }
        for (OwnedRing r : ownedRings) {
            if (r.inHandler()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a ring of this engine stopped working (io_uring_enter failed for good), or null
     * while every ring is healthy. A failed ring has failed every request it held, with
     * that errno, and refuses new ones.
     */
    public Throwable failure() {
        return engineBackend.failure();
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
        engineBackend.close(cancel);
        if (engineBackend.onOwnThread()) {
            // Called from an inline callback on one of our ring threads: it cannot wait for
            // itself. Finish on another thread once every ring has stopped.
            Thread.ofVirtual().name("dioring-close").start(() -> {
                engineBackend.close(cancel);
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
