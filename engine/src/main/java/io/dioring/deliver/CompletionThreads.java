package io.dioring.deliver;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's own completion executor: {@code Executors.newCachedThreadPool}'s policy without
 * its per-task allocation.
 *
 * <ul>
 * <li>A task goes to an idle worker; when none is idle, a new worker starts with it. So a
 *     callback that blocks keeps its worker to itself and never holds up another result.
 * <li>A worker that finishes a task is idle and parks; after {@link #KEEP_ALIVE_NANOS}
 *     without work it ends. It does not spin first: watching for the next task for 5-50 µs
 *     before parking cost deferred futures at qd=32 16-74% of their throughput on two cores
 *     (the spinning worker takes the CPU the woken caller needs), and callbacks up to half.
 * <li>Nothing is allocated per task: the hand-off is a field of the idle worker, the idle
 *     workers a stack. (The cached pool's SynchronousQueue allocates a node per hand-off,
 *     32-40 bytes, the whole allocation of a deferred callback's completion.)
 * </ul>
 *
 * Threads are daemons named {@code <name>-<n>}. After {@link #shutdown()}, tasks are refused
 * ({@link RejectedExecutionException}); those already handed over still run.
 */
public final class CompletionThreads implements Executor {
    /** How long an idle worker waits for a task before it ends. */
    static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final String name;
    private final AtomicInteger started = new AtomicInteger();
    /** Idle workers, most recently idle on top (its caches are the warmest). Guarded by this. */
    private Worker[] idle = new Worker[4];
    private int idleCount;
    private boolean shutdown;

    public CompletionThreads(String name) {
        this.name = name;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        Worker w;
        synchronized (this) {
            if (shutdown) {
                throw new RejectedExecutionException(name + " is shut down");
            }
            if (idleCount == 0) {
                w = null;
            } else {
                w = idle[--idleCount];
                idle[idleCount] = null;
                w.task = task; // handed over: it is no longer idle
            }
        }
        if (w == null) {
            start(task);
        } else if (w.parked) {
            LockSupport.unpark(w.thread); // one that has not parked yet sees the task by itself
        }
    }

    /** Whether {@link #shutdown()} was called. */
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    /** Workers idle now (parked, or about to park), waiting for a task. */
    synchronized int idleWorkers() {
        return idleCount;
    }

    /** Workers started so far. */
    public int threadsStarted() {
        return started.get();
    }

    /** Refuses new tasks; idle workers end now, busy ones once their task has run. */
    public void shutdown() {
        Worker[] toWake;
        int n;
        synchronized (this) {
            shutdown = true;
            toWake = idle;
            n = idleCount;
            idle = new Worker[0];
            idleCount = 0;
        }
        for (int i = 0; i < n; i++) {
            toWake[i].ending = true;
            LockSupport.unpark(toWake[i].thread);
        }
    }

    private void start(Runnable first) {
        Worker w = new Worker(first);
        w.thread = new Thread(w, name + "-" + started.incrementAndGet());
        w.thread.setDaemon(true);
        w.thread.start();
    }

    /** Pushes {@code w} onto the idle stack; false once shut down (the worker ends). */
    private synchronized boolean becameIdle(Worker w) {
        if (shutdown) {
            return false;
        }
        if (idleCount == idle.length) {
            idle = java.util.Arrays.copyOf(idle, idleCount * 2);
        }
        idle[idleCount++] = w;
        return true;
    }

    /** Takes {@code w} off the idle stack unless somebody handed it a task meanwhile. */
    private synchronized void retire(Worker w) {
        if (w.task != null) {
            return;
        }
        for (int i = 0; i < idleCount; i++) {
            if (idle[i] == w) {
                System.arraycopy(idle, i + 1, idle, i, idleCount - i - 1);
                idle[--idleCount] = null;
                return;
            }
        }
    }

    private final class Worker implements Runnable {
        /** The task handed to this worker while it was idle; null while it runs one or waits. */
        volatile Runnable task;
        /** Set before it parks: whoever hands it a task must unpark it. */
        volatile boolean parked;
        /** Set by shutdown for an idle worker. */
        volatile boolean ending;
        Thread thread;

        Worker(Runnable first) {
            this.task = first;
        }

        @Override
        public void run() {
            Runnable t = task;
            while (t != null) {
                task = null;
                try {
                    t.run();
                } catch (Throwable e) {
                    Thread me = Thread.currentThread();
                    me.getUncaughtExceptionHandler().uncaughtException(me, e);
                }
                t = next();
            }
        }

        /** The next task, or null when the worker should end. */
        private Runnable next() {
            if (!becameIdle(this)) {
                return null;
            }
            Runnable t;
            long deadline = System.nanoTime() + KEEP_ALIVE_NANOS;
            while (true) {
                parked = true; // then look: execute() writes task, then reads parked
                if ((t = task) != null) {
                    parked = false;
                    return t;
                }
                long left = deadline - System.nanoTime();
                if (ending || left <= 0) {
                    parked = false;
                    if (!ending) {
                        retire(this); // off the stack, unless a task was handed over meanwhile
                    }
                    return task; // null: end; else the task handed over just before
                }
                LockSupport.parkNanos(this, left);
                parked = false;
            }
        }
    }
}
