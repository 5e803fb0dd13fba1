package io.dioring.jmh;

import io.dioring.DirectFile;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whether a registered file (IOSQE_FIXED_FILE: the ring's file table instead of the
 * process's fd table on every SQE) pays: 4 KiB random reads on an owned ring at depth
 * {@code qd}, buffers from the engine's pool (registered: READ_FIXED), with and without the
 * file registered. Run with {@code -prof io.dioring.jmh.CpuPerOp}: the saving, if any, is
 * CPU per read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
public class RegisteredFileRead extends OwnedRingLoad<MemorySegment> {
    static final int OPS = 1024;

    @Param({"32"})
    public int qd;

    @Param({"true", "false"})
    public boolean fixedFile;

    private IoEngine engine;
    private DirectFile file;
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        engine = IoEngine.create();
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        ring = engine.ownedRing(qd);
        MemorySegment[] buffers = new MemorySegment[qd];
        for (int i = 0; i < qd; i++) {
            buffers[i] = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
        }
        ring.registerBuffers(buffers);
        if (fixedFile) {
            ring.registerFile(file);
        }
        for (MemorySegment b : buffers) {
            issue(b);
        }
    }

    @Override
    void issue(MemorySegment b) {
        ring.read(file, BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K), b, b, this);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long randomRead4k() throws IOException {
        return completeMore(OPS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (ring.fixedIssued() == 0 || fixedFile != (ring.fixedFileIssued() > 0)) {
            throw new IllegalStateException("fixedFile = " + fixedFile + " but " + ring.fixedFileIssued()
                    + " SQEs carried IOSQE_FIXED_FILE, " + ring.fixedIssued() + " READ_FIXED");
        }
        stop();
        ring.close();
        file.close();
        engine.close();
    }
}
