package io.dioring.jmh;

import io.dioring.DioAlignment;
import io.dioring.file.FileState;
import io.dioring.jfr.IoEvents;
import io.dioring.request.IoRequest;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The two JFR hooks of one read request alone ({@link IoEvents#submitted} then
 * {@link IoEvents#completed}), in nanoseconds: what the events add to every request,
 * isolated from the I/O (see {@link JfrEventCost} for whole requests). Run without JFR,
 * with the events enabled at their default 20 ms threshold (begun and ended, not
 * committed), and at threshold 0 (every one committed):
 * <pre>
 * java -jar jmh/target/benchmarks.jar JfrHookCost -f 1 -wi 1 -w 2 -i 3 -r 3
 * ... -jvmArgsAppend "-XX:StartFlightRecording:settings=none,+io.dioring.FileRead#enabled=true"
 * ... -jvmArgsAppend "-XX:StartFlightRecording:settings=none,+io.dioring.FileRead#enabled=true,+io.dioring.FileRead#threshold=0ms"
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class JfrHookCost {
    private IoRequest request;

    @Setup
    public void setUp() {
        FileState file = new FileState(-1, Path.of("/tmp/dioring-jfr-hook-cost"), true, true, false,
                DioAlignment.none(), 1 << 20, 1 << 20);
        request = new IoRequest().set(IoRequest.READ, file, 4096, MemorySegment.ofArray(new byte[4096]), -1);
        request.result = 4096;
    }

    @Benchmark
    public IoRequest submittedThenCompleted() {
        IoEvents.submitted(request);
        IoEvents.completed(request, IoEvents.IO_URING);
        return request;
    }
}
