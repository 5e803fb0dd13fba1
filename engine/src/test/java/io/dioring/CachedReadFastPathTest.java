package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blocking buffered read the page cache holds is made before any request is built
 * ({@code FileIssuer.readNow}): it still comes after every write completed before it, and a
 * read racing the file's close fails as a request would and never reads another file that
 * took the closed descriptor's number. (Its JFR event: {@code CachedReadTest}, with a
 * recording the read goes the request way.)
 */
class CachedReadFastPathTest {
    private static final int BLOCK = 4096;
    private static final int ROUNDS = 40;

    @TempDir
    Path dir;

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    @BackendTest
    void aCachedReadSeesTheWriteCompletedJustBefore(Backend backend) throws Exception {
        Path p = dir.resolve("ordered");
        Files.write(p, new byte[8 * BLOCK]);
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = CachedReadTest.openBuffered(engine, p)) {
            MemorySegment src = engine.buffers().allocate(BLOCK);
            MemorySegment dst = engine.buffers().allocate(BLOCK);
            for (int i = 1; i <= 200; i++) {
                long offset = (i % 8) * (long) BLOCK;
                src.fill((byte) i);
                assertEquals(BLOCK, f.writeFully(offset, src));
                assertEquals(0, f.state().inFlightWrites().count(), "the write is done: nothing to order against");
                assertEquals(BLOCK, f.readFully(offset, dst));
                assertArrayEquals(filled(BLOCK, i), dst.toArray(ValueLayout.JAVA_BYTE), "read " + i + " at " + offset);
            }
            assertEquals(200, f.cachedReads(), "every read made from the page cache");
        }
    }

    @BackendTest
    void aCachedReadFromAnotherThreadSeesEveryWriteCompletedBeforeIt(Backend backend) throws Exception {
        Path p = dir.resolve("ordered-threads");
        Files.write(p, new byte[BLOCK]);
        int writes = 2000;
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                DirectFile f = CachedReadTest.openBuffered(engine, p)) {
            AtomicLong completed = new AtomicLong(); // the value of the last write whose writeFully returned
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean done = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                MemorySegment src = engine.buffers().allocate(8);
                try {
                    for (long v = 1; v <= writes && failure.get() == null; v++) {
                        src.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
                        f.writeFully(0, src);
                        completed.set(v);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.set(true);
                }
            });
            Thread reader = Thread.ofVirtual().start(() -> {
                MemorySegment dst = engine.buffers().allocate(8);
                try {
                    while (!done.get() && failure.get() == null) {
                        long before = completed.get();
                        assertEquals(8, f.readFully(0, dst));
                        long seen = dst.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                        assertTrue(seen >= before, "read " + seen + " after write " + before + " had completed");
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            Waits.join(writer, "the writer");
            Waits.join(reader, "the reader");
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(writes, completed.get());
        }
    }

    @BackendTest
    void aCachedReadRacingCloseNeverReadsTheDescriptorsNextFile(Backend backend) throws Exception {
        Path mine = dir.resolve("closing");
        Path next = dir.resolve("next");
        Files.write(mine, filled(4 * BLOCK, 0x11));
        Files.write(next, filled(4 * BLOCK, 0x22));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Waits.LIMIT_SECONDS);
        int reused = 0;
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend))) {
            for (int round = 0; round < ROUNDS && System.nanoTime() < deadline; round++) {
                DirectFile f = CachedReadTest.openBuffered(engine, mine);
                int fd = f.fd();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch reading = new CountDownLatch(2);
                List<Thread> readers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    readers.add(Thread.ofPlatform().start(() -> {
                        MemorySegment dst = engine.buffers().allocate(BLOCK);
                        boolean counted = false;
                        try {
                            while (System.nanoTime() < deadline) {
                                long n = f.readFully(BLOCK, dst);
                                if (n != BLOCK || dst.get(ValueLayout.JAVA_BYTE, 0) != 0x11
                                        || dst.get(ValueLayout.JAVA_BYTE, BLOCK - 1) != 0x11) {
                                    throw new AssertionError("read " + n + " bytes of another file: "
                                            + dst.get(ValueLayout.JAVA_BYTE, 0));
                                }
                                if (!counted) {
                                    counted = true;
                                    reading.countDown();
                                }
                            }
                            throw new AssertionError("reads went on after close");
                        } catch (IllegalStateException closed) {
                            if (!closed.getMessage().contains("closed")) {
                                failure.compareAndSet(null, closed);
                            }
                        } catch (Throwable t2) {
                            failure.compareAndSet(null, t2);
                        } finally {
                            if (!counted) {
                                reading.countDown();
                            }
                        }
                    }));
                }
                Waits.await(reading, "the readers' first reads");
                f.close();
                // The lowest free number: the closed descriptor's, if close really closed it.
                try (DirectFile other = CachedReadTest.openBuffered(engine, next)) {
                    if (other.fd() == fd) {
                        reused++;
                    }
                    for (Thread t : readers) {
                        Waits.join(t, "a reader after close");
                    }
                }
                if (failure.get() != null) {
                    throw new AssertionError("round " + round, failure.get());
                }
            }
        }
        System.out.println("descriptor reused by the next file in " + reused + " of " + ROUNDS + " rounds");
    }

    @BackendTest
    void aChannelReadRacingCloseFailsAsAClosedChannel(Backend backend) throws Exception {
        Path p = dir.resolve("channel");
        Files.write(p, filled(4 * BLOCK, 0x33));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Waits.LIMIT_SECONDS);
        try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend))) {
            for (int round = 0; round < ROUNDS && System.nanoTime() < deadline; round++) {
                FileChannel c = engine.openChannel(p, StandardOpenOption.READ);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch reading = new CountDownLatch(1);
                Thread reader = Thread.ofVirtual().start(() -> {
                    ByteBuffer heap = ByteBuffer.allocate(1024);
                    try {
                        while (System.nanoTime() < deadline) {
                            heap.clear();
                            int n = c.read(heap, 100);
                            if (n != 1024 || heap.get(0) != 0x33) {
                                throw new AssertionError("read " + n + " bytes, first " + heap.get(0));
                            }
                            reading.countDown();
                        }
                        throw new AssertionError("reads went on after close");
                    } catch (ClosedChannelException expected) {
                        // AsynchronousCloseException or ClosedChannelException, as the JDK's channel
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        reading.countDown();
                    }
                });
                Waits.await(reading, "the reader's first read");
                c.close();
                Waits.join(reader, "the reader after close");
                if (failure.get() != null) {
                    throw new AssertionError("round " + round, failure.get());
                }
            }
        }
    }
}
