package io.dioring;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/**
 * Makes one ring of an engine deterministically slow, without timing: on an engine with
 * {@link Submission#RING_THREADS} (callers that enter the rings themselves would go round a
 * stalled thread) and {@link CompletionMode#INLINE} completions, a read's callback runs on the ring thread and
 * blocks it until {@link #release()} (as it does on a DEFERRED engine whose executor returns
 * only when the callback has run). Whatever is later handed to that ring waits in its
 * queue (in flight, as far as the file is concerned) until then.
 *
 * <p>A request goes to ring {@code threadId % rings}; {@link #onRing} runs code on a thread
 * whose id picks the ring wanted.
 */
final class RingStall implements AutoCloseable {
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final DirectFile file;

    /**
     * Stalls ring {@code ring} of {@code engine} (INLINE completions, {@code rings} rings),
     * reading a small file of its own in {@code dir}.
     */
    RingStall(IoEngine engine, int rings, int ring, Path dir) throws Exception {
        Path p = dir.resolve("stall-" + ring);
        Files.write(p, new byte[4096]);
        file = engine.open(p);
        MemorySegment buf = engine.buffers().allocate(4096);
        CompletionHandler<Void> blockRingThread = new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Void attachment) {
                entered.countDown();
                Waits.awaitUninterruptibly(release, "the test's release of the stalled ring");
            }

            @Override
            public void failed(Throwable failure, Void attachment) {
                entered.countDown();
                Waits.awaitUninterruptibly(release, "the test's release of the stalled ring");
            }
        };
        Waits.join(onRing(rings, ring, () -> {
            file.read(0, buf, null, blockRingThread);
            return null;
        }), "the stalling read's submission");
        Waits.awaitUninterruptibly(entered, "the stalling callback on ring " + ring);
    }

    /** Lets the ring thread go on. */
    void release() {
        release.countDown();
    }

    @Override
    public void close() {
        release();
    }

    /** Runs {@code body} on a new platform thread whose requests go to ring {@code ring}. */
    static <T> CompletableFuture<T> onRing(int rings, int ring, Callable<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        startOnRing(rings, ring, () -> {
            try {
                result.complete(body.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** Starts {@code body} on a new platform thread whose requests go to ring {@code ring}. */
    static Thread startOnRing(int rings, int ring, Runnable body) {
        while (true) {
            Thread t = Thread.ofPlatform().daemon(true).name("on-ring-" + ring).unstarted(body);
            if (Long.remainderUnsigned(t.threadId(), rings) == ring) {
                t.start();
                return t;
            }
        }
    }

    /**
     * Starts {@code body} on a new virtual thread whose requests go to ring {@code ring}: its
     * extending writes go through that ring too (a platform thread's are made with pwrite on
     * the thread itself, which no ring stall holds up).
     */
    static Thread startVirtualOnRing(int rings, int ring, Runnable body) {
        while (true) {
            Thread t = Thread.ofVirtual().name("virtual-on-ring-" + ring).unstarted(body);
            if (Long.remainderUnsigned(t.threadId(), rings) == ring) {
                t.start();
                return t;
            }
        }
    }

    /**
     * Waits (at most {@link Waits#LIMIT_SECONDS}) until {@code t} is parked with a frame
     * matching {@code where} on its stack: proof of where it is blocked.
     */
    static void awaitBlockedIn(Thread t, Predicate<StackTraceElement> where, String what) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(Waits.LIMIT_SECONDS);
        while (true) {
            assertTrue(t.isAlive(), t.getName() + " ended instead of blocking in " + what);
            assertTrue(System.nanoTime() < deadline, t.getName() + " did not block in " + what + " within "
                    + Waits.LIMIT_SECONDS + " s: " + t.getState());
            Thread.State s = t.getState();
            if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING)
                    && Arrays.stream(t.getStackTrace()).anyMatch(where)) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError("interrupted while waiting for " + t.getName(), e);
            }
        }
    }

    static Predicate<StackTraceElement> frame(Class<?> type, String method) {
        return e -> e.getClassName().equals(type.getName()) && e.getMethodName().equals(method);
    }
}
