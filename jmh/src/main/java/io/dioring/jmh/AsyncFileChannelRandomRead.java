package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
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
 * Baseline: {@link AsynchronousFileChannel} with O_DIRECT and 4096-aligned direct buffers,
 * {@code qd} reads in flight, each completion handler resubmitting its buffer (on Linux
 * the JDK runs blocking preads on its default thread pool).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class AsyncFileChannelRandomRead implements CompletionHandler<Integer, ByteBuffer> {
    static final int OPS = 1024;

    @Param({"1", "32", "128"})
    public int qd;

    private AsynchronousFileChannel channel;
    private final AtomicLong completed = new AtomicLong();
    private final SplittableRandom random = new SplittableRandom(17);
    private volatile long target;
    private volatile Thread waiter;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private final AtomicLong inFlight = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        channel = AsynchronousFileChannel.open(BenchFiles.dataFile(), StandardOpenOption.READ,
                ExtendedOpenOption.DIRECT);
        waiter = Thread.currentThread();
        for (int i = 0; i < qd; i++) {
            issue(BenchFiles.alignedBuffer(BenchFiles.BLOCK_4K));
        }
    }

    private void issue(ByteBuffer buffer) {
        long offset;
        synchronized (random) { // handlers run on several pool threads
            offset = BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K);
        }
        inFlight.incrementAndGet();
        channel.read(buffer.clear(), offset, buffer, this);
    }

    @Override
    public void completed(Integer bytes, ByteBuffer buffer) {
        long c = completed.incrementAndGet();
        if (!stopping) {
            issue(buffer); // counted in flight before this one is counted out, so tearDown never sees 0 early
        }
        inFlight.decrementAndGet();
        if (c >= target) {
            LockSupport.unpark(waiter);
        }
    }

    @Override
    public void failed(Throwable t, ByteBuffer buffer) {
        inFlight.decrementAndGet();
        failure = t;
        completed.incrementAndGet();
        LockSupport.unpark(waiter);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long randomRead4k() {
        long t = target + OPS;
        target = t;
        while (completed.get() < t) {
            LockSupport.park(this);
            if (failure != null) {
                throw new IllegalStateException("read failed: " + failure.getMessage(), failure);
            }
        }
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        stopping = true;
        while (inFlight.get() > 0) {
            LockSupport.parkNanos(100_000);
        }
        channel.close();
    }
}
