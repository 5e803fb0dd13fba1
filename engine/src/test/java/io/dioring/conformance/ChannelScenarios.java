package io.dioring.conformance;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The FileChannel contract the OpenJDK's own tests ({@code test/jdk/java/nio/channels/FileChannel/})
 * check, written anew as scenarios over a {@link Door}: each runs on the JDK's channel (the
 * reference) and on every dioring door, in JUnit ({@link ChannelConformanceSuiteTest}) and in a
 * child JVM with dioring as the default provider ({@link DefaultProviderScenarios}).
 */
public final class ChannelScenarios {
    private ChannelScenarios() {}

    /** A scenario's body: {@code dir} is an empty platform directory of its own. */
    @FunctionalInterface
    public interface Body {
        void run(Door door, Path dir) throws Exception;
    }

    /** A named scenario. */
    public record Scenario(String name, Body body) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Every scenario, in a fixed order. */
    public static List<Scenario> all() {
        return List.of(
                new Scenario("appendFromTwoChannels", ChannelScenarios::appendFromTwoChannels),
                new Scenario("appendFromSixteenThreads", ChannelScenarios::appendFromSixteenThreads),
                new Scenario("sizeSeesOtherWriters", ChannelScenarios::sizeSeesOtherWriters),
                new Scenario("positionSizeTruncate", ChannelScenarios::positionSizeTruncate),
                new Scenario("transferFromBeyondEndGrowsTheFile", ChannelScenarios::transferFromBeyondEnd),
                new Scenario("transferFromIntoAppendWritesAtEnd", ChannelScenarios::transferFromIntoAppend),
                new Scenario("transferFromNonReadableSource", ChannelScenarios::transferFromNonReadable),
                new Scenario("transferToNonWritableTarget", ChannelScenarios::transferToNonWritable),
                new Scenario("transferToCopiesARange", ChannelScenarios::transferToCopiesARange),
                new Scenario("interruptDuringTransferToClosesBoth", ChannelScenarios::interruptDuringTransferTo),
                new Scenario("interruptDuringTransferFromClosesBoth", ChannelScenarios::interruptDuringTransferFrom),
                new Scenario("forcedWrites", ChannelScenarios::forcedWrites),
                new Scenario("mapSeesAndMakesWrites", ChannelScenarios::mapSeesAndMakesWrites),
                new Scenario("lockConflictsWithJdkLocks", ChannelScenarios::lockConflictsWithJdkLocks),
                new Scenario("lockSurvivesClosingAnotherDescriptor", ChannelScenarios::lockSurvivesOtherClose),
                new Scenario("lockChecks", ChannelScenarios::lockChecks));
    }

    static void appendFromTwoChannels(Door door, Path dir) throws Exception {
        Path f = dir.resolve("append2");
        try (FileChannel a = door.open(f, CREATE, APPEND); FileChannel b = door.open(f, CREATE, APPEND)) {
            for (int i = 0; i < 10; i++) {
                assertEquals(1, a.write(ByteBuffer.wrap(new byte[] {'a'})));
                assertEquals(1, b.write(ByteBuffer.wrap(new byte[] {'b'})));
            }
            assertEquals(20, a.size(), "size through the first channel");
            assertEquals(20, b.position(), "an APPEND channel's position is the size");
        }
        byte[] bytes = Files.readAllBytes(f);
        assertEquals("abababababababababab", new String(bytes, "US-ASCII"));
    }

    static void appendFromSixteenThreads(Door door, Path dir) throws Exception {
        Path f = dir.resolve("append16");
        int threads = 16;
        int records = 200;
        int recordBytes = 10;
        List<Future<?>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                byte id = (byte) ('A' + t);
                boolean heap = t % 2 == 0;
                futures.add(pool.submit(() -> {
                    try (FileChannel ch = door.open(f, CREATE, WRITE, APPEND)) {
                        for (int i = 0; i < records; i++) {
                            ByteBuffer rec = heap ? ByteBuffer.allocate(recordBytes) : ByteBuffer.allocateDirect(recordBytes);
                            while (rec.hasRemaining()) {
                                rec.put(id);
                            }
                            rec.flip();
                            ch.write(rec);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> fu : futures) {
                fu.get(60, TimeUnit.SECONDS);
            }
        }
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(threads * records * recordBytes, bytes.length, "no append lost");
        int[] counts = new int[threads];
        for (int r = 0; r < bytes.length; r += recordBytes) {
            for (int i = 1; i < recordBytes; i++) {
                assertEquals(bytes[r], bytes[r + i], "record at " + r + " is one thread's, whole");
            }
            counts[bytes[r] - 'A']++;
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(records, counts[t], "records of thread " + t);
        }
    }

    static void sizeSeesOtherWriters(Door door, Path dir) throws Exception {
        Path f = dir.resolve("size");
        Files.write(door.path(f), new byte[100]);
        try (FileChannel ch = door.open(f, READ, WRITE); FileChannel other = door.open(f, WRITE)) {
            assertEquals(100, ch.size());
            other.write(ByteBuffer.wrap(new byte[50]), 200);
            assertEquals(250, ch.size(), "a write through another channel");
            Files.write(f, new byte[7], APPEND); // through the JDK
            assertEquals(257, ch.size(), "a write through another descriptor");
            other.truncate(10);
            assertEquals(10, ch.size(), "a truncation through another channel");
        }
    }

    static void positionSizeTruncate(Door door, Path dir) throws Exception {
        Path f = dir.resolve("pst");
        try (FileChannel ch = door.open(f, CREATE, READ, WRITE)) {
            assertEquals(0, ch.size());
            assertEquals(100, ch.write(ByteBuffer.wrap(pattern(100))));
            assertEquals(100, ch.position());
            ch.position(50);
            ch.truncate(30);
            assertEquals(30, ch.size());
            assertEquals(30, ch.position(), "truncate clamps the position");
            ch.truncate(40);
            assertEquals(30, ch.size(), "truncate never grows");
            ch.position(60);
            assertEquals(-1, ch.read(ByteBuffer.allocate(4)), "read beyond the end");
            ch.write(ByteBuffer.wrap(new byte[] {9}));
            assertEquals(61, ch.size(), "a write beyond the end grows the file");
            ByteBuffer gap = ByteBuffer.allocate(31);
            assertEquals(31, ch.read(gap, 30));
            for (int i = 0; i < 30; i++) {
                assertEquals(0, gap.get(i), "the gap reads as zeros");
            }
            assertEquals(9, gap.get(30));
            assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
            assertThrows(IllegalArgumentException.class, () -> ch.position(-1));
        }
    }

    static void transferFromBeyondEnd(Door door, Path dir) throws Exception {
        Path f = dir.resolve("tfbeyond");
        Path src = dir.resolve("src");
        Files.write(door.path(f), pattern(10));
        Files.write(door.path(src), new byte[] {1, 2, 3, 4, 5});
        try (FileChannel ch = door.open(f, READ, WRITE); FileChannel in = door.open(src, READ)) {
            assertEquals(5, ch.transferFrom(in, 100, 5), "bytes transferred beyond the end (JDK 21+)");
            assertEquals(105, ch.size());
            assertEquals(0, ch.position(), "transferFrom leaves the position");
        }
        byte[] bytes = Files.readAllBytes(f);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, java.util.Arrays.copyOfRange(bytes, 100, 105));
    }

    static void transferFromIntoAppend(Door door, Path dir) throws Exception {
        Path f = dir.resolve("tfappend");
        Path src = dir.resolve("src");
        Files.write(door.path(f), pattern(10));
        Files.write(door.path(src), new byte[] {1, 2, 3, 4, 5});
        try (FileChannel ch = door.open(f, WRITE, APPEND); FileChannel in = door.open(src, READ)) {
            assertEquals(5, ch.transferFrom(in, 0, 5));
            assertEquals(15, ch.size(), "written at the end, not at position 0");
        }
        byte[] bytes = Files.readAllBytes(f);
        assertArrayEquals(pattern(10), java.util.Arrays.copyOf(bytes, 10), "the start untouched");
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, java.util.Arrays.copyOfRange(bytes, 10, 15));
    }

    static void transferFromNonReadable(Door door, Path dir) throws Exception {
        Path f = dir.resolve("tfnr");
        Path src = dir.resolve("src");
        Files.write(door.path(src), pattern(10));
        try (FileChannel ch = door.open(f, CREATE, WRITE); FileChannel in = door.open(src, WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> ch.transferFrom(in, 0, 10));
            assertThrows(NonReadableChannelException.class, () -> ch.transferFrom(in, 100, 10));
        }
        try (FileChannel ch = door.open(f, READ); FileChannel in = door.open(src, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ch.transferFrom(in, 0, 10));
        }
    }

    static void transferToNonWritable(Door door, Path dir) throws Exception {
        Path f = dir.resolve("ttnw");
        Path dst = dir.resolve("dst");
        Files.write(door.path(f), new byte[0]);
        Files.write(door.path(dst), pattern(3));
        try (FileChannel ch = door.open(f, READ); FileChannel out = door.open(dst, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ch.transferTo(0, 10, out), "nothing to transfer");
        }
        Files.write(f, pattern(10));
        try (FileChannel ch = door.open(f, READ); FileChannel out = door.open(dst, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ch.transferTo(0, 10, out));
        }
        try (FileChannel ch = door.open(f, WRITE); FileChannel out = door.open(dst, WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> ch.transferTo(0, 10, out));
        }
    }

    static void transferToCopiesARange(Door door, Path dir) throws Exception {
        Path f = dir.resolve("tt");
        Path dst = dir.resolve("dst");
        byte[] data = pattern(3 << 20);
        Files.write(door.path(f), data);
        try (FileChannel ch = door.open(f, READ); FileChannel out = door.open(dst, CREATE, WRITE)) {
            out.position(7);
            assertEquals(data.length - 1000, ch.transferTo(1000, Long.MAX_VALUE, out));
            assertEquals(7 + data.length - 1000, out.position(), "the target's position advances");
            assertEquals(0, ch.position(), "the source's position does not");
            assertEquals(0, ch.transferTo(data.length + 5, 10, out), "beyond the end");
        }
        byte[] copy = Files.readAllBytes(dst);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 1000, data.length),
                java.util.Arrays.copyOfRange(copy, 7, copy.length));
    }

    static void interruptDuringTransferTo(Door door, Path dir) throws Exception {
        Path f = dir.resolve("itt");
        Files.write(door.path(f), pattern(4 << 20));
        Pipe pipe = Pipe.open(); // nobody reads: the transfer blocks once the pipe is full
        try (FileChannel ch = door.open(f, READ); Pipe.SinkChannel sink = pipe.sink();
                Pipe.SourceChannel source = pipe.source()) {
            Throwable thrown = interruptWhileBlocked(() -> ch.transferTo(0, 4 << 20, sink));
            assertInstanceOf(ClosedByInterruptException.class, thrown);
            assertFalse(ch.isOpen(), "the file channel is closed");
            assertFalse(sink.isOpen(), "the pipe is closed");
        }
    }

    static void interruptDuringTransferFrom(Door door, Path dir) throws Exception {
        Path f = dir.resolve("itf");
        Pipe pipe = Pipe.open(); // nobody writes: the transfer blocks reading
        try (FileChannel ch = door.open(f, CREATE, WRITE); Pipe.SinkChannel sink = pipe.sink();
                Pipe.SourceChannel source = pipe.source()) {
            Throwable thrown = interruptWhileBlocked(() -> ch.transferFrom(source, 0, 1 << 20));
            assertInstanceOf(ClosedByInterruptException.class, thrown);
            assertFalse(ch.isOpen(), "the file channel is closed");
            assertFalse(source.isOpen(), "the pipe is closed");
        }
    }

    static void forcedWrites(Door door, Path dir) throws Exception {
        Path f = dir.resolve("force");
        try (FileChannel ch = door.open(f, CREATE, READ, WRITE)) {
            ch.write(ByteBuffer.wrap(pattern(5000)));
            ch.force(true);
            ch.write(ByteBuffer.wrap(pattern(10)), 5000);
            ch.force(false);
            assertEquals(5010, ch.size());
        }
        try (FileChannel ch = door.open(f, READ)) {
            ch.force(true); // allowed on a read-only channel, as the JDK
        }
        assertEquals(5010, Files.size(f));
    }

    static void mapSeesAndMakesWrites(Door door, Path dir) throws Exception {
        Path f = dir.resolve("map");
        try (FileChannel ch = door.open(f, CREATE, READ, WRITE)) {
            ch.write(ByteBuffer.wrap(pattern(8192)));
            MappedByteBuffer ro = ch.map(FileChannel.MapMode.READ_ONLY, 100, 1000);
            assertEquals(pattern(8192)[100], ro.get(0));
            MappedByteBuffer rw = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192);
            rw.put(5, (byte) 77);
            rw.force();
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, 5);
            assertEquals(77, one.get(0), "a channel read sees the mapping's write");
        }
        try (FileChannel ch = door.open(f, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 10));
        }
    }

    static void lockConflictsWithJdkLocks(Door door, Path dir) throws Exception {
        Path f = dir.resolve("lock");
        Files.write(door.path(f), pattern(100));
        try (FileChannel ch = door.open(f, READ, WRITE); FileChannel jdk = FileChannel.open(f, READ, WRITE)) {
            FileLock lock = ch.tryLock();
            assertNotNull(lock);
            assertTrue(lock.isValid());
            assertTrue(conflicts(jdk), "another channel cannot lock the file meanwhile");
            lock.release();
            assertFalse(lock.isValid());
            FileLock jdkLock = jdk.tryLock();
            assertNotNull(jdkLock, "free after release");
            jdkLock.release();
            FileLock closing = ch.lock(0, 10, false);
            ch.close();
            assertFalse(closing.isValid(), "closing the channel drops its locks");
            FileLock after = jdk.tryLock(0, 10, false);
            assertNotNull(after);
            after.release();
        }
    }

    static void lockSurvivesOtherClose(Door door, Path dir) throws Exception {
        Path f = dir.resolve("lockclose");
        Files.write(door.path(f), pattern(100));
        try (FileChannel ch = door.open(f, READ, WRITE)) {
            FileLock lock = ch.lock();
            try (FileChannel other = door.open(f, READ)) {
                other.size();
            }
            assertTrue(lock.isValid());
            if (door.isDioring()) {
                // OFD locks are the open file description's: closing another descriptor keeps them.
                try (FileChannel jdk = FileChannel.open(f, READ, WRITE)) {
                    assertTrue(conflicts(jdk), "still held after another descriptor closed");
                }
            }
            lock.release();
        }
    }

    static void lockChecks(Door door, Path dir) throws Exception {
        Path f = dir.resolve("lockchecks");
        Files.write(door.path(f), pattern(100));
        try (FileChannel ro = door.open(f, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ro.tryLock(0, 10, false));
            FileLock shared = ro.tryLock(0, 10, true);
            assertNotNull(shared);
            assertTrue(shared.isShared());
            assertThrows(OverlappingFileLockException.class, () -> ro.tryLock(5, 10, true));
            shared.release();
        }
        try (FileChannel wo = door.open(f, WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> wo.tryLock(0, 10, true));
            assertThrows(IllegalArgumentException.class, () -> wo.tryLock(-1, 10, false));
        }
    }

    // ---- helpers -------------------------------------------------------------------------

    /** Whether {@code jdk} cannot take an exclusive lock now (null, or the JDK's same-JVM refusal). */
    private static boolean conflicts(FileChannel jdk) throws Exception {
        try {
            FileLock l = jdk.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        }
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private static Throwable failureOf(Action a) {
        try {
            a.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Runs {@code a} in a thread, interrupts it once it blocks, and gives what it threw; asserts its interrupt status. */
    private static Throwable interruptWhileBlocked(Action a) throws Exception {
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            Throwable thrown = failureOf(a);
            interrupted.set(Thread.currentThread().isInterrupted());
            outcome.complete(thrown);
        });
        waitUntilBlocked(t);
        t.interrupt();
        Throwable thrown = outcome.get(30, TimeUnit.SECONDS);
        assertTrue(interrupted.get(), "the interrupt status stays set");
        return thrown;
    }

    private static void waitUntilBlocked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Thread.sleep(200);
        while (t.getState() == Thread.State.RUNNABLE && System.nanoTime() < deadline) {
            StackTraceElement[] stack = t.getStackTrace();
            if (stack.length > 0 && stack[0].isNativeMethod()) {
                break; // blocked in a native pipe read or write
            }
            Thread.sleep(20);
        }
        Thread.sleep(100);
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }
}
