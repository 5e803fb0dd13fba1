package io.dioring.testing;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every wait in a test, with a time limit: a test that would hang fails instead, naming
 * what did not complete. Each keeps the semantics of the call it stands for (what it
 * returns, what it throws) once the awaited thing has happened.
 */
public final class Waits {
    /** How long a test waits for any one thing (on a loaded 2-CPU machine; the slowest test takes seconds). */
    public static final long LIMIT_SECONDS = 60;

    private Waits() {}

    private static AssertionError timedOut(String what) {
        return new AssertionError(what + " did not complete within " + LIMIT_SECONDS + " s");
    }

    /** {@code f.join()}, failing the test if {@code f} is not done in time. */
    public static <T> T join(CompletableFuture<T> f, String what) {
        try {
            f.get(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw timedOut(what);
        } catch (ExecutionException | CancellationException e) {
            // done: join() below reports it as join reports it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
        return f.join();
    }

    /** {@code f.get()}, failing the test if {@code f} is not done in time. */
    public static <T> T get(Future<T> f, String what) throws InterruptedException, ExecutionException {
        try {
            return f.get(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw timedOut(what);
        }
    }

    /** {@code latch.await()}, failing the test if it is not open in time. */
    public static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            throw timedOut(what + " (" + latch.getCount() + " counts left)");
        }
    }

    /** {@code latch.await()}, going on through interrupts (and setting the flag again after). */
    public static void awaitUninterruptibly(CountDownLatch latch, String what) {
        boolean interrupted = false;
        while (true) {
            try {
                await(latch, what);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code barrier.await()}, failing the test (and breaking the barrier) if the others do not come in time. */
    public static int await(CyclicBarrier barrier, String what) throws InterruptedException, BrokenBarrierException {
        try {
            return barrier.await(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw timedOut(what);
        }
    }

    /** {@code t.join()}, failing the test if the thread has not ended in time. */
    public static void join(Thread t, String what) throws InterruptedException {
        if (!t.join(java.time.Duration.ofSeconds(LIMIT_SECONDS))) {
            throw timedOut(what + " (thread " + t.getName() + ")");
        }
    }

    /** {@code queue.put(e)}, failing the test if there is no room (or, for a hand-off, no taker) in time. */
    public static <T> void put(BlockingQueue<T> queue, T e, String what) throws InterruptedException {
        if (!queue.offer(e, LIMIT_SECONDS, TimeUnit.SECONDS)) {
            throw timedOut(what);
        }
    }

    /** {@code queue.take()}, failing the test if nothing comes in time. */
    public static <T> T take(BlockingQueue<T> queue, String what) throws InterruptedException {
        T t = queue.poll(LIMIT_SECONDS, TimeUnit.SECONDS);
        if (t == null) {
            throw timedOut(what);
        }
        return t;
    }
}
