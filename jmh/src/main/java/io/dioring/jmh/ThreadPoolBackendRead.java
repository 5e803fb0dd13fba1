package io.dioring.jmh;

import io.dioring.Backend;
import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
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
 * The THREADS backend (where io_uring is blocked) against what a Java user would write
 * without dioring, side by side in one run:
 *
 * <ul>
 * <li>4 KiB random O_DIRECT reads, 32 in flight on a pool of 32 threads
 *     ({@code threadsRandomRead4k_qd32}) vs {@link java.nio.channels.FileChannel} with
 *     {@code ExtendedOpenOption.DIRECT} on 32 threads ({@code fileChannelRandomRead4k_32threads},
 *     FileChannelDirect's set-up);
 * <li>1 MiB sequential reads, 8 in flight ({@code threadsSequentialRead1m_qd8}) vs FileChannel
 *     on 8 threads taking the next MiB in turn ({@code fileChannelSequentialRead1m_8threads}).
 * </ul>
 *
 * <p>The dioring side uses the callback API: each handler issues the next read. Scores are
 * reads per second. Run: {@code java -jar jmh/target/benchmarks.jar ThreadPoolBackendRead}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ThreadPoolBackendRead {
    static final int OPS_4K = 1024;
    static final int OPS_1M = 64;
    static final int POOL_THREADS = 32;

    /** An engine on the THREADS backend with a 32-thread pool, and the data file. */
    @State(Scope.Benchmark)
    public static class Pool {
        @Param({"INLINE", "DEFERRED"})
        public CompletionMode completion;

        IoEngine engine;
        DirectFile file;

        @Setup(Level.Trial)
        public void open() throws IOException {
            engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS).withThreads(POOL_THREADS)
                    .withCompletionMode(completion));
            file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        }

        @TearDown(Level.Trial)
        public void close() {
            file.close(); // waits for what is still in flight
            engine.close();
        }
    }

    /** Keeps {@code depth} reads in flight: each handler issues the next until stopped. */
    static final class Reader implements CompletionHandler<MemorySegment> {
        final DirectFile file;
        final LongSupplier nextOffset;
        final AtomicLong completed = new AtomicLong();
        volatile long target;
        volatile Thread waiter;
        volatile boolean stopping;
        volatile Throwable failure;

        Reader(DirectFile file, LongSupplier nextOffset) {
            this.file = file;
            this.nextOffset = nextOffset;
        }

        void start(IoEngine engine, int depth, int blockBytes) {
            waiter = Thread.currentThread();
            for (int i = 0; i < depth; i++) {
                MemorySegment b = engine.buffers().allocateFor(file, blockBytes);
                file.read(nextOffset.getAsLong(), b, b, this);
            }
        }

        @Override
        public void completed(long bytes, MemorySegment buffer) {
            long c = completed.incrementAndGet();
            if (!stopping) {
                file.read(nextOffset.getAsLong(), buffer, buffer, this);
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

        /** Waits for {@code ops} more completions. */
        long awaitBatch(int ops) {
            long goal = target + ops;
            target = goal;
            while (completed.get() < goal) {
                LockSupport.parkNanos(this, 1_000_000);
                if (failure != null) {
                    throw new IllegalStateException("read failed: " + failure.getMessage(), failure);
                }
            }
            return goal;
        }
    }

    /** 32 random 4 KiB reads in flight on the pool. */
    @State(Scope.Thread)
    public static class RandomReads {
        Reader reader;

        @Setup(Level.Trial)
        public void start(Pool pool) {
            SplittableRandom random = new SplittableRandom(17);
            reader = new Reader(pool.file, () -> {
                synchronized (random) { // handlers run on many pool threads
                    return BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K);
                }
            });
            reader.start(pool.engine, 32, BenchFiles.BLOCK_4K);
        }

        @TearDown(Level.Trial)
        public void stop() {
            reader.stopping = true;
        }
    }

    /** 8 sequential 1 MiB reads in flight on the pool, wrapping around the file. */
    @State(Scope.Thread)
    public static class SequentialReads {
        Reader reader;

        @Setup(Level.Trial)
        public void start(Pool pool) {
            AtomicLong position = new AtomicLong();
            reader = new Reader(pool.file, () -> nextSequential(position));
            reader.start(pool.engine, 8, BenchFiles.BLOCK_1M);
        }

        @TearDown(Level.Trial)
        public void stop() {
            reader.stopping = true;
        }
    }

    /** The FileChannel side of the sequential comparison: the next MiB, shared by the threads. */
    @State(Scope.Benchmark)
    public static class SharedPosition {
        final AtomicLong position = new AtomicLong();
    }

    static long nextSequential(AtomicLong position) {
        long blocks = BenchFiles.FILE_BYTES / BenchFiles.BLOCK_1M;
        return Long.remainderUnsigned(position.getAndIncrement(), blocks) * BenchFiles.BLOCK_1M;
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(OPS_4K)
    public long threadsRandomRead4k_qd32(RandomReads r) {
        return r.reader.awaitBatch(OPS_4K);
    }

    @Benchmark
    @Threads(32)
    public int fileChannelRandomRead4k_32threads(FileChannelDirect.Channel c, FileChannelDirect.PerThread t)
            throws IOException {
        ByteBuffer b = t.block4k.clear();
        return c.channel.read(b, BenchFiles.randomOffset(t.random, BenchFiles.BLOCK_4K));
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(OPS_1M)
    public long threadsSequentialRead1m_qd8(SequentialReads r) {
        return r.reader.awaitBatch(OPS_1M);
    }

    @Benchmark
    @Threads(8)
    public int fileChannelSequentialRead1m_8threads(FileChannelDirect.Channel c, FileChannelDirect.PerThread t,
            SharedPosition p) throws IOException {
        ByteBuffer b = t.block1m.clear();
        return c.channel.read(b, nextSequential(p.position));
    }
}
