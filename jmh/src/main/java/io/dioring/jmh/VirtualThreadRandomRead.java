package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * Blocking 4 KiB random O_DIRECT reads from {@code vthreads} virtual threads, each doing
 * one read at a time in a loop, through:
 * <ul>
 *   <li>{@code readFully}: {@link DirectFile#readFully} into an aligned segment,
 *   <li>{@code readFullyPool}: the same into a buffer from the engine's pool
 *       ({@code IoBuffers.takeFor}), whose memory the engine's rings register (READ_FIXED),
 *   <li>{@code channelDirect}: {@link IoEngine#openChannel}'s channel, aligned direct ByteBuffers,
 *   <li>{@code channelHeap}: the same channel, heap ByteBuffers (bounce-buffer path),
 *   <li>{@code jdkDirect}: the JDK's {@link FileChannel} with {@link ExtendedOpenOption#DIRECT},
 *       aligned direct ByteBuffers,
 *   <li>{@code jdkHeap}: the same JDK channel, heap ByteBuffers,
 *   <li>{@code jdkAsyncDirect}: the JDK's {@link AsynchronousFileChannel} with
 *       {@link ExtendedOpenOption#DIRECT} over a pool of {@code vthreads} platform threads, aligned
 *       direct ByteBuffers, each virtual thread waiting on its read's future (it unmounts): the
 *       read is made on a pool thread and handed back, so the device wakes the pool thread and
 *       the completion wakes a carrier, as for any engine that completes I/O away from the
 *       carrier.
 * </ul>
 * {@code registered=false} turns the pool's registration off ({@code -Ddioring.registeredBuffers=false}),
 * for the pool's APIs ({@code readFullyPool}, and {@code channelHeap}'s bounce buffers);
 * the other APIs ignore it.
 * The virtual threads run for the whole trial; each benchmark invocation waits until they
 * have completed {@link #OPS} more reads, so the score is their summed reads per second.
 * After each iteration the platform threads are printed: live now, peak since the trial
 * began (the JDK's file I/O pins its carrier and the scheduler compensates with more), and
 * how many of them are virtual-thread carriers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
public class VirtualThreadRandomRead {
    static final int OPS = 2048;

    @Param({"32", "256"})
    public int vthreads;

    @Param({"readFully", "readFullyPool", "channelDirect", "channelHeap", "jdkDirect", "jdkHeap", "jdkAsyncDirect"})
    public String api;

    /** Whether the engine's rings register the buffer pool's memory (READ_FIXED for pooled buffers). */
    @Param({"true"})
    public boolean registered;

    private IoEngine engine;
    private DirectFile file;
    private FileChannel channel;
    private AsynchronousFileChannel asyncChannel;
    private ExecutorService asyncPool;
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicLong completed = new AtomicLong();
    private volatile long target;
    private volatile Thread waiter;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private final ThreadCensus threads = new ThreadCensus();

    /** One reader's blocking read of 4 KiB at {@code offset}. */
    @FunctionalInterface
    interface BlockingRead {
        long read(long offset) throws IOException;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path data = BenchFiles.dataFile();
        System.setProperty("dioring.registeredBuffers", Boolean.toString(registered));
        switch (api) {
            case "readFully", "readFullyPool" -> {
                engine = IoEngine.create(BenchFiles.engineConfig().withQueueDepth(Math.max(128, vthreads)));
                file = engine.open(data, StandardOpenOption.READ);
            }
            case "channelDirect", "channelHeap" -> {
                engine = IoEngine.create(BenchFiles.engineConfig().withQueueDepth(Math.max(128, vthreads)));
                channel = engine.openChannel(data, StandardOpenOption.READ);
            }
            case "jdkDirect", "jdkHeap" -> channel = FileChannel.open(data, StandardOpenOption.READ,
                    ExtendedOpenOption.DIRECT);
            case "jdkAsyncDirect" -> {
                asyncPool = Executors.newFixedThreadPool(vthreads,
                        Thread.ofPlatform().name("jdk-async-", 0).daemon(true).factory());
                asyncChannel = AsynchronousFileChannel.open(data,
                        Set.of(StandardOpenOption.READ, ExtendedOpenOption.DIRECT), asyncPool);
            }
            default -> throw new IllegalArgumentException("api " + api);
        }
        threads.start();
        for (int i = 0; i < vthreads; i++) {
            BlockingRead read = readerFor();
            SplittableRandom random = new SplittableRandom(1000 + i);
            readers.add(Thread.ofVirtual().name("reader-" + i).start(() -> readLoop(read, random)));
        }
    }

    private BlockingRead readerFor() {
        return switch (api) {
            case "readFully" -> {
                MemorySegment buf = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
                yield offset -> file.readFully(offset, buf);
            }
            case "readFullyPool" -> {
                MemorySegment buf = engine.buffers().takeFor(file, BenchFiles.BLOCK_4K);
                yield offset -> file.readFully(offset, buf);
            }
            case "channelDirect", "jdkDirect" -> {
                // slice(): capacity 4096, so clear() cannot widen the read (alignedSlice may leave 8192)
                ByteBuffer buf = BenchFiles.alignedBuffer(BenchFiles.BLOCK_4K).slice();
                yield offset -> channel.read(buf.clear(), offset);
            }
            case "jdkAsyncDirect" -> {
                ByteBuffer buf = BenchFiles.alignedBuffer(BenchFiles.BLOCK_4K).slice();
                yield offset -> {
                    try {
                        return asyncChannel.read(buf.clear(), offset).get(30, TimeUnit.SECONDS);
                    } catch (InterruptedException | TimeoutException e) {
                        throw new IOException("read at " + offset + " did not complete", e);
                    } catch (ExecutionException e) {
                        throw new IOException(e.getCause());
                    }
                };
            }
            default -> {
                ByteBuffer buf = ByteBuffer.allocate(BenchFiles.BLOCK_4K);
                yield offset -> channel.read(buf.clear(), offset);
            }
        };
    }

    private void readLoop(BlockingRead read, SplittableRandom random) {
        try {
            while (!stopping) {
                long n = read.read(BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K));
                if (n != BenchFiles.BLOCK_4K) {
                    throw new IOException("short read: " + n);
                }
                if (completed.incrementAndGet() >= target) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long randomRead4k() {
        waiter = Thread.currentThread();
        long goal = Math.max(target, completed.get()) + OPS;
        target = goal;
        while (completed.get() < goal) {
            LockSupport.parkNanos(this, 1_000_000);
            if (failure != null) {
                throw new IllegalStateException("read failed: " + failure, failure);
            }
        }
        return goal;
    }

    @TearDown(Level.Iteration)
    public void printThreads() {
        ThreadCensus.Count c = threads.count();
        System.out.printf("%n[platform threads] api=%s vthreads=%d: live %d, peak %d, carriers %d%n", api, vthreads,
                c.live(), c.peak(), c.carriers());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        stopping = true;
        for (Thread t : readers) {
            if (!t.join(java.time.Duration.ofSeconds(30))) {
                throw new IllegalStateException(t + " did not stop");
            }
        }
        if (channel != null) {
            channel.close();
        }
        if (asyncChannel != null) {
            asyncChannel.close();
            asyncPool.shutdown();
            if (!asyncPool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the AsynchronousFileChannel's pool did not stop");
            }
        }
        if (file != null) {
            file.close();
        }
        if (engine != null) {
            System.out.printf("%n[registered buffers] api=%s: %s, %d of the reads READ_FIXED%n", api,
                    engine.registeredBuffers() ? "yes" : "no (" + engine.registeredBuffersRefusal() + ")",
                    engine.fixedBufferSlices());
            engine.close();
        }
    }
}
