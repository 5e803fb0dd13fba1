package io.dioring;

import io.dioring.deliver.Delivery;
import io.dioring.reap.EngineRing;
import io.dioring.reap.RingThread;
import io.dioring.reap.RingThreads;
import io.dioring.reap.SharedRing;
import io.dioring.request.RequestSink;
import io.dioring.ring.BufferSlabs;
import java.io.IOException;
import java.util.Arrays;

/**
 * The io_uring backend: the engine's rings, caller-driven ({@link SharedRing}) or each with its
 * thread ({@link RingThread}), as {@link Submission} says. With {@link Submission#BY_CALL},
 * blocking calls go to caller-driven rings and asynchronous ones to rings with their own
 * threads, made when the first asynchronous request comes (an engine used only by blocking
 * callers never starts them).
 */
final class RingsBackend implements EngineBackend {
    private static final System.Logger LOG = System.getLogger("io.dioring");

    private final EngineConfig config;
    private final Delivery delivery;
    private final BufferSlabs slabs;
    /** The rings made at the start: blocking calls' (and every call's but with BY_CALL). */
    private final EngineRing[] rings;
    /** Asynchronous calls' rings: {@link #rings} itself, or BY_CALL's ring threads once made. */
    private volatile EngineRing[] asyncRings;
    /** Every ring made so far: {@link #rings}, then with BY_CALL's ring threads once they exist. */
    private volatile EngineRing[] allRings;
    /** Set under this object's lock by close: no ring is made after it. */
    private boolean closed;

    private RingsBackend(EngineConfig config, Delivery delivery, BufferSlabs slabs, EngineRing[] rings) {
        assert rings.length > 0 : "an io_uring backend without rings";
        this.config = config;
        this.delivery = delivery;
        this.slabs = slabs;
        this.rings = rings;
        this.asyncRings = config.submission() == Submission.BY_CALL ? null : rings;
        this.allRings = rings;
    }

    /** Sets up {@code config.rings()} rings; on a failure closes those already made. */
    static RingsBackend create(EngineConfig config, Delivery delivery, BufferSlabs slabs) throws IOException {
        boolean threads = config.submission() == Submission.RING_THREADS;
        return new RingsBackend(config, delivery, slabs, makeRings(config, delivery, slabs, threads, "dioring-ring-"));
    }

    private static EngineRing[] makeRings(EngineConfig config, Delivery delivery, BufferSlabs slabs, boolean threads,
            String prefix) throws IOException {
        EngineRing[] made = new EngineRing[config.rings()];
        try {
            for (int i = 0; i < made.length; i++) {
                made[i] = threads
                        ? new RingThread(prefix + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity(), slabs)
                        : SharedRing.kernel(prefix + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity(), slabs);
            }
        } catch (IOException | RuntimeException e) {
            for (EngineRing r : made) {
                if (r != null) {
                    r.close(false);
                }
            }
            throw e;
        }
        return made;
    }

    /**
     * BY_CALL's ring threads, made on first use; if they cannot be set up (memory, a limit),
     * asynchronous calls stay on the caller-driven rings, which serve them as well (logged once).
     */
    private EngineRing[] asyncRings() {
        EngineRing[] a = asyncRings;
        if (a != null) {
            return a;
        }
        synchronized (this) {
            if (asyncRings == null) {
                if (closed) {
                    return rings; // they refuse the request: the engine is closed
                }
                try {
                    EngineRing[] made = makeRings(config, delivery, slabs, true, "dioring-ring-async-");
                    EngineRing[] all = Arrays.copyOf(rings, rings.length + made.length);
                    System.arraycopy(made, 0, all, rings.length, made.length);
                    allRings = all; // before asyncRings: whoever can reach a ring counts and closes it
                    asyncRings = made;
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "dioring: rings for asynchronous calls could not be set up ("
                            + e.getMessage() + "); they go to the callers' rings", e);
                    asyncRings = rings;
                }
            }
            return asyncRings;
        }
    }

    /**
     * The ring for the caller: its own ring if it is one of ours (an INLINE callback keeps to
     * its ring), else one of the kind the call needs, by thread id.
     */
    @Override
    public RequestSink sinkForCurrentThread(boolean blocking) {
        EngineRing current = RingThreads.current();
        if (current != null && holds(allRings, current)) {
            return current;
        }
        EngineRing[] choice = blocking ? rings : asyncRings();
        int n = choice.length;
        int preferred = (int) Long.remainderUnsigned(Thread.currentThread().threadId(), n);
        // Callers drive the rings themselves: take one nobody drives now, so callers on
        // different CPUs do not queue behind one another; all driven, the preferred one.
        for (int i = 0; i < n; i++) {
            EngineRing r = choice[preferred + i < n ? preferred + i : preferred + i - n];
            if (r.looksFree()) {
                return r;
            }
        }
        return choice[preferred];
    }

    private static boolean holds(EngineRing[] set, EngineRing ring) {
        for (EngineRing r : set) {
            if (r == ring) {
                return true;
            }
        }
        return false;
    }

    @Override
    public OwnedRing ownedRing(EngineContext context, int entries, RingOptions options) throws RingSetupException {
        return new OwnedRing(context, entries, options);
    }

    @Override
    public boolean onOwnThread() {
        return RingThreads.current() != null;
    }

    @Override
    public RingSetup ringSetup() {
        return rings[0].ring().setup();
    }

    @Override
    public long slicesIssued() {
        long n = 0;
        for (EngineRing r : allRings) {
            n += r.loop().slicesIssued();
        }
        return n;
    }

    @Override
    public long coalescedRequests() {
        long n = 0;
        for (EngineRing r : allRings) {
            n += r.loop().coalescedRequests();
        }
        return n;
    }

    @Override
    public long enterCalls() {
        long n = 0;
        for (EngineRing r : allRings) {
            n += r.ring().enterCalls();
        }
        return n;
    }

    @Override
    public boolean registeredBuffers() {
        for (EngineRing r : allRings) {
            if (r.ring() == null || !r.ring().registrations().followsSlabs()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String registeredBuffersRefusal() {
        for (EngineRing r : allRings) {
            if (r.ring() != null && r.ring().registrations().refusal() != null) {
                return r.ring().registrations().refusal();
            }
        }
        return null;
    }

    @Override
    public long fixedBufferSlices() {
        long n = 0;
        for (EngineRing r : allRings) {
            n += r.loop().fixedIssued();
        }
        return n;
    }

    @Override
    public Throwable failure() {
        for (EngineRing r : allRings) {
            Throwable f = r.failure();
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    @Override
    public void close(boolean cancel) {
        synchronized (this) {
            closed = true; // no ring is made from now on: allRings is every ring there will be
        }
        for (EngineRing r : allRings) {
            r.close(cancel);
        }
    }
}
