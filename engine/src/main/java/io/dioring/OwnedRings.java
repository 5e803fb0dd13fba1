package io.dioring;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The engine's open owned rings: whether the calling thread is inside one of their
 * handlers, and driving the calling thread's own until what it waits for is done (requests
 * queued on an owned ring complete only when its owner polls).
 */
final class OwnedRings {
    private final EngineBackend backend;
    private final Set<OwnedRing> rings = ConcurrentHashMap.newKeySet();

    OwnedRings(EngineBackend backend) {
        this.backend = backend;
    }

    void add(OwnedRing ring) {
        rings.add(ring);
    }

    void remove(Object ring) {
        rings.remove(ring);
    }

    boolean isEmpty() {
        return rings.isEmpty();
    }

    /**
     * Whether the calling thread is running a completion handler of one of its owned rings,
     * or is a thread of the engine's backend (running an inline callback): either way it
     * must not wait for requests that it may be the one to run.
     */
    boolean inHandler() {
        if (backend.onOwnThread()) {
            return true; // a ring's or the pool's own thread, running an inline callback
        }
        for (OwnedRing r : rings) {
            if (r.inHandler()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Drives the calling thread's owned rings until {@code done} holds or none of them has
     * anything left. Does nothing inside one of their completion handlers (a reap must not
     * nest in a reap).
     */
    void driveOwnRings(BooleanSupplier done) {
        if (inHandler()) {
            return;
        }
        for (OwnedRing r : rings) {
            if (r.isOwner()) {
                // On THREADS a request finishes on a pool thread before its result reaches the
                // owner: keep driving until those results are delivered too.
                while (r.busy() && (!done.getAsBoolean() || r.resultsAwaitDelivery())) {
                    r.await(1);
                }
            }
        }
    }
}
