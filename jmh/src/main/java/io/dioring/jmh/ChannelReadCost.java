package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * What one {@code FileChannel.read(buffer, position)} costs its caller, one thread, the
 * JDK's channel ({@code platform*}) against dioring's through its file system
 * ({@code dioring*}), in the two shapes Lucene's directories read:
 * <ul>
 *   <li>{@code platform}, {@code dioring}: buffered, the page cache warm, 1 KiB into a heap
 *       buffer ({@code ByteBuffer.wrap}) at any offset, as {@code NIOFSDirectory}'s
 *       {@code BufferedIndexInput} does;
 *   <li>{@code platformDirect}, {@code dioringDirect}: O_DIRECT, 8 KiB into an aligned direct
 *       buffer at aligned offsets, as {@code DirectIODirectory} does.
 * </ul>
 * Average time per read (with {@code -prof gc}, bytes allocated per read). The file is
 * {@link BenchFiles#dataFile()} ({@code -Ddioring.jmh.dir}); the buffered reads stay within
 * its first {@value #CACHED_SPAN} bytes, read once at setup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
public class ChannelReadCost {
    static final int CACHED_SPAN = 16 << 20;

    @Param({"platform", "dioring", "platformDirect", "dioringDirect"})
    public String store;

    private IoEngine engine;
    private FileSystem fileSystem;
    private FileChannel channel;
    private ByteBuffer buffer;
    private final SplittableRandom random = new SplittableRandom(3);
    private boolean direct;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path file = BenchFiles.dataFile();
        direct = store.endsWith("Direct");
        if (store.startsWith("dioring")) {
            engine = IoEngine.create(BenchFiles.engineConfig());
            fileSystem = engine.fileSystem();
            file = fileSystem.getPath(file.toString());
        }
        channel = direct
                ? FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                : FileChannel.open(file, StandardOpenOption.READ);
        buffer = direct ? BenchFiles.alignedBuffer(8192) : ByteBuffer.wrap(new byte[1024]);
        if (!direct) {
            ByteBuffer warm = ByteBuffer.allocate(1 << 20);
            for (long p = 0; p < CACHED_SPAN; p += warm.capacity()) {
                warm.clear();
                channel.read(warm, p);
            }
        }
    }

    @Benchmark
    public int read() throws IOException {
        buffer.clear();
        long position = direct ? BenchFiles.randomOffset(random, 8192) : random.nextLong(CACHED_SPAN - 1024);
        return channel.read(buffer, position);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        channel.close();
        if (fileSystem != null) {
            fileSystem.close();
        }
        if (engine != null) {
            engine.close();
        }
    }
}
