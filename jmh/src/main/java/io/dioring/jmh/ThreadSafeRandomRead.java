package io.dioring.jmh;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 4 KiB random reads through the thread-safe {@link DirectFile} API, which hands requests to
 * the engine's ring thread: the callback API (handlers resubmit; INLINE runs them on the
 * ring thread, DEFERRED on the completion executor) and the future API (one
 * CompletableFuture per read). The engine's submission mode comes from
 * {@code -Ddioring.jmh.submission} (BY_CALL, the default, CALLERS or RING_THREADS; see
 * {@link BenchFiles#engineConfig()}), so both can be compared in one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ThreadSafeRandomRead {
    static final int OPS = 1024;

    @Param({"1", "32", "128"})
    public int qd;

    @Param({"INLINE", "DEFERRED"})
    public CompletionMode completion;

    private IoEngine engine;
    private DirectFile file;
    private MemorySegment[] buffers;
    private final SplittableRandom futureRandom = new SplittableRandom(11);
    private CompletableFuture<Long>[] futures;
    private int nextFuture;
    private Reader reader;

    /** The callback side: slots resubmit themselves from the handler until stopped. */
    static final class Reader implements CompletionHandler<MemorySegment> {
        final DirectFile file;
        final AtomicLong completed = new AtomicLong();
        final SplittableRandom random = new SplittableRandom(13);
        volatile long target;
        volatile Thread waiter;
        volatile boolean stopping;
        volatile Throwable failure;

        Reader(DirectFile file) {
            this.file = file;
        }

        void issue(MemorySegment buffer) {
            long offset;
            synchronized (random) { // DEFERRED handlers may run on several executor threads
                offset = BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K);
            }
            file.read(offset, buffer, buffer, this);
        }

        @Override
        public void completed(long bytes, MemorySegment buffer) {
            long c = completed.incrementAndGet();
            if (!stopping) {
                issue(buffer);
            }
            if (c >= target) {
                LockSupport.unpark(waiter);
            }
        }

        @Override
        public void failed(Throwable t, MemorySegment buffer) {
            failure = t;
            completed.incrementAndGet();
            LockSupport.unpark(waiter);
        }
    }

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() throws IOException {
        engine = IoEngine.create(BenchFiles.engineConfig().withCompletionMode(completion)
                .withQueueDepth(Math.max(qd, 32)));
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        buffers = new MemorySegment[qd];
        futures = new CompletableFuture[qd];
        for (int i = 0; i < qd; i++) {
            buffers[i] = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
        }
    }

    /** Starts the callback pipeline lazily, so the future benchmark never has it running. */
    private Reader reader() {
        if (reader == null) {
            reader = new Reader(file);
            reader.waiter = Thread.currentThread();
            for (MemorySegment b : buffers) {
                reader.issue(b);
            }
        }
        return reader;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long callbackRandomRead4k() {
        Reader r = reader();
        long target = r.target + OPS;
        r.target = target;
        while (r.completed.get() < target) {
            LockSupport.park(this);
            if (r.failure != null) {
                throw new IllegalStateException("read failed: " + r.failure.getMessage(), r.failure);
            }
        }
        return target;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long futureRandomRead4k() {
        long sum = 0;
        for (int n = 0; n < OPS; n++) {
            int i = nextFuture;
            nextFuture = i + 1 == qd ? 0 : i + 1;
            if (futures[i] != null) {
                sum += futures[i].join();
            }
            futures[i] = file.read(BenchFiles.randomOffset(futureRandom, BenchFiles.BLOCK_4K), buffers[i]);
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (reader != null) {
            reader.stopping = true;
        }
        for (CompletableFuture<Long> f : futures) {
            if (f != null) {
                f.join();
            }
        }
        file.close(); // waits for what is still in flight
        engine.close();
    }
}
