package io.dioring.fs;

import io.dioring.IoEngine;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The JVM's engine for the provider's own file system: made on first use, never closed. */
final class SharedEngine {
    private static final ThreadLocal<Boolean> MAKING = new ThreadLocal<>();
    private static volatile IoEngine engine;

    private SharedEngine() {}

    static boolean isBeingMadeHere() {
        return MAKING.get() != null;
    }

    static IoEngine get() {
        IoEngine e = engine;
        if (e != null) {
            return e;
        }
        synchronized (SharedEngine.class) {
            if (engine == null) {
                MAKING.set(Boolean.TRUE);
                try {
                    engine = IoEngine.create();
                } catch (IOException x) {
                    throw new UncheckedIOException("dioring: cannot make the file system's engine", x);
                } finally {
                    MAKING.remove();
                }
            }
            return engine;
        }
    }
}
