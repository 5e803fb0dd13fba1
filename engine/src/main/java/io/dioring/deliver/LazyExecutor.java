package io.dioring.deliver;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The completion executor, created on first need (seed 001: the dio workqueue is made
 * when the first deferred completion needs it). Creation is race-free: concurrent first
 * users each build one, one wins the compare-and-set, the losers shut theirs down.
 */
public final class LazyExecutor {
    private final AtomicReference<CompletionThreads> executor = new AtomicReference<>();
    private final String name;
    private final AtomicInteger created = new AtomicInteger();

    public LazyExecutor(String name) {
        this.name = name;
    }

    /** The executor, created now if this is the first call. */
    public CompletionThreads get() {
        CompletionThreads e = executor.get();
        if (e != null) {
            return e;
        }
        // Cached-pool policy: a callback that blocks gets its thread to itself, others get new ones.
        CompletionThreads mine = new CompletionThreads(name);
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
        CompletionThreads e = executor.get();
        if (e != null) {
            e.shutdown();
        }
    }
}
