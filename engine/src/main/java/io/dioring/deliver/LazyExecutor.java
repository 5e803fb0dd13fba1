package io.dioring.deliver;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The completion executor, created on first need (seed 001: the dio workqueue is made
 * when the first deferred completion needs it). Creation is race-free: concurrent first
 * users each build one, one wins the compare-and-set, the losers shut theirs down.
 */
public final class LazyExecutor {
    private final AtomicReference<ExecutorService> executor = new AtomicReference<>();
    private final String name;
    private final AtomicInteger created = new AtomicInteger();

    public LazyExecutor(String name) {
        this.name = name;
    }

    /** The executor, created now if this is the first call. */
    public ExecutorService get() {
        ExecutorService e = executor.get();
        if (e != null) {
            return e;
        }
        ExecutorService mine = newExecutor();
        if (executor.compareAndSet(null, mine)) {
            created.incrementAndGet();
            return mine;
        }
        mine.shutdown();
        return executor.get();
    }

    /** Whether it exists yet. */
    public boolean isCreated() {
        return executor.get() != null;
    }

    /** Executors installed (at most one). */
    public int createdCount() {
        return created.get();
    }

    /** Shuts it down once queued completions have run. */
    public void shutdown() {
        ExecutorService e = executor.get();
        if (e != null) {
            e.shutdown();
        }
    }

    private ExecutorService newExecutor() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Cached: a callback that blocks gets its thread to itself, others get new ones.
        return Executors.newCachedThreadPool(factory);
    }
}
