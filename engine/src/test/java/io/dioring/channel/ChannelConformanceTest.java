package io.dioring.channel;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dioring.Kernel;
import io.dioring.DirectIoPolicy;
import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same seeded random sequence of operations on a JDK {@link FileChannel} and on
 * {@link IoEngine#openChannel}, each over its own copy of one file: every return value,
 * buffer position, byte read, channel position and size must match after every operation,
 * and the files must hold the same bytes at the end. The seed is printed; rerun one with
 * {@code -Ddioring.channel.seed=N}.
 */
class ChannelConformanceTest {
    private static final int OPERATIONS = 3000;
    private static final int MAX_BUFFER = 12 << 10;
    private static final int INITIAL_BYTES = 40_000;

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
    }

    /** With O_DIRECT (alignment units, read-modify-write) and without (page cache, bounce copies only). */
    @ParameterizedTest
    @EnumSource(value = DirectIoPolicy.class, names = {"REQUIRED", "OFF"})
    void aRandomSequenceOfOperationsGivesWhatTheJdkGives(DirectIoPolicy policy) throws IOException {
        long seed = Long.getLong("dioring.channel.seed", System.nanoTime());
        System.out.println("ChannelConformanceTest " + policy + " seed " + seed + " (-Ddioring.channel.seed=" + seed
                + " reruns it)");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] initial = new byte[INITIAL_BYTES];
        random.nextBytes(initial);
        Path jdkPath = dir.resolve("jdk.dat");
        Path ourPath = dir.resolve("dioring.dat");
        Files.write(jdkPath, initial);
        Files.write(ourPath, initial);
        int[] counts = new int[Op.values().length];
        try (IoEngine engine = IoEngine.create();
                FileChannel jdk = FileChannel.open(jdkPath, READ, WRITE, CREATE);
                FileChannel ours = engine.openChannel(ourPath, READ, WRITE, CREATE, policy)) {
            DirectFileChannel direct = (DirectFileChannel) ours;
            assertEquals(policy == DirectIoPolicy.REQUIRED, direct.file().isDirect(), "O_DIRECT as asked");
            System.out.println("offset alignment " + direct.file().offsetAlignment() + ", memory alignment "
                    + direct.file().memoryAlignment());
            Step step = new Step(random, jdk, ours, seed);
            for (int i = 0; i < OPERATIONS; i++) {
                Op op = Op.values()[random.nextInt(Op.values().length)];
                counts[op.ordinal()]++;
                step.run(i, op);
            }
        }
        byte[] expected = Files.readAllBytes(jdkPath);
        byte[] actual = Files.readAllBytes(ourPath);
        assertEquals(expected.length, actual.length, "file length at the end, seed " + seed);
        assertArrayEquals(expected, actual, "file bytes at the end, seed " + seed);
        StringBuilder summary = new StringBuilder("ran");
        for (Op op : Op.values()) {
            summary.append(' ').append(op).append('=').append(counts[op.ordinal()]);
        }
        System.out.println(summary + "; final size " + actual.length);
    }

    enum Op {
        POSITIONAL_READ, RELATIVE_READ, SCATTERING_READ, POSITIONAL_WRITE, RELATIVE_WRITE, GATHERING_WRITE,
        TRUNCATE, FORCE, SET_POSITION
    }

    /** One operation on both channels, compared. */
    private static final class Step {
        private final SplittableRandom random;
        private final FileChannel jdk;
        private final FileChannel ours;
        private final long seed;

        Step(SplittableRandom random, FileChannel jdk, FileChannel ours, long seed) {
            this.random = random;
            this.jdk = jdk;
            this.ours = ours;
            this.seed = seed;
        }

        void run(int index, Op op) throws IOException {
            String what = "op " + index + " " + op + " (seed " + seed + ")";
            long size = jdk.size();
            switch (op) {
                case POSITIONAL_READ -> {
                    long at = offset(size);
                    BufferPair b = BufferPair.random(random, false);
                    what += " at " + at + " into " + b;
                    assertEquals(jdk.read(b.jdk, at), ours.read(b.ours, at), what + ": result");
                    b.assertSame(what);
                }
                case RELATIVE_READ -> {
                    BufferPair b = BufferPair.random(random, false);
                    what += " at position " + jdk.position() + " into " + b;
                    assertEquals(jdk.read(b.jdk), ours.read(b.ours), what + ": result");
                    b.assertSame(what);
                }
                case SCATTERING_READ -> {
                    BufferPair[] bs = BufferPair.array(random, false);
                    int offset = random.nextInt(bs.length);
                    int length = random.nextInt(bs.length - offset + 1);
                    what += " at position " + jdk.position() + " into " + Arrays.toString(bs) + " [" + offset + ", +"
                            + length + ")";
                    assertEquals(jdk.read(BufferPair.jdk(bs), offset, length),
                            ours.read(BufferPair.ours(bs), offset, length), what + ": result");
                    for (BufferPair b : bs) {
                        b.assertSame(what);
                    }
                }
                case POSITIONAL_WRITE -> {
                    long at = offset(size);
                    BufferPair b = BufferPair.random(random, true);
                    what += " at " + at + " from " + b;
                    assertEquals(jdk.write(b.jdk, at), ours.write(b.ours, at), what + ": result");
                    b.assertSame(what);
                }
                case RELATIVE_WRITE -> {
                    BufferPair b = BufferPair.random(random, true);
                    what += " at position " + jdk.position() + " from " + b;
                    assertEquals(jdk.write(b.jdk), ours.write(b.ours), what + ": result");
                    b.assertSame(what);
                }
                case GATHERING_WRITE -> {
                    BufferPair[] bs = BufferPair.array(random, true);
                    int offset = random.nextInt(bs.length);
                    int length = random.nextInt(bs.length - offset + 1);
                    what += " at position " + jdk.position() + " from " + Arrays.toString(bs) + " [" + offset + ", +"
                            + length + ")";
                    assertEquals(jdk.write(BufferPair.jdk(bs), offset, length),
                            ours.write(BufferPair.ours(bs), offset, length), what + ": result");
                    for (BufferPair b : bs) {
                        b.assertSame(what);
                    }
                }
                case TRUNCATE -> {
                    // Mostly shrinking a little, sometimes to an aligned size, sometimes beyond the end (a no-op).
                    long to = switch (random.nextInt(4)) {
                        case 0 -> size + random.nextInt(4096);
                        case 1 -> size / 4096 * 4096;
                        default -> Math.max(0, size - random.nextInt(8192));
                    };
                    if (size < 8192) {
                        to = size + random.nextInt(100); // do not let the file vanish for good
                    }
                    what += " to " + to + " (size " + size + ", position " + jdk.position() + ")";
                    jdk.truncate(to);
                    ours.truncate(to);
                }
                case FORCE -> {
                    boolean meta = random.nextBoolean();
                    jdk.force(meta);
                    ours.force(meta);
                }
                case SET_POSITION -> {
                    long to = offset(size);
                    what += " to " + to;
                    jdk.position(to);
                    ours.position(to);
                }
            }
            assertEquals(jdk.position(), ours.position(), what + ": position after");
            assertEquals(jdk.size(), ours.size(), what + ": size after");
        }

        /** An offset in or a little beyond the file; a third of them multiples of 4096. */
        private long offset(long size) {
            long at = random.nextLong(size + 9000);
            return random.nextInt(3) == 0 ? at / 4096 * 4096 : at;
        }
    }

    /** Two buffers of the same kind, capacity, position, limit and contents: one per channel. */
    private record BufferPair(String kind, ByteBuffer jdk, ByteBuffer ours) {
        static BufferPair random(SplittableRandom random, boolean forWrite) {
            int kind = random.nextInt(forWrite ? 4 : 3);
            boolean aligned = random.nextInt(3) == 0;
            int capacity = aligned ? 4096 * (1 + random.nextInt(3)) : random.nextInt(MAX_BUFFER + 1);
            int position = aligned ? 0 : random.nextInt(capacity + 1);
            int limit = aligned ? capacity : position + random.nextInt(capacity - position + 1);
            byte[] contents = new byte[capacity];
            random.nextBytes(contents);
            ByteBuffer a = make(kind, capacity, random.nextInt(16));
            ByteBuffer b = make(kind, capacity, random.nextInt(16));
            a.put(0, contents).position(position).limit(limit);
            b.put(0, contents).position(position).limit(limit);
            String name = switch (kind) {
                case 0 -> "heap";
                case 1 -> "direct(unaligned address)";
                case 2 -> "direct(4096-aligned)";
                default -> "heap read-only";
            };
            if (kind == 3) {
                a = a.asReadOnlyBuffer();
                b = b.asReadOnlyBuffer();
            }
            return new BufferPair(name + " cap " + capacity + " pos " + position + " lim " + limit, a, b);
        }

        static BufferPair[] array(SplittableRandom random, boolean forWrite) {
            BufferPair[] bs = new BufferPair[1 + random.nextInt(4)];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = random(random, forWrite);
            }
            return bs;
        }

        private static ByteBuffer make(int kind, int capacity, int skew) {
            return switch (kind) {
                case 1 -> ByteBuffer.allocateDirect(capacity + 16).position(1 + skew % 15).slice().limit(capacity)
                        .slice();
                case 2 -> ChannelTests.alignedDirect(capacity);
                // a heap buffer at offset 0 of its array, or a slice of one (arrayOffset 1-15)
                default -> skew % 2 == 0 ? ByteBuffer.allocate(capacity)
                        : ByteBuffer.allocate(capacity + 16).position(1 + skew % 15).slice().limit(capacity).slice();
            };
        }

        static ByteBuffer[] jdk(BufferPair[] bs) {
            return Arrays.stream(bs).map(BufferPair::jdk).toArray(ByteBuffer[]::new);
        }

        static ByteBuffer[] ours(BufferPair[] bs) {
            return Arrays.stream(bs).map(BufferPair::ours).toArray(ByteBuffer[]::new);
        }

        void assertSame(String what) {
            assertEquals(jdk.position(), ours.position(), what + ": buffer position after");
            assertEquals(jdk.limit(), ours.limit(), what + ": buffer limit after");
            byte[] x = new byte[jdk.position()];
            byte[] y = new byte[ours.position()];
            jdk.get(0, x);
            ours.get(0, y);
            assertArrayEquals(x, y, what + ": buffer bytes before its position after");
        }

        @Override
        public String toString() {
            return kind;
        }
    }
}
