package io.dioring.lucene;

import com.carrotsearch.randomizedtesting.ThreadFilter;

/**
 * The engine's own threads (rings, completion executor, close): the provider makes its
 * engine on first use and keeps it for the JVM, so they outlive a suite by design.
 */
public final class DioringThreads implements ThreadFilter {
    @Override
    public boolean reject(Thread t) {
        return t.getName().startsWith("dioring");
    }
}
