package io.dioring.jmh;

import io.dioring.DirectFile;
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
 * 4 KiB random reads on dioring's owner-driven path ({@link OwnedRing}): one thread keeps
 * {@code qd} reads in flight, completion handlers run inline and resubmit their slot.
 * Nothing is allocated per read (see {@code -prof gc}: gc.alloc.rate.norm per op).
 * The pipeline stays full across invocations; each invocation counts {@link #OPS} reads.
 * With {@code fixedBuffers} the slots' buffers are registered with the ring, so each read
 * goes out as READ_FIXED.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class OwnedRingRandomRead extends OwnedRingLoad<OwnedRingRandomRead.Slot> {
    static final int OPS = 1024;

    @Param({"1", "32", "128"})
    public int qd;

    @Param({"true", "false"})
    public boolean fixedBuffers;

    static final class Slot {
        MemorySegment buffer;
    }

    private IoEngine engine;
    private DirectFile file;
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        engine = IoEngine.create();
        file = engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        ring = engine.ownedRing(qd);
        Slot[] slots = new Slot[qd];
        MemorySegment[] buffers = new MemorySegment[qd];
        for (int i = 0; i < qd; i++) {
            slots[i] = new Slot();
            slots[i].buffer = buffers[i] = engine.buffers().allocateFor(file, BenchFiles.BLOCK_4K);
        }
        if (fixedBuffers) {
            ring.registerBuffers(buffers);
        }
        for (Slot s : slots) {
            issue(s);
        }
    }

    @Override
    void issue(Slot s) {
        ring.read(file, BenchFiles.randomOffset(random, BenchFiles.BLOCK_4K), s.buffer, s, this);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long randomRead4k() {
        return completeMore(OPS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (fixedBuffers && ring.fixedIssued() == 0) {
            throw new IllegalStateException("fixedBuffers = true but no read went out as READ_FIXED");
        }
        stop();
        ring.close();
        file.close();
        engine.close();
    }
}
