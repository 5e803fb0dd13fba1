package io.dioring.reap;

/**
 * Marks the engine's own ring threads (a {@link RingThread}, a {@link SharedRing}'s reaper):
 * the threads that run inline callbacks, and so must never wait for a request of their own
 * ring (nothing else would complete it).
 */
public final class RingThreads {
    private static final ThreadLocal<EngineRing> CURRENT = new ThreadLocal<>();

    private RingThreads() {}

    static void markCurrent(EngineRing ring) {
        CURRENT.set(ring);
    }

    /** The ring whose thread the calling thread is, or null. */
    public static EngineRing current() {
        return CURRENT.get();
    }
}
