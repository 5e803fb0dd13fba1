package io.dioring.jmh;

import io.dioring.DirectFile;
import io.dioring.IoBatch;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread reading batches of {@link #BATCH} random 4 KiB O_DIRECT blocks of the benchmark
 * file ({@link BenchFiles}) with {@link IoBatch}: each invocation adds 32 reads to a reused
 * batch, submits them (one io_uring_enter) and waits for all of them. The score is reads per
 * second. The JDK's answer to the same need is 32 threads doing blocking reads
 * ({@link FileChannelDirect#randomRead4k_32threads}); run both in one JMH run:
 * <pre>
 * java -jar jmh/target/benchmarks.jar 'BatchRandomRead|FileChannelDirect.randomRead4k_32threads' \
 *     -prof io.dioring.jmh.CpuPerOp -jvmArgsAppend '--enable-native-access=ALL-UNNAMED -Ddioring.jmh.dir=DIR'
 * </pre>
 * {@code scripts/batch-compare.sh} compares it with fio (io_uring, one job, iodepth 32).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class BatchRandomRead {
    static final int BATCH = 32;

    private IoEngine engine;
    private DirectFile file;
    private IoBatch batch;
    private final MemorySegment[] buffers = new MemorySegment[BATCH];
    /** For randomRead4k_2x32: two batches, one in flight while the other is refilled. */
    private final IoBatch[] pair = new IoBatch[2];
    private final MemorySegment[][] pairBuffers = new MemorySegment[2][BATCH];
    private final boolean[] inFlight = new boolean[2];
    private int turn;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        engine = IoEngine.create(BenchFiles.engineConfig());
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        batch = IoBatch.of(file, BATCH);
        for (int i = 0; i < BATCH; i++) {
            buffers[i] = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
        }
        for (int k = 0; k < 2; k++) {
            pair[k] = IoBatch.of(file, BATCH);
            for (int i = 0; i < BATCH; i++) {
                pairBuffers[k][i] = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randomRead4k_batch32() throws IOException {
        IoBatch b = batch.clear();
        for (int i = 0; i < BATCH; i++) {
            b.read(BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K), buffers[i]);
        }
        if (b.submitAndWait() != 0) {
            for (int i = 0; i < BATCH; i++) {
                b.result(i); // throws the first failure
            }
        }
        return b.result(BATCH - 1);
    }

    /**
     * The same from one thread with two batches of 32 in flight ({@link IoBatch#submit()} /
     * {@link IoBatch#await()}): while one is in the kernel the other is awaited and refilled,
     * so the device never runs dry between batches (between 32 and 64 reads in flight).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randomRead4k_2x32() throws IOException {
        int k = turn;
        turn ^= 1;
        IoBatch b = pair[k];
        long last = 0;
        if (inFlight[k]) {
            inFlight[k] = false;
            if (b.await() != 0) {
                for (int i = 0; i < BATCH; i++) {
                    b.result(i); // throws the first failure
                }
            }
            last = b.result(BATCH - 1);
        }
        b.clear();
        for (int i = 0; i < BATCH; i++) {
            b.read(BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K), pairBuffers[k][i]);
        }
        b.submit();
        inFlight[k] = true;
        return last;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (int k = 0; k < 2; k++) {
            if (inFlight[k]) {
                inFlight[k] = false;
                pair[k].await(); // JMH runs a one-thread benchmark's trial on one thread: the submitter
            }
        }
        if (file != null) {
            file.close();
        }
        if (engine != null) {
            engine.close();
        }
    }
}
