package io.dioring.jmh;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What ordering against in-flight writes costs under load (the trust issue's "16,000
 * requests overlapping in-flight writes"): one batch is {@code requests} 4 KiB reads
 * submitted at once, each either overlapping one of {@code writes} writes submitted just
 * before it (so it is held until that write completes) or on blocks no write touches, and
 * the batch ends when the last read completes. The time per batch, overlapping against
 * plain, is the cost of the holds.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@State(Scope.Thread)
public class OrderingHolds {
    @Param({"16000"})
    public int requests;

    @Param({"8"})
    public int writes;

    @Param({"true", "false"})
    public boolean overlapping;

    private IoEngine engine;
    private DirectFile file;
    private MemorySegment[] readBuffers;
    private MemorySegment writeBuffer;
    private final AtomicInteger left = new AtomicInteger();
    private volatile Thread waiter;
    private final CompletionHandler<Object> done = new CompletionHandler<>() {
        @Override
        public void completed(long bytes, Object attachment) {
            finished();
        }

        @Override
        public void failed(Throwable t, Object attachment) {
            finished();
        }
    };

    @Setup
    public void setUp() throws IOException {
        engine = IoEngine.create(EngineConfig.defaults().withCompletionMode(CompletionMode.INLINE));
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        readBuffers = new MemorySegment[requests];
        for (int i = 0; i < requests; i++) {
            readBuffers[i] = engine.buffers().allocate(BenchFiles.BLOCK_4K);
        }
        writeBuffer = engine.buffers().allocate(BenchFiles.BLOCK_4K);
    }

    private void finished() {
        if (left.decrementAndGet() == 0) {
            LockSupport.unpark(waiter);
        }
    }

    @Benchmark
    public int batch() {
        waiter = Thread.currentThread();
        left.set(requests + writes);
        long blocks = BenchFiles.FILE_BYTES / BenchFiles.BLOCK_4K;
        for (int w = 0; w < writes; w++) {
            file.write((long) w * BenchFiles.BLOCK_4K, writeBuffer, null, done);
        }
        for (int i = 0; i < requests; i++) {
            // Overlapping: on one of the blocks being written. Plain: on blocks no write touches.
            long block = overlapping ? i % writes : writes + (i % (blocks - writes));
            file.read(block * BenchFiles.BLOCK_4K, readBuffers[i], null, done);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (left.get() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(left.get() + " requests still pending after 60 s");
            }
            LockSupport.parkNanos(1_000_000);
        }
        return requests;
    }

    @TearDown
    public void tearDown() {
        file.close();
        engine.close();
    }
}
