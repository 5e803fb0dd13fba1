package io.dioring.fs;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link AsynchronousFileChannel} through a {@code dioring:} path, against the JDK's on the same steps. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncChannelConformanceTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void gate() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    private Path path(boolean dioring, String name) {
        Path p = tmp.resolve(name).toAbsolutePath();
        return dioring ? Path.of(URI.create("dioring://" + p)) : p;
    }

    private static <V> V get(java.util.concurrent.Future<V> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void futuresReadAndWriteAsTheJdk(boolean dioring) throws Exception {
        Path f = path(dioring, "futures");
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, CREATE, READ, WRITE)) {
            assertEquals(dioring, ch.getClass().getName().startsWith("io.dioring"));
            assertEquals(5, get(ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}), 0)));
            assertEquals(3, get(ch.write(ByteBuffer.wrap(new byte[] {7, 8, 9}), 100)), "beyond the end");
            assertEquals(103, ch.size());
            ByteBuffer dst = ByteBuffer.allocate(10);
            assertEquals(10, get(ch.read(dst, 0)));
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 0, 0, 0, 0, 0}, dst.array());
            ByteBuffer direct = ByteBuffer.allocateDirect(10);
            assertEquals(3, get(ch.read(direct, 100)), "short at the end");
            assertEquals(-1, get(ch.read(ByteBuffer.allocate(4), 103)), "at the end");
            assertEquals(0, get(ch.read(ByteBuffer.allocate(0), 0)), "no room");
            ch.truncate(50);
            assertEquals(50, ch.size());
            ch.force(true);
            assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1).asReadOnlyBuffer(), 0));
            assertThrows(IllegalArgumentException.class, () -> ch.write(ByteBuffer.allocate(1), -1));
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void handlersGetResultAndAttachmentOnTheExecutor(boolean dioring) throws Exception {
        Path f = path(dioring, "handlers");
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "handler-pool"));
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, Set.of(CREATE, READ, WRITE), pool)) {
            int writes = 64;
            CompletableFuture<?>[] done = new CompletableFuture<?>[writes];
            for (int i = 0; i < writes; i++) {
                CompletableFuture<Integer> d = new CompletableFuture<>();
                done[i] = d;
                byte[] block = new byte[1000];
                java.util.Arrays.fill(block, (byte) i);
                ch.write(ByteBuffer.wrap(block), i * 1000L, "w" + i, new CompletionHandler<Integer, String>() {
                    @Override
                    public void completed(Integer result, String attachment) {
                        if (!Thread.currentThread().getName().equals("handler-pool")) {
                            d.completeExceptionally(new AssertionError("handler on " + Thread.currentThread()));
                        } else if (!attachment.startsWith("w")) {
                            d.completeExceptionally(new AssertionError("attachment " + attachment));
                        } else {
                            d.complete(result);
                        }
                    }

                    @Override
                    public void failed(Throwable exc, String attachment) {
                        d.completeExceptionally(exc);
                    }
                });
            }
            CompletableFuture.allOf(done).get(30, TimeUnit.SECONDS);
            assertEquals(writes * 1000L, ch.size());
            byte[] all = Files.readAllBytes(f);
            for (int i = 0; i < writes; i++) {
                assertEquals((byte) i, all[i * 1000 + 999]);
            }
        } finally {
            pool.shutdown();
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void modeErrorsAtTheCallAndClosedChannelsInTheOutcome(boolean dioring) throws Exception {
        Path f = path(dioring, "modes");
        Files.write(f, new byte[10]);
        assertThrows(UnsupportedOperationException.class, () -> AsynchronousFileChannel.open(f, WRITE, APPEND));
        try (AsynchronousFileChannel ro = AsynchronousFileChannel.open(f, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0));
            assertThrows(NonWritableChannelException.class, () -> ro.tryLock(0, 1, false));
        }
        try (AsynchronousFileChannel wo = AsynchronousFileChannel.open(f, WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0));
        }
        AsynchronousFileChannel closed = AsynchronousFileChannel.open(f, READ);
        closed.close();
        assertFalse(closed.isOpen());
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(closed.read(ByteBuffer.allocate(1), 0)));
        assertInstanceOf(ClosedChannelException.class, e.getCause());
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        closed.read(ByteBuffer.allocate(1), 0, null, new CompletionHandler<Integer, Object>() {
            @Override
            public void completed(Integer result, Object attachment) {
                failed.complete(null);
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                failed.complete(exc);
            }
        });
        assertInstanceOf(ClosedChannelException.class, failed.get(30, TimeUnit.SECONDS));
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void locksAreAcquiredByTheAsynchronousChannel(boolean dioring) throws Exception {
        Path f = path(dioring, "locks");
        Files.write(f, new byte[10]);
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, READ, WRITE)) {
            FileLock lock = get(ch.lock());
            assertSame(ch, lock.acquiredBy());
            assertTrue(lock.isValid());
            lock.release();
            assertFalse(lock.isValid());
            FileLock shared = ch.tryLock(0, 5, true);
            assertNotNull(shared);
            assertTrue(shared.isShared());
            shared.release();
        }
    }
}
