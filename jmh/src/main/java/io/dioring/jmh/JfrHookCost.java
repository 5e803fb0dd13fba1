package io.dioring.jmh;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.DirectIoPolicy;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JFR hooks of a request (its event begun at submission, ended and maybe committed at
 * its result) seen through the public API: the cheapest request the engine makes, a
 * zero-length read on an {@link OwnedRing} (one in flight, its handler inline, the kernel
 * answering at once), in nanoseconds per request. Run it without JFR, with the events
 * enabled at their default 20 ms threshold (begun and ended, not committed) and at
 * threshold 0 (every one committed); the differences between the three are what the hooks
 * add to a request:
 * <pre>
 * java -jar jmh/target/benchmarks.jar JfrHookCost -f 1 -wi 1 -w 2 -i 3 -r 3
 * ... -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -XX:StartFlightRecording:settings=none,+io.dioring.FileRead#enabled=true"
 * ... -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -XX:StartFlightRecording:settings=none,+io.dioring.FileRead#enabled=true,+io.dioring.FileRead#threshold=0ms"
 * </pre>
 * ({@code -jvmArgsAppend} replaces the {@code @Fork}'s, hence the native-access option.)
 * {@link JfrEventCost} does the same for 4 KiB reads from the page cache.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class JfrHookCost implements CompletionHandler<Void> {
    private Path path;
    private IoEngine engine;
    private DirectFile file;
    private OwnedRing ring;
    private MemorySegment empty;
    private long completed;
    private Throwable failure;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        path = Files.createTempFile("dioring-jfr-hook-cost", ".dat");
        Files.write(path, new byte[BenchFiles.BLOCK_4K]);
        engine = IoEngine.create();
        file = engine.open(path, StandardOpenOption.READ, DirectIoPolicy.OFF);
        ring = engine.ownedRing(1);
        // Zero bytes at an aligned address: nothing to copy, the kernel answers the read at once.
        empty = engine.buffers().allocate(BenchFiles.BLOCK_4K).asSlice(0, 0);
    }

    @Override
    public void completed(long bytes, Void attachment) {
        completed++;
    }

    @Override
    public void failed(Throwable t, Void attachment) {
        failure = t;
    }

    /** One zero-length read, submitted and reaped on this thread. */
    @Benchmark
    public long emptyRead() {
        long before = completed;
        ring.read(file, 0, empty, null, this);
        while (completed == before) {
            ring.await(1);
            if (failure != null) {
                throw new IllegalStateException("read failed: " + failure.getMessage(), failure);
            }
        }
        return completed;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        ring.close();
        file.close();
        engine.close();
        Files.deleteIfExists(path);
    }
}
