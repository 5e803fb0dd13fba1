package io.dioring.reap;

import io.dioring.request.RequestSink;
import io.dioring.ring.Ring;

/**
 * One of the engine's rings, however it is driven: by its own thread ({@link RingThread}) or
 * by its callers ({@link SharedRing}). The engine sees its rings only through this.
 */
public interface EngineRing extends RequestSink {
    /** The kernel ring (set-up and counters), or null when it is a simulated one. */
    Ring ring();

    /** The loop (counters only: it belongs to whoever drives the ring). */
    RingLoop loop();

    /** Whether the ring is the kernel's (see {@link RingThread#kernelRing()}). */
    boolean kernelRing();

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    Throwable failure();

    /**
     * Whether nobody is driving the ring right now: a hint for a caller choosing among rings
     * (a ring driven by its own thread is always taken as free: submitting never waits for it).
     */
    boolean looksFree();

    /**
     * Stops the ring: with {@code cancel} false, waits for everything queued and in flight;
     * with {@code cancel} true, cancels what is in flight and fails what is queued. Returns at
     * once when called on the ring's own thread (an inline callback).
     */
    void close(boolean cancel);
}
