package io.dioring.deliver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's completion executor: the cached pool's policy, nothing allocated per task. */
@Timeout(60)
class CompletionThreadsTest {

    @Test
    void aBlockingTaskHoldsUpNoOtherTask() throws Exception {
        CompletionThreads threads = new CompletionThreads("test-blocking");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        threads.execute(() -> {
            blocked.countDown();
            await(release);
        });
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        // Each task blocks until the last one has run, so all must be on threads of their own.
        int n = 20;
        CountDownLatch last = new CountDownLatch(1);
        CountDownLatch allBlocked = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            threads.execute(() -> {
                allBlocked.countDown();
                await(last);
            });
        }
        assertTrue(allBlocked.await(10, TimeUnit.SECONDS), "every task started while the ones before it blocked");
        threads.execute(last::countDown);
        assertTrue(last.await(10, TimeUnit.SECONDS), "the last task ran while all before it blocked");
        assertEquals(n + 2, threads.threadsStarted(), "one thread per blocked task, and one for the last");
        release.countDown();
        threads.shutdown();
    }

    @Test
    void idleWorkersAreReusedAndNothingIsAllocatedPerTask() throws Exception {
        CompletionThreads threads = new CompletionThreads("test-reuse");
        AtomicInteger done = new AtomicInteger();
        Runnable task = done::incrementAndGet;
        int warm = 20_000;
        runAll(threads, task, done, warm);
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        boolean measuredWithoutNewWorkers = false;
        for (int attempt = 0; attempt < 5 && !measuredWithoutNewWorkers; attempt++) {
            int startedBefore = threads.threadsStarted();
            long[] workers = workerIds("test-reuse-");
            long before = allocated(bean, workers) + bean.getCurrentThreadAllocatedBytes();
            int measured = 100_000;
            runAll(threads, task, done, measured);
            long after = allocated(bean, workers) + bean.getCurrentThreadAllocatedBytes();
            // A new worker (its thread) allocates; without one, the hand-offs allocate nothing
            // (a SynchronousQueue node per task would be 32-40 bytes).
            if (threads.threadsStarted() == startedBefore) {
                measuredWithoutNewWorkers = true;
                double perTask = (double) (after - before) / measured;
                assertTrue(perTask < 1.0, "bytes allocated per task by the submitter and the workers: " + perTask);
            }
        }
        assertTrue(measuredWithoutNewWorkers, "workers kept being started: " + threads.threadsStarted());
        assertEquals(1, threads.threadsStarted(), "the idle worker is reused");
        threads.shutdown();
    }

    @Test
    void shutdownRefusesNewTasksAndEndsIdleWorkers() throws Exception {
        CompletionThreads threads = new CompletionThreads("test-shutdown");
        CountDownLatch ran = new CountDownLatch(1);
        threads.execute(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        threads.shutdown();
        assertTrue(threads.isShutdown());
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> threads.execute(() -> {}));
        assertTrue(e.getMessage().contains("test-shutdown"), e.getMessage());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (workerIds("test-shutdown-").length > 0) {
            assertTrue(System.nanoTime() < deadline, "idle workers ended after shutdown");
            Thread.sleep(10);
        }
    }

    @Test
    void aThrowingTaskGoesToTheUncaughtHandlerAndTheWorkerGoesOn() throws Exception {
        CompletionThreads threads = new CompletionThreads("test-throw");
        AtomicInteger reported = new AtomicInteger();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, x) -> reported.incrementAndGet());
        try {
            CountDownLatch after = new CountDownLatch(1);
            threads.execute(() -> {
                throw new IllegalStateException("a callback's bug");
            });
            Thread.sleep(50); // let the worker become idle again
            threads.execute(after::countDown);
            assertTrue(after.await(10, TimeUnit.SECONDS));
            assertEquals(1, reported.get());
            assertEquals(1, threads.threadsStarted(), "the worker survived its task's exception");
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
            threads.shutdown();
        }
    }

    /**
     * Hands {@code n} tasks over, each once a worker is idle (as completions come, one device
     * latency apart, to workers that finished their last callback long before).
     */
    private static void runAll(CompletionThreads threads, Runnable task, AtomicInteger done, int n) {
        int target = done.get() + n;
        for (int i = 0; i < n; i++) {
            while (threads.idleWorkers() == 0 && threads.threadsStarted() > 0) {
                Thread.onSpinWait();
            }
            threads.execute(task);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done.get() < target) {
            assertTrue(System.nanoTime() < deadline, "tasks done: " + done.get() + " of " + target);
            Thread.onSpinWait();
        }
    }

    private static long[] workerIds(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix))
                .mapToLong(Thread::threadId).toArray();
    }

    private static long allocated(com.sun.management.ThreadMXBean bean, long[] ids) {
        long sum = 0;
        for (long b : bean.getThreadAllocatedBytes(ids)) {
            sum += Math.max(b, 0);
        }
        return sum;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
