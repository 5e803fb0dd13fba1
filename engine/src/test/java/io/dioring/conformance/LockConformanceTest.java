package io.dioring.conformance;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.IoEngine;
import io.dioring.Kernel;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Locks between channels of one JVM, as the JDK's {@code FileChannel} has them (its
 * {@code FileLockTable}): a lock or tryLock overlapping a lock another channel of the JVM
 * holds on the same file throws {@link OverlappingFileLockException} at once, shared or not,
 * whichever name opened the file; a lock released, or its channel closed, frees the range.
 * Each case runs through every in-process door, the JDK's channel first (the reference).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockConformanceTest {
    static final java.util.List<String> DOORS = Doors.IN_PROCESS;

    private static IoEngine engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        Kernel.assumeIoUring();
        engine = IoEngine.create();
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    private Path file(Door door, String name) throws Exception {
        Path f = dir.resolve(name);
        Files.write(door.path(f), ChannelScenarios.pattern(100));
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOORS")
    void anOverlappingLockFromAnotherChannelThrows(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = file(door, "overlap");
        try (FileChannel a = door.open(f, READ, WRITE); FileChannel b = door.open(f, READ, WRITE)) {
            FileLock held = a.tryLock(0, 10, false);
            assertNotNull(held);
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(5, 10, false));
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(0, 1, true), "shared or not");
            assertThrows(OverlappingFileLockException.class, () -> b.lock(9, 1, false), "lock throws, it does not wait");
            assertThrows(OverlappingFileLockException.class, () -> b.lock(), "the whole file overlaps");
            FileLock beside = b.tryLock(10, 10, false);
            assertNotNull(beside, "a range beside it is free");
            beside.release();
            held.release();
            FileLock after = b.tryLock(5, 10, false);
            assertNotNull(after, "free once released");
            assertThrows(OverlappingFileLockException.class, () -> a.tryLock(0, 10, true), "and now the other way");
            after.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOORS")
    void sharedLocksOfTwoChannelsOverlapToo(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = file(door, "shared");
        try (FileChannel a = door.open(f, READ); FileChannel b = door.open(f, READ)) {
            FileLock held = a.tryLock(0, Long.MAX_VALUE, true);
            assertNotNull(held);
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(0, Long.MAX_VALUE, true),
                    "the JDK refuses overlapping shared locks within one JVM too");
            held.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOORS")
    void theSameFileByAnotherNameOverlaps(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = file(door, "named");
        Path link = Files.createLink(dir.resolve("hardlink"), f);
        Path symlink = Files.createSymbolicLink(dir.resolve("symlink"), f);
        try (FileChannel a = door.open(f, READ, WRITE); FileChannel b = door.open(link, READ, WRITE);
                FileChannel c = door.open(symlink, READ, WRITE)) {
            FileLock held = a.lock();
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(), "a hard link is the same file");
            assertThrows(OverlappingFileLockException.class, () -> c.tryLock(), "so is a symbolic link's target");
            held.release();
        }
        Path other = file(door, "other");
        try (FileChannel a = door.open(f, READ, WRITE); FileChannel o = door.open(other, READ, WRITE)) {
            FileLock held = a.lock();
            FileLock elsewhere = o.tryLock();
            assertNotNull(elsewhere, "another file's locks are its own");
            elsewhere.release();
            held.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOORS")
    void closingAChannelFreesItsRanges(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = file(door, "close");
        try (FileChannel b = door.open(f, READ, WRITE)) {
            FileChannel a = door.open(f, READ, WRITE);
            FileLock held = a.lock(0, 50, false);
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(0, 10, false));
            a.close();
            assertFalse(held.isValid());
            FileLock after = b.tryLock(0, 10, false);
            assertNotNull(after, "the closed channel's lock is gone from the JVM's table");
            after.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOORS")
    void racingChannelsGetOneLockAndOneRefusal(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = file(door, "race");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 50; round++) {
                try (FileChannel a = door.open(f, READ, WRITE); FileChannel b = door.open(f, READ, WRITE)) {
                    CountDownLatch go = new CountDownLatch(1);
                    Future<Object> x = pool.submit(() -> tryOrRefuse(go, a));
                    Future<Object> y = pool.submit(() -> tryOrRefuse(go, b));
                    go.countDown();
                    Object rx = x.get(30, TimeUnit.SECONDS);
                    Object ry = y.get(30, TimeUnit.SECONDS);
                    int locks = (rx instanceof FileLock ? 1 : 0) + (ry instanceof FileLock ? 1 : 0);
                    int refusals = (rx instanceof OverlappingFileLockException ? 1 : 0)
                            + (ry instanceof OverlappingFileLockException ? 1 : 0);
                    assertEquals(1, locks, "round " + round + ": " + rx + ", " + ry);
                    assertEquals(1, refusals, "round " + round + ": " + rx + ", " + ry);
                }
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    static final java.util.List<String> ASYNC_DOORS = java.util.List.of("jdk", "dioringPath");

    @ParameterizedTest(name = "{0}")
    @FieldSource("ASYNC_DOORS")
    void asynchronousChannelsRefuseAnOverlapAtTheCall(String name) throws Exception {
        Door door = Doors.of(name, engine);
        Path f = door.path(file(door, "async"));
        try (AsynchronousFileChannel a = AsynchronousFileChannel.open(f, READ, WRITE);
                AsynchronousFileChannel b = AsynchronousFileChannel.open(f, READ, WRITE);
                FileChannel c = FileChannel.open(f, READ, WRITE)) {
            FileLock held = a.lock(0, 10, false).get(30, TimeUnit.SECONDS);
            assertThrows(OverlappingFileLockException.class, () -> b.lock(5, 10, false), "thrown by lock itself");
            assertThrows(OverlappingFileLockException.class, () -> b.tryLock(0, 1, true));
            assertThrows(OverlappingFileLockException.class, () -> c.tryLock(0, 1, false),
                    "a FileChannel of the same door shares the JVM's table");
            held.release();
            FileLock after = b.lock(5, 10, false).get(30, TimeUnit.SECONDS);
            assertTrue(after.isValid());
            assertTrue(after.acquiredBy() == b);
            after.release();
        }
    }

    private static Object tryOrRefuse(CountDownLatch go, FileChannel ch) throws Exception {
        assertTrue(go.await(30, TimeUnit.SECONDS));
        try {
            FileLock l = ch.tryLock();
            return l == null ? "null (the kernel refused)" : l;
        } catch (OverlappingFileLockException e) {
            return e;
        }
    }
}
