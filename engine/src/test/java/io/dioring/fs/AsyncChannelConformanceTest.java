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

import io.dioring.Kernel;
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
        Kernel.assumeIoUring();
    }

    private Path path(boolean dioring, String name) {
        return DioringPaths.in(tmp, name, dioring);
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

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void heapAndDirectBuffersAdvanceTheirPositionByTheCount(boolean dioring) throws Exception {
        Path f = path(dioring, "buffers");
        byte[] data = new byte[10_000];
        new java.util.SplittableRandom(21).nextBytes(data);
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, CREATE, READ, WRITE)) {
            ByteBuffer heap = ByteBuffer.wrap(data, 0, 6000);
            assertEquals(6000, get(ch.write(heap, 0)));
            assertEquals(6000, heap.position());
            ByteBuffer direct = ByteBuffer.allocateDirect(4000).put(data, 6000, 4000).flip();
            assertEquals(4000, get(ch.write(direct, 6000)));
            assertEquals(0, direct.remaining());
            ByteBuffer readOnly = ByteBuffer.allocateDirect(3).put(new byte[] {7, 8, 9}).flip().asReadOnlyBuffer();
            assertEquals(3, get(ch.write(readOnly, 10_000)), "from a read-only direct buffer");
            assertEquals(10_003, ch.size());

            ByteBuffer h = ByteBuffer.allocate(10_100).position(50).limit(10_050);
            assertEquals(10_000, get(ch.read(h, 0)));
            assertEquals(10_050, h.position());
            assertArrayEquals(data, java.util.Arrays.copyOfRange(h.array(), 50, 10_050));

            ByteBuffer d = ByteBuffer.allocateDirect(20_000).position(7);
            CompletableFuture<Integer> n = new CompletableFuture<>();
            ch.read(d, 0, d, handler(n));
            assertEquals(10_003, n.get(30, TimeUnit.SECONDS), "short: the file ends first");
            assertEquals(10_010, d.position());
            byte[] back = new byte[10_000];
            d.get(7, back);
            assertArrayEquals(data, back);

            ByteBuffer tail = ByteBuffer.allocate(100);
            assertEquals(5, get(ch.read(tail, 9998)));
            assertEquals(5, tail.position());
            assertEquals(9, tail.get(4));
            assertEquals(-1, get(ch.read(ByteBuffer.allocateDirect(10), 20_000)), "past the end");
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void directOptionWithAlignedAndUnalignedBuffers(boolean dioring) throws Exception {
        Path f = path(dioring, "direct");
        int a = 4096;
        AsynchronousFileChannel ch;
        try {
            ch = AsynchronousFileChannel.open(f, CREATE, READ, WRITE, DioringFileSystemProviderTest.jdkDirect());
        } catch (java.io.IOException | UnsupportedOperationException e) {
            System.out.println("SKIPPED: O_DIRECT refused under " + tmp + ": " + e);
            assumeTrue(false, "O_DIRECT refused: " + e);
            return;
        }
        try (ch) {
            byte[] data = new byte[4 * a];
            new java.util.SplittableRandom(5).nextBytes(data);
            ByteBuffer aligned = ByteBuffer.allocateDirect(5 * a).alignedSlice(a).limit(4 * a);
            aligned.put(0, data);
            assertEquals(4 * a, get(ch.write(aligned, 0)), "aligned direct buffer, in place");
            assertEquals(4 * a, aligned.position());
            assertEquals(4 * a, ch.size());
            ByteBuffer in = ByteBuffer.allocateDirect(5 * a).alignedSlice(a).position(a).limit(3 * a);
            assertEquals(2 * a, get(ch.read(in, a)));
            assertEquals(3 * a, in.position());
            byte[] back = new byte[2 * a];
            in.get(a, back);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, a, 3 * a), back);
            assertEquals(-1, get(ch.read(ByteBuffer.allocateDirect(2 * a).alignedSlice(a), 4 * a)));

            // Heap buffers and direct buffers at an address off the alignment: the JDK's
            // asynchronous channel hands a direct buffer to the kernel as it is (EINVAL, an
            // IOException), and a heap buffer through a temporary direct buffer from malloc,
            // which now and then happens to sit on a 4096-byte boundary (then the call works);
            // dioring takes them through a bounce buffer, always.
            ByteBuffer off = ByteBuffer.allocateDirect(4 * a).alignedSlice(a).position(1).limit(1 + a).slice();
            ByteBuffer heapIn = ByteBuffer.allocate(2 * a);
            ByteBuffer heapOut = ByteBuffer.wrap(data, 0, a);
            if (dioring) {
                assertEquals(a, get(ch.read(off, a)), "unaligned direct buffer");
                assertArrayEquals(java.util.Arrays.copyOfRange(data, a, 2 * a), bytes(off.flip()));
                assertEquals(2 * a, get(ch.read(heapIn, 2 * a)), "heap buffer");
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 2 * a, 4 * a), heapIn.array());
                assertEquals(a, get(ch.write(heapOut, 4 * a)), "heap buffer, extending");
                assertEquals(5 * a, ch.size());
                // An unaligned position and length: the channel view's aligned transfers make them whole.
                ByteBuffer odd = ByteBuffer.allocate(1000);
                assertEquals(1000, get(ch.read(odd, 3)));
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 3, 1003), odd.array());
                assertEquals(3, get(ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 5 * a + 10)), "extends");
                assertEquals(5 * a + 13, ch.size());
            } else {
                ExecutionException e = assertThrows(ExecutionException.class, () -> get(ch.read(off, a)));
                assertInstanceOf(java.io.IOException.class, e.getCause());
                try {
                    assertEquals(2 * a, get(ch.read(heapIn, 2 * a)), "heap buffer, its temporary buffer aligned");
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, 2 * a, 4 * a), heapIn.array());
                } catch (ExecutionException refused) {
                    assertInstanceOf(java.io.IOException.class, refused.getCause());
                }
            }
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void aThousandConcurrentFutures(boolean dioring) throws Exception {
        Path f = path(dioring, "many");
        int ops = 1000;
        int block = 512;
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, CREATE, READ, WRITE)) {
            java.util.List<java.util.concurrent.Future<Integer>> writes = new java.util.ArrayList<>();
            for (int i = 0; i < ops; i++) {
                ByteBuffer b = (i % 2 == 0 ? ByteBuffer.allocate(block) : ByteBuffer.allocateDirect(block));
                for (int j = 0; j < block; j++) {
                    b.put((byte) (i * 31 + j));
                }
                writes.add(ch.write(b.flip(), (long) i * block));
            }
            for (java.util.concurrent.Future<Integer> w : writes) {
                assertEquals(block, get(w));
            }
            assertEquals((long) ops * block, ch.size());
            ByteBuffer[] dsts = new ByteBuffer[ops];
            java.util.List<java.util.concurrent.Future<Integer>> reads = new java.util.ArrayList<>();
            for (int i = ops - 1; i >= 0; i--) {
                dsts[i] = i % 3 == 0 ? ByteBuffer.allocate(block) : ByteBuffer.allocateDirect(block);
                reads.add(ch.read(dsts[i], (long) i * block));
            }
            for (java.util.concurrent.Future<Integer> r : reads) {
                assertEquals(block, get(r));
            }
            for (int i = 0; i < ops; i++) {
                for (int j = 0; j < block; j += 97) {
                    assertEquals((byte) (i * 31 + j), dsts[i].get(j), "block " + i + " byte " + j);
                }
            }
        }
    }

    /**
     * A thousand reads start no thread each: platform threads counted by the ThreadMXBean,
     * virtual ones by JFR's jdk.VirtualThreadStart (the bean counts only platform threads).
     */
    @org.junit.jupiter.api.Test
    void noThreadPerOperation() throws Exception {
        Path f = path(true, "threads");
        Files.write(f, new byte[1 << 20]);
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, READ)) {
            for (int i = 0; i < 100; i++) { // warm: the engine's rings and completion threads
                assertEquals(4096, get(ch.read(ByteBuffer.allocate(4096), i * 4096L)));
            }
            java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
            Path jfr = tmp.resolve("threads.jfr");
            long started;
            try (jdk.jfr.Recording rec = new jdk.jfr.Recording()) {
                rec.enable("jdk.VirtualThreadStart");
                rec.start();
                Thread.ofVirtual().start(() -> { }).join(); // the probe sees virtual threads
                long before = bean.getTotalStartedThreadCount();
                java.util.List<java.util.concurrent.Future<Integer>> reads = new java.util.ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    reads.add(ch.read(i % 2 == 0 ? ByteBuffer.allocate(1024) : ByteBuffer.allocateDirect(1024),
                            (i % 1024) * 1024L));
                }
                for (java.util.concurrent.Future<Integer> r : reads) {
                    assertEquals(1024, get(r));
                }
                CompletableFuture<Integer> h = new CompletableFuture<>();
                ch.read(ByteBuffer.allocate(10), 0, null, handler(h));
                assertEquals(10, h.get(30, TimeUnit.SECONDS));
                started = bean.getTotalStartedThreadCount() - before;
                rec.stop();
                rec.dump(jfr);
            }
            long virtual = jdk.jfr.consumer.RecordingFile.readAllEvents(jfr).stream()
                    .filter(e -> e.getEventType().getName().equals("jdk.VirtualThreadStart")).count();
            assertTrue(virtual >= 1, "JFR saw no virtual thread start: the probe does not work");
            assertTrue(virtual < 50, virtual + " virtual threads started for 1000 reads");
            assertTrue(started < 50, started + " platform threads started for 1000 reads");
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void closeWithOperationsInFlight(boolean dioring) throws Exception {
        Path f = path(dioring, "closing");
        Files.write(f, new byte[4 << 20]);
        IoBuffersProbe pool = dioring ? new IoBuffersProbe(f) : null;
        AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, READ, WRITE);
        int ops = 300;
        java.util.List<CompletableFuture<Integer>> outcomes = new java.util.ArrayList<>();
        java.util.List<java.util.concurrent.Future<Integer>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < ops; i++) {
            long at = (i % 64) * 65536L;
            if (i % 2 == 0) {
                futures.add(ch.read(ByteBuffer.allocate(65536), at));
            } else {
                CompletableFuture<Integer> o = new CompletableFuture<>();
                outcomes.add(o);
                ch.write(ByteBuffer.allocate(65536), at, null, handler(o));
            }
        }
        ch.close();
        assertFalse(ch.isOpen());
        outcomes.addAll(futures.stream().map(fu -> CompletableFuture.supplyAsync(() -> {
            try {
                return fu.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new java.util.concurrent.CompletionException(e.getCause());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        })).toList());
        for (CompletableFuture<Integer> o : outcomes) {
            try {
                assertEquals(65536, o.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ce ? ce.getCause()
                        : e.getCause();
                assertInstanceOf(ClosedChannelException.class, c, "AsynchronousCloseException or closed: " + c);
            }
        }
        if (pool != null) {
            pool.assertAllGivenBack();
        }
        ExecutionException after = assertThrows(ExecutionException.class, () -> get(ch.read(ByteBuffer.allocate(1), 0)));
        assertInstanceOf(ClosedChannelException.class, after.getCause());
    }

    /** The engine's buffer pool under a dioring path: every bounce buffer taken is given back. */
    private static final class IoBuffersProbe {
        private final io.dioring.IoBuffers buffers;
        private final int before;

        IoBuffersProbe(Path dioringPath) {
            buffers = ((DioringFileSystem) dioringPath.getFileSystem()).engine().buffers();
            before = buffers.takenCount();
        }

        void assertAllGivenBack() {
            assertEquals(before, buffers.takenCount(), "bounce buffers not given back");
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static <A> CompletionHandler<Integer, A> handler(CompletableFuture<Integer> outcome) {
        return new CompletionHandler<>() {
            @Override
            public void completed(Integer result, A attachment) {
                outcome.complete(result);
            }

            @Override
            public void failed(Throwable exc, A attachment) {
                outcome.completeExceptionally(exc);
            }
        };
    }
}
