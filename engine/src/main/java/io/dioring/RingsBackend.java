package io.dioring;

import io.dioring.deliver.Delivery;
import io.dioring.reap.EngineRing;
import io.dioring.reap.RingThread;
import io.dioring.reap.RingThreads;
import io.dioring.reap.SharedRing;
import io.dioring.request.RequestSink;
import io.dioring.ring.BufferSlabs;
import java.io.IOException;

/** The io_uring backend: the engine's rings, caller-driven ({@link SharedRing}) or each with its thread ({@link RingThread}). */
final class RingsBackend implements EngineBackend {
    private final EngineRing[] rings;

    private RingsBackend(EngineRing[] rings) {
        assert rings.length > 0 : "an io_uring backend without rings";
        this.rings = rings;
    }

    /** Sets up {@code config.rings()} rings; on a failure closes those already made. */
    static RingsBackend create(EngineConfig config, Delivery delivery, BufferSlabs slabs) throws IOException {
        EngineRing[] rings = new EngineRing[config.rings()];
        try {
            for (int i = 0; i < rings.length; i++) {
                rings[i] = config.submission() == Submission.CALLERS
                        ? SharedRing.kernel("dioring-ring-" + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity(), slabs)
                        : new RingThread("dioring-ring-" + i, config.queueDepth(), config.ringOptions(), delivery,
                                config.submitQueueCapacity(), slabs);
            }
        } catch (IOException | RuntimeException e) {
            for (EngineRing r : rings) {
                if (r != null) {
                    r.close(false);
                }
            }
            throw e;
        }
        return new RingsBackend(rings);
    }

    /** The ring thread for the caller: its own ring if it is one, else by thread id. */
    @Override
    public RequestSink sinkForCurrentThread() {
        EngineRing current = RingThreads.current();
        if (current != null) {
            for (EngineRing r : rings) {
                if (r == current) {
                    return r;
                }
            }
        }
        int n = rings.length;
        int preferred = (int) Long.remainderUnsigned(Thread.currentThread().threadId(), n);
        // Callers drive the rings themselves: take one nobody drives now, so callers on
        // different CPUs do not queue behind one another; all driven, the preferred one.
        for (int i = 0; i < n; i++) {
            EngineRing r = rings[preferred + i < n ? preferred + i : preferred + i - n];
            if (r.looksFree()) {
                return r;
            }
        }
        return rings[preferred];
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
        for (EngineRing r : rings) {
            n += r.loop().slicesIssued();
        }
        return n;
    }

    @Override
    public long coalescedRequests() {
        long n = 0;
        for (EngineRing r : rings) {
            n += r.loop().coalescedRequests();
        }
        return n;
    }

    @Override
    public long enterCalls() {
        long n = 0;
        for (EngineRing r : rings) {
            n += r.ring().enterCalls();
        }
        return n;
    }

    @Override
    public boolean registeredBuffers() {
        for (EngineRing r : rings) {
            if (r.ring() == null || !r.ring().registrations().followsSlabs()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String registeredBuffersRefusal() {
        for (EngineRing r : rings) {
            if (r.ring() != null && r.ring().registrations().refusal() != null) {
                return r.ring().registrations().refusal();
            }
        }
        return null;
    }

    @Override
    public long fixedBufferSlices() {
        long n = 0;
        for (EngineRing r : rings) {
            n += r.loop().fixedIssued();
        }
        return n;
    }

    @Override
    public Throwable failure() {
        for (EngineRing r : rings) {
            Throwable f = r.failure();
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    @Override
    public void close(boolean cancel) {
        for (EngineRing r : rings) {
            r.close(cancel);
        }
    }
}
