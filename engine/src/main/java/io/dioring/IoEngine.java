package io.dioring;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

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


    private final EngineConfig config;
    private final Backend backend;
    /**
     * What the engine's files, owned rings, batches and channels see of it: its buffers, pool,
     * backend and delivery, its open files and owned rings, and its closing.
     */
    private final EngineCore core;
    /** The rings or the thread pool, asked, never told apart. */
    private final EngineBackend engineBackend;

    private IoEngine(EngineConfig config, Backend backend) throws IOException {
        if (config.ringOptions().iopoll()) {
            throw new IllegalArgumentException("EngineConfig.ringOptions().iopoll() = true: IOPOLL is for owned rings "
                    + "only (IoEngine.ownedRing(entries, options)); an IOPOLL ring cannot keep the eventfd read "
                    + "the engine's ring threads sleep on (the kernel refuses it with EOPNOTSUPP)");
        }
        this.config = config;
        this.backend = backend;
        this.core = new EngineCore(config, backend);
        this.engineBackend = core.backend();
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
        return core.buffers();
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

    /**
     * Blocking buffered reads the page cache held, copied on their caller's thread with no
     * ring turn or pool call ({@link EngineConfig#cachedReads()}); not in {@link #slicesIssued()}.
     */
    public long cachedReads() {
        return core.cachedReads();
    }

    /** io_uring_enter calls so far, over every ring thread; 0 on THREADS (no ring is entered). */
    public long enterCalls() {
        return engineBackend.enterCalls();
    }

    /** Whether the completion executor exists yet (it is created on first need). */
    public boolean completionExecutorCreated() {
        return core.completionExecutorCreated();
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
        return core.files().open(path, options);
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
        return io.dioring.channel.DirectFileChannel.open(core, path, options);
    }

    /**
     * A {@link java.nio.file.FileSystem} whose paths are the platform's, one to one, and whose
     * files' channels and streams ({@code Files.newByteChannel}, {@code FileChannel.open},
     * {@code Files.readAllBytes}, ...) go through this engine, buffered unless opened with
     * {@code ExtendedOpenOption.DIRECT}; see {@link io.dioring.fs.DioringFileSystemProvider}.
     * Closing it leaves the engine open.
     */
    public java.nio.file.FileSystem fileSystem() {
        core.checkOpen();
        // The installed providers, then those of the class loader that loaded the engine.
        return EngineFileSystem.open(FILE_SYSTEM_SCHEME, Map.of(FILE_SYSTEM_ENGINE, this),
                IoEngine.class.getClassLoader());
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
        return core.files().adopt(fd, name, direct, read, write);
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
        return core.ownedRing(entries, options);
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
        core.close(cancel);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return core.isClosed();
    }
}
