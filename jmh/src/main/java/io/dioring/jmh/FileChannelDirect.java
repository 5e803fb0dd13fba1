package io.dioring.jmh;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Baseline: what a Java user gets from {@link FileChannel} opened with
 * {@link ExtendedOpenOption#DIRECT} — blocking positional pread/pwrite, one I/O per thread
 * at a time. "Queue depth" N means N threads ({@code @Threads}); JMH sums their throughput.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class FileChannelDirect {

    /** One channel shared by every thread (positional I/O is thread-safe). */
    @State(Scope.Benchmark)
    public static class Channel {
        FileChannel channel;

        @Setup(Level.Trial)
        public void open() throws IOException {
            channel = FileChannel.open(BenchFiles.dataFile(), StandardOpenOption.READ, StandardOpenOption.WRITE,
                    ExtendedOpenOption.DIRECT);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Each thread's aligned buffers and offset generator. */
    @State(Scope.Thread)
    public static class PerThread {
        final ByteBuffer block4k = BenchFiles.alignedBuffer(BenchFiles.BLOCK_4K);
        final ByteBuffer block1m = BenchFiles.alignedBuffer(BenchFiles.BLOCK_1M);
        final SplittableRandom random = new SplittableRandom(Thread.currentThread().threadId());
        long position;
    }

    private static int randomRead(Channel c, PerThread t) throws IOException {
        ByteBuffer b = t.block4k.clear();
        return c.channel.read(b, BenchFiles.randomOffset(t.random, BenchFiles.BLOCK_4K));
    }

    @Benchmark
    @Threads(1)
    public int randomRead4k_1thread(Channel c, PerThread t) throws IOException {
        return randomRead(c, t);
    }

    @Benchmark
    @Threads(32)
    public int randomRead4k_32threads(Channel c, PerThread t) throws IOException {
        return randomRead(c, t);
    }

    @Benchmark
    @Threads(1)
    public int sequentialRead1m(Channel c, PerThread t) throws IOException {
        ByteBuffer b = t.block1m.clear();
        int n = c.channel.read(b, t.position);
        t.position = t.position + BenchFiles.BLOCK_1M >= BenchFiles.FILE_BYTES ? 0 : t.position + BenchFiles.BLOCK_1M;
        return n;
    }

    @Benchmark
    @Threads(1)
    public int sequentialWrite1m(Channel c, PerThread t) throws IOException {
        ByteBuffer b = t.block1m.clear();
        int n = c.channel.write(b, t.position);
        t.position = t.position + BenchFiles.BLOCK_1M >= BenchFiles.FILE_BYTES ? 0 : t.position + BenchFiles.BLOCK_1M;
        return n;
    }
}
