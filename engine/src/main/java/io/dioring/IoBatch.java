package io.dioring;

import io.dioring.deliver.Completion;
import io.dioring.reap.RingThreads;
import io.dioring.request.IoRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Many reads and writes submitted together and waited for together: what a query's
 * shortlist of blocks needs. Made by {@link #of(DirectFile, int)}; its entries are
 * reads and writes of that file or of other files of the same engine.
 *
 * <pre>{@code
 * IoBatch batch = IoBatch.of(file, 32);   // once; reuse it
 * batch.clear();
 * for (int i = 0; i < 32; i++) {
 *     batch.read(offsets[i], buffers[i]);  // returns the entry's index, i
 * }
 * if (batch.submitAndWait() > 0) {         // how many entries failed
 *     ...batch.failure(i)...
 * }
 * long n = batch.result(3);                // entry 3's bytes, or its own exception
 * }</pre>
 *
 * <h2>One submission</h2>
 * {@link #submitAndWait()} hands every entry to one of the engine's rings together: on
 * io_uring the calling thread puts them all in that ring's inbox and drives it once, so
 * they reach the kernel in one {@code io_uring_enter} when they fit the ring (the ring's
 * queue depth; more go out as room frees up). Reads that complete inside that call (a RAM
 * disk, the page cache) are back when it returns, and the caller does not park at all;
 * otherwise it parks until the last one is in; a virtual thread unmounts while it waits.
 * The {@link Backend#THREADS} backend queues them under one lock for its workers.
 *
 * <h2>Results, one per entry</h2>
 * Each entry completes on its own, exactly as the same single read or write would
 * ({@link DirectFile#readFully}, {@link DirectFile#writeFully}): large entries are split,
 * short reads resubmitted (a read is short only at end of file), an entry overlapping a
 * write in flight waits for it, an extending write is carried out synchronously (the
 * entries before it go out first). A failed entry has its own exception
 * ({@link DirectIoException} for the kernel's errors) and hides nothing of the others: every
 * other entry still has its bytes. {@link #result(int)} returns an entry's bytes or throws
 * its exception; {@link #failure(int)} returns it.
 *
 * <h2>Bad input, closing, interrupts</h2>
 * Each entry is checked when it is added and again, all of them, before anything is
 * submitted: a bad one (misaligned offset, length or address, heap or freed memory, a
 * closed file, a file of another engine) throws there, naming the value and the rule, and
 * nothing of the batch is submitted. A file or engine closed while the batch runs fails the
 * entries it had not taken yet (IOException naming why) and cancels or finishes the rest as
 * the engine's close does for any request: the call always returns. An interrupt does not
 * abandon entries in flight (the kernel may still write their buffers): the call waits for
 * them and returns with the interrupt flag set; an entry whose submission was waiting for
 * room in a full ring when the interrupt came fails with {@link InterruptedIOException}.
 *
 * <p>{@link #submit()} and {@link #await()} split the call, so that one thread can keep
 * several batches in flight, each reused in turn.
 *
 * <h2>Reuse</h2>
 * A batch keeps its entries until {@link #clear()}, and a run's results until the next run
 * or {@code clear()}; {@link #submitAndWait()} runs every entry again. Reused, it allocates
 * nothing per entry or per run (only exceptions, for entries that fail, and its arrays when
 * it grows past its capacity). Not thread-safe: one thread at a time uses a batch; use one
 * per thread.
 */
public final class IoBatch {
    private final DirectFile file;
    private final EngineContext engine;
    private final BatchCollector collector = new BatchCollector(this::notTaken);
    private DirectFile[] files;
    private int[] ops;
    private long[] offsets;
    private MemorySegment[] buffers;
    /** While running: each entry's request until its result is read; null once it has none. */
    private IoRequest[] requests;
    private long[] results;
    private IOException[] failures;
    private int size;
    private int failed;
    /** Entries the last run gave results for (results of later entries do not exist yet). */
    private int ran;
    /** Submitted and not yet awaited. */
    private boolean running;
    private Thread submitter;

    /**
     * A new, empty batch of reads and writes of {@code file} (and of other files of its
     * engine), with room for {@code capacity} entries before it grows.
     *
     * @throws IllegalArgumentException if {@code capacity} is below 1
     */
    public static IoBatch of(DirectFile file, int capacity) {
        return new IoBatch(Objects.requireNonNull(file, "file"), capacity);
    }

    private IoBatch(DirectFile file, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity " + capacity + " must be at least 1");
        }
        this.file = file;
        this.engine = file.engine();
        files = new DirectFile[capacity];
        ops = new int[capacity];
        offsets = new long[capacity];
        buffers = new MemorySegment[capacity];
        requests = new IoRequest[capacity];
        results = new long[capacity];
        failures = new IOException[capacity];
        collector.grow(capacity);
    }

    /** The file the batch was made for (the one {@link #read(long, MemorySegment)} reads). */
    public DirectFile file() {
        return file;
    }

    /** Entries added since the last {@link #clear()}. */
    public int size() {
        return size;
    }

    /**
     * Adds a read of {@code dst.byteSize()} bytes at {@code offset} of this batch's file.
     *
     * @return the entry's index, for {@link #result(int)}
     * @throws IllegalArgumentException on a misaligned offset, length or address, or heap memory
     */
    public int read(long offset, MemorySegment dst) {
        return add(file, IoRequest.READ, offset, dst);
    }

    /** Adds a read of {@code file}, a file of this batch's engine; as {@link #read(long, MemorySegment)}. */
    public int read(DirectFile file, long offset, MemorySegment dst) {
        return add(file, IoRequest.READ, offset, dst);
    }

    /** Adds a write of all of {@code src} at {@code offset} of this batch's file; returns its index. */
    public int write(long offset, MemorySegment src) {
        return add(file, IoRequest.WRITE, offset, src);
    }

    /** Adds a write of {@code file}, a file of this batch's engine; as {@link #write(long, MemorySegment)}. */
    public int write(DirectFile file, long offset, MemorySegment src) {
        return add(file, IoRequest.WRITE, offset, src);
    }

    /** Forgets every entry and result; the batch keeps its room for reuse. */
    public IoBatch clear() {
        checkNotRunning("clear");
        Arrays.fill(files, 0, size, null);
        Arrays.fill(buffers, 0, size, null);
        Arrays.fill(failures, 0, size, null);
        size = 0;
        ran = 0;
        failed = 0;
        return this;
    }

    private int add(DirectFile f, int op, long offset, MemorySegment buffer) {
        checkNotRunning(op == IoRequest.READ ? "read" : "write");
        Objects.requireNonNull(f, "batch entry: file is null");
        if (f.engine() != engine) {
            throw new IllegalArgumentException("batch entry of " + f.path() + ": the file belongs to another engine "
                    + "than this batch's file " + file.path() + "; a batch's entries go to one engine's rings");
        }
        f.checkEntry(op, offset, buffer);
        if (size == files.length) {
            grow(Math.max(4, size * 2));
        }
        int i = size++;
        files[i] = f;
        ops[i] = op;
        offsets[i] = offset;
        buffers[i] = buffer;
        return i;
    }

    private void grow(int n) {
        files = Arrays.copyOf(files, n);
        ops = Arrays.copyOf(ops, n);
        offsets = Arrays.copyOf(offsets, n);
        buffers = Arrays.copyOf(buffers, n);
        requests = Arrays.copyOf(requests, n);
        results = Arrays.copyOf(results, n);
        failures = Arrays.copyOf(failures, n);
        collector.grow(n);
    }

    private void checkNotRunning(String what) {
        if (running) {
            throw new IllegalStateException(what + " on a batch of " + file.path() + " that is submitted and not "
                    + "awaited yet: a batch is used by one thread at a time, and takes entries and gives results only "
                    + "between runs");
        }
    }

    // ---- running ------------------------------------------------------------------------

    /**
     * Submits every entry together and waits until each has its result: {@link #submit()}
     * then {@link #await()}.
     *
     * @return how many entries failed (0 when all succeeded)
     * @throws IllegalArgumentException if an entry is bad now (see the class comment); nothing
     *         was submitted
     * @throws IllegalStateException if a file or the engine is closed, the batch is already
     *         submitted, or the caller is an INLINE completion callback on the engine's own
     *         ring thread (it would wait for itself); nothing was submitted
     */
    public int submitAndWait() {
        submit();
        return await();
    }

    /**
     * Submits every entry together and returns without waiting, so that a thread can have
     * several batches in flight (submit the next while it uses the last one's results).
     * Until {@link #await()} returns, the batch takes no entries and gives no results, and the
     * entries' buffers belong to the kernel. The thread that submits is the one that awaits.
     *
     * @throws IllegalArgumentException as {@link #submitAndWait()}
     * @throws IllegalStateException as {@link #submitAndWait()}
     */
    public void submit() {
        checkNotRunning("submit");
        if (RingThreads.current() != null) {
            throw new IllegalStateException("a batch of " + file.path() + " run from an INLINE completion callback "
                    + "on " + Thread.currentThread().getName() + " would wait for the thread that must complete it; "
                    + "use futures or callbacks there, or DEFERRED completion");
        }
        for (int i = 0; i < size; i++) {
            files[i].checkEntry(ops[i], offsets[i], buffers[i]); // nothing goes out if one is bad
        }
        running = true;
        failed = 0;
        ran = size;
        submitter = Thread.currentThread();
        try {
            collector.start(engine.sinkForCurrentThread(true));
            for (int i = 0; i < size; i++) {
                results[i] = 0;
                failures[i] = null;
                IoRequest r;
                try {
                    r = files[i].takeEntry(ops[i], offsets[i], buffers[i]);
                } catch (RuntimeException closedSince) {
                    fail(i, closedSince);
                    continue;
                }
                r.ticket().awaitOn(submitter);
                requests[i] = r;
                collector.entry(i, files[i]);
                try {
                    files[i].dispatchEntry(r, collector);
                } catch (InterruptedIOException | RuntimeException e) {
                    requests[i] = null; // not taken: nothing of it is registered anywhere
                    r.recycle();
                    fail(i, e);
                }
            }
            collector.flush();
        } catch (Throwable t) {
            await(); // an engine bug or an Error: what went out still completes before the batch is free
            throw t;
        }
    }

    /**
     * Waits until every entry of the last {@link #submit()} has its result; on the thread
     * that submitted. A virtual thread unmounts while it waits.
     *
     * @return how many entries failed (0 when all succeeded)
     * @throws IllegalStateException if the batch was not submitted, or by another thread
     */
    public int await() {
        if (!running) {
            throw new IllegalStateException("await on a batch of " + file.path() + " that was not submitted");
        }
        if (Thread.currentThread() != submitter) {
            throw new IllegalStateException("await on a batch of " + file.path() + " by " + Thread.currentThread()
                    + ": only its submitter, " + submitter + ", is woken by its entries");
        }
        try {
            for (int i = 0; i < size; i++) {
                IoRequest r = requests[i];
                if (r == null) {
                    continue;
                }
                Completion.await(r);
                requests[i] = null;
                results[i] = r.outcome().result();
                Throwable failure = r.outcome().failure();
                r.recycle();
                if (failure != null) {
                    fail(i, failure);
                }
            }
        } finally {
            collector.end();
            submitter = null;
            running = false;
        }
        return failed;
    }

    /** A request the ring would not take, unregistered by the collector: entry {@code i} fails. */
    private void notTaken(IoRequest r, int i, Throwable e) {
        requests[i] = null;
        r.recycle();
        fail(i, e);
    }

    private void fail(int i, Throwable t) {
        results[i] = 0;
        failures[i] = t instanceof IOException e ? e : new IOException(t.getMessage(), t);
        failed++;
    }

    // ---- results ------------------------------------------------------------------------

    /**
     * Entry {@code i}'s result: the bytes read (fewer than asked only at end of file) or
     * written (all of them).
     *
     * @throws IOException the entry's own failure ({@link DirectIoException} for the kernel's)
     */
    public long result(int i) throws IOException {
        IOException e = failure(i);
        if (e != null) {
            throw e;
        }
        return results[i];
    }

    /** Entry {@code i}'s failure, or null when it succeeded. */
    public IOException failure(int i) {
        checkRan(i);
        return failures[i];
    }

    /** Entries of the last run that failed. */
    public int failedCount() {
        return failed;
    }

    private void checkRan(int i) {
        checkNotRunning("result");
        if (i < 0 || i >= ran) {
            throw new IndexOutOfBoundsException("batch entry " + i + " has no result: the last run of this batch "
                    + "had " + ran + " entries (indexes 0 to " + (ran - 1) + ")");
        }
    }
}
