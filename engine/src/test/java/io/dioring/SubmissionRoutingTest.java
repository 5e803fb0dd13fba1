package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Submission#BY_CALL}, the default: blocking calls drive the caller-driven rings, and
 * asynchronous ones go to rings with their own threads, made on the first asynchronous
 * request and closed with the engine. Each kind gets the right bytes, an INLINE callback
 * that submits again keeps to its ring, and nothing is left running after close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubmissionRoutingTest {
    private static final int FILE_BYTES = 1 << 20;
    private static final String ASYNC_PREFIX = "dioring-ring-async-";

    @TempDir
    Path dir;
    Path data;
    byte[] content;

    @BeforeEach
    void setUp() throws IOException {
        Kernel.assumeIoUring();
        content = new byte[FILE_BYTES];
        new Random(20).nextBytes(content);
        data = dir.resolve("data");
        Files.write(data, content);
        before = asyncRingThreads();
    }

    private static IoEngine engine(Submission submission, CompletionMode mode) throws IOException {
        return IoEngine.create(EngineConfig.defaults().withBackend(Backend.IO_URING).withRings(2)
                .withSubmission(submission).withCompletionMode(mode));
    }

    /** Threads of asynchronous rings that were not there before this test (another test's unclosed engine may have some). */
    private List<Thread> before = List.of();

    private List<Thread> asyncRingThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(ASYNC_PREFIX) && !before.contains(t)).toList();
    }

    private byte[] expected(long at, int n) {
        return Arrays.copyOfRange(content, (int) at, (int) at + n);
    }

    @Test
    void theDefaultIsByCall() {
        assertEquals(Submission.BY_CALL, EngineConfig.defaults().submission());
    }

    @Test
    void blockingCallsStartNoRingThreadAndAsynchronousOnesStartThemOnce() throws Exception {
        try (IoEngine engine = engine(Submission.BY_CALL, CompletionMode.DEFERRED); DirectFile f = engine.open(data)) {
            MemorySegment buf = engine.buffers().allocate(4096);
            long enters = engine.enterCalls();
            for (int i = 0; i < 8; i++) {
                assertEquals(4096, f.readFully(4096L * i, buf));
                assertArrayEquals(expected(4096L * i, 4096), buf.toArray(ValueLayout.JAVA_BYTE));
            }
            assertTrue(engine.enterCalls() - enters >= 8, "each blocking read entered a caller-driven ring");
            assertEquals(List.of(), asyncRingThreads(), "blocking calls only: no ring thread is started");

            for (int i = 0; i < 8; i++) {
                assertEquals(4096, f.read(4096L * (i + 8), buf).get(10, TimeUnit.SECONDS));
                assertArrayEquals(expected(4096L * (i + 8), 4096), buf.toArray(ValueLayout.JAVA_BYTE));
            }
            List<Thread> started = asyncRingThreads();
            assertEquals(2, started.size(), "one ring thread per configured ring, once: " + started);
            assertTrue(engine.registeredBuffers(), () -> "the ring threads' rings follow the pool: "
                    + engine.registeredBuffersRefusal());
            f.read(0, buf).get(10, TimeUnit.SECONDS);
            assertEquals(started.size(), asyncRingThreads().size(), "no more are made");
        }
        assertEquals(List.of(), asyncRingThreads(), "closing the engine ends its ring threads");
    }

    @ParameterizedTest
    @EnumSource(Submission.class)
    void inlineCallbacksThatSubmitAgainReadEveryBlockRight(Submission submission) throws Exception {
        int blocks = 64;
        try (IoEngine engine = engine(submission, CompletionMode.INLINE); DirectFile f = engine.open(data)) {
            MemorySegment buf = engine.buffers().allocate(4096L * blocks);
            CompletableFuture<Integer> done = new CompletableFuture<>();
            CompletionHandler<Integer> chain = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer block) {
                    int next = block + 1;
                    if (bytes != 4096) {
                        done.completeExceptionally(new AssertionError("block " + block + ": " + bytes + " bytes"));
                    } else if (next == blocks) {
                        done.complete(next);
                    } else {
                        f.read(4096L * next, buf.asSlice(4096L * next, 4096), next, this); // from the ring's thread
                    }
                }

                @Override
                public void failed(Throwable failure, Integer block) {
                    done.completeExceptionally(failure);
                }
            };
            f.read(0, buf.asSlice(0, 4096), 0, chain);
            assertEquals(blocks, done.get(20, TimeUnit.SECONDS));
            assertArrayEquals(expected(0, 4096 * blocks), buf.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aBlockingCallFromADeferredCallbackAndWritesOfBothKindsAgree() throws Exception {
        try (IoEngine engine = engine(Submission.BY_CALL, CompletionMode.DEFERRED);
                DirectFile f = engine.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment a = engine.buffers().allocate(4096);
            MemorySegment b = engine.buffers().allocate(4096);
            a.fill((byte) 0x5a);
            assertEquals(4096, f.write(8192, a).get(10, TimeUnit.SECONDS)); // a ring thread's
            CompletableFuture<byte[]> seen = new CompletableFuture<>();
            f.read(0, b, seen, new CompletionHandler<CompletableFuture<byte[]>>() {
                @Override
                public void completed(long bytes, CompletableFuture<byte[]> out) {
                    try {
                        MemorySegment c = engine.buffers().allocate(4096);
                        f.readFully(8192, c); // blocking, on the completion executor: a caller-driven ring
                        out.complete(c.toArray(ValueLayout.JAVA_BYTE));
                    } catch (IOException | RuntimeException e) {
                        out.completeExceptionally(e);
                    }
                }

                @Override
                public void failed(Throwable failure, CompletableFuture<byte[]> out) {
                    out.completeExceptionally(failure);
                }
            });
            byte[] fives = new byte[4096];
            Arrays.fill(fives, (byte) 0x5a);
            assertArrayEquals(fives, seen.get(10, TimeUnit.SECONDS), "the blocking read sees the asynchronous write");
            b.fill((byte) 0x33);
            assertEquals(4096, f.writeFully(12288, b)); // a caller-driven ring's
            f.fsync().get(10, TimeUnit.SECONDS);
            assertEquals(4096, f.read(12288, a).get(10, TimeUnit.SECONDS));
            assertArrayEquals(b.toArray(ValueLayout.JAVA_BYTE), a.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void anAsynchronousCallAfterCloseIsRefusedAndStartsNothing() throws Exception {
        IoEngine engine = engine(Submission.BY_CALL, CompletionMode.DEFERRED);
        DirectFile f = engine.open(data);
        MemorySegment buf = engine.buffers().allocate(4096);
        assertEquals(4096, f.readFully(0, buf));
        engine.close();
        assertThrows(IllegalStateException.class, () -> f.read(0, buf));
        assertEquals(List.of(), asyncRingThreads(), "no ring is made once the engine is closed");
    }
}
