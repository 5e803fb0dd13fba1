package io.dioring.jmh;

import io.dioring.DirectFile;
import io.dioring.DirectIoPolicy;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the JFR events cost per request: 4 KiB random reads answered by the page cache
 * (buffered, {@link DirectIoPolicy#OFF}, within the first {@link #HOT_BYTES} of the data
 * file), so the engine's CPU time per request is what is measured, not the disk.
 * Owner-driven ({@link OwnedRing}), {@code qd} in flight, handlers inline.
 *
 * <p>Run it without JFR, then with the events at threshold 0 (every request recorded):
 * <pre>
 * java -jar jmh/target/benchmarks.jar JfrEventCost -f 1 -wi 1 -w 2 -i 3 -r 3
 * java -jar jmh/target/benchmarks.jar JfrEventCost -f 1 -wi 1 -w 2 -i 3 -r 3 -jvmArgsAppend \
 *   "-XX:StartFlightRecording:settings=none,+io.dioring.FileRead#enabled=true,+io.dioring.FileRead#threshold=0ms"
 * </pre>
 * It uses the public API only, so it also runs against a build without the events.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class JfrEventCost extends OwnedRingLoad<MemorySegment> {
    static final int OPS = 1024;
    /** Reads stay in this much of the file, read once at setup, so the page cache holds it. */
    static final long HOT_BYTES = 16L << 20;

    @Param({"1", "32"})
    public int qd;

    private IoEngine engine;
    private DirectFile file;
    private final SplittableRandom random = new SplittableRandom(11);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        engine = IoEngine.create();
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ, DirectIoPolicy.OFF);
        ring = engine.ownedRing(qd);
        MemorySegment warm = engine.buffers().allocate(BenchFiles.BLOCK_1M);
        for (long offset = 0; offset < HOT_BYTES; offset += BenchFiles.BLOCK_1M) {
            file.readFully(offset, warm);
        }
        for (int i = 0; i < qd; i++) {
            issue(engine.buffers().allocate(BenchFiles.BLOCK_4K));
        }
    }

    @Override
    void issue(MemorySegment buffer) {
        long offset = random.nextLong(HOT_BYTES / BenchFiles.BLOCK_4K) * BenchFiles.BLOCK_4K;
        ring.read(file, offset, buffer, buffer, this);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long cachedRandomRead4k() {
        return completeMore(OPS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stop();
        ring.close();
        file.close();
        engine.close();
    }
}
