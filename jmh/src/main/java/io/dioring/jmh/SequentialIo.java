package io.dioring.jmh;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.StandardOpenOption;
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
 * 1 MiB sequential reads and writes on dioring's owner-driven path, {@code qd} in flight,
 * wrapping around the file. Writes overwrite existing blocks (non-extending, asynchronous).
 * Score: 1 MiB operations per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class SequentialIo extends OwnedRingLoad<MemorySegment> {
    static final int OPS = 64;

    @Param({"1", "8"})
    public int qd;

    @Param({"read", "write"})
    public String rw;

    private IoEngine engine;
    private DirectFile file;
    private boolean write;
    private long position;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        write = switch (rw) {
            case "read" -> false;
            case "write" -> true;
            default -> throw new IllegalArgumentException("rw " + rw + ": expected read or write");
        };
        engine = IoEngine.create();
        file = write ? engine.open(BenchFiles.dataFile(), StandardOpenOption.READ, StandardOpenOption.WRITE)
                : engine.open(BenchFiles.dataFile(), StandardOpenOption.READ);
        ring = engine.ownedRing(qd);
        for (int i = 0; i < qd; i++) {
            MemorySegment buffer = engine.buffers().allocateFor(file, BenchFiles.BLOCK_1M);
            for (long p = 0; p < buffer.byteSize(); p += 8) {
                buffer.set(ValueLayout.JAVA_LONG, p, p * 0x9E3779B97F4A7C15L + i);
            }
            issue(buffer);
        }
    }

    @Override
    String what() {
        return rw;
    }

    @Override
    void issue(MemorySegment buffer) {
        long at = position;
        position = at + BenchFiles.BLOCK_1M >= BenchFiles.FILE_BYTES ? 0 : at + BenchFiles.BLOCK_1M;
        if (write) {
            ring.write(file, at, buffer, buffer, this);
        } else {
            ring.read(file, at, buffer, buffer, this);
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long sequential1m() {
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
