package io.dioring.jmh;

import io.dioring.CompletionHandler;
import io.dioring.OwnedRing;

/**
 * The owner-driven load the {@link OwnedRing} benchmarks share: the benchmark thread keeps
 * {@code qd} I/Os in flight on its own ring, each completion handler (inline, on that thread)
 * issues its slot's next I/O at once, and the measured method waits until {@code ops} more
 * have completed ({@link #completeMore}). The pipeline stays full across invocations. A
 * subclass sets {@link #ring}, issues the first I/Os, says what one I/O is ({@link #issue}),
 * and calls {@link #stop} before it closes the ring.
 *
 * @param <A> what identifies a slot (its buffer, or a slot object)
 */
public abstract class OwnedRingLoad<A> implements CompletionHandler<A> {
    /** The ring the I/Os go to; set by the subclass's set-up. */
    OwnedRing ring;
    private long completed;
    private long target;
    private boolean stopping;
    private Throwable failure;

    /** Issues the next I/O of {@code slot} on {@link #ring}, with this as its handler. */
    abstract void issue(A slot);

    /** What one I/O is, for the message when one fails ("read", "write"). */
    String what() {
        return "read";
    }

    @Override
    public final void completed(long bytes, A slot) {
        completed++;
        if (!stopping) {
            issue(slot);
        }
    }

    @Override
    public final void failed(Throwable t, A slot) {
        failure = t;
        stopping = true;
    }

    /** The measured loop: drives the ring until {@code ops} more I/Os have completed; returns the count. */
    final long completeMore(int ops) {
        target += ops;
        while (completed < target) {
            ring.await(1);
            if (failure != null) {
                throw new IllegalStateException(what() + " failed: " + failure.getMessage(), failure);
            }
        }
        return completed;
    }

    /** No more I/Os are issued from here on (before the ring is closed). */
    final void stop() {
        stopping = true;
    }
}
