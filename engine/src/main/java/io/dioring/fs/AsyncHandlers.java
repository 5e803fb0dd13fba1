package io.dioring.fs;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The JDK's channels without an executor of their own run handlers on a shared pool; so do these. */
final class AsyncHandlers {
    private static final AtomicInteger COUNT = new AtomicInteger();
    static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dioring-async-handler-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private AsyncHandlers() {}
}
