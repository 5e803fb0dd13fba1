package io.dioring;

import io.dioring.request.CompletionListener;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import java.io.InterruptedIOException;
import java.util.Arrays;

/**
 * What a batch's requests are dispatched to: it keeps the requests a ring would take and
 * hands them to the ring all together ({@link RequestSink#acceptAll}) once every entry is
 * dispatched. An extending write is the exception: its dispatch waits for it, so it goes
 * at once, with what was kept before it. Reused from run to run; allocates only when it
 * grows.
 */
final class BatchCollector implements RequestSink {
    /** Told of a kept request the ring would not take, after it is unregistered from its file. */
    interface Refusals {
        /** {@code r}, the request of entry {@code entry}, was not taken: {@code e} says why. */
        void notTaken(IoRequest r, int entry, Throwable e);
    }

    private final Refusals refusals;
    /** The ring the run goes to; null between runs. */
    private RequestSink sink;
    /** The entry being dispatched, and its file. */
    private int entry;
    private DirectFile entryFile;
    private IoRequest[] kept = new IoRequest[0];
    private int[] keptEntry = new int[0];
    private int count;

    BatchCollector(Refusals refusals) {
        this.refusals = refusals;
    }

    /** Room for {@code n} entries. */
    void grow(int n) {
        kept = Arrays.copyOf(kept, n);
        keptEntry = Arrays.copyOf(keptEntry, n);
    }

    /** A run begins: its requests go to {@code sink}. */
    void start(RequestSink sink) {
        this.sink = sink;
    }

    /** The run is over: nothing of it is held here. */
    void end() {
        sink = null;
        entryFile = null;
    }

    /** The requests accepted from now on are entry {@code i}'s, of {@code file}. */
    void entry(int i, DirectFile file) {
        entry = i;
        entryFile = file;
    }

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        r.givenTo(sink);
        if (entryFile.mayExtend(r)) {
            // Extending: DirectFile waits for it under the size lock right after this call.
            flush();
            sink.accept(r);
            return;
        }
        kept[count] = r;
        keptEntry[count++] = entry;
    }

    @Override
    public void release(IoRequest r) {
        // Held behind a write, released now: it goes to the ring on its own.
        r.givenTo(sink);
        sink.release(r);
    }

    /**
     * Hands every kept request to the ring. A ring that stopped taking requests since the run
     * began (closed or failed: IllegalStateException, none of them taken) has each one
     * unregistered and its entry failed, so nothing waits for a request that never went out.
     */
    void flush() {
        int i = 0;
        while (i < count) {
            try {
                i = sink.acceptAll(kept, i, count);
            } catch (IllegalStateException refused) {
                for (; i < count; i++) {
                    notTaken(kept[i], keptEntry[i], refused);
                }
                break;
            }
            if (i < count) {
                IoRequest r = kept[i];
                try {
                    sink.accept(r); // waits for room (the ring is being drained meanwhile)
                } catch (InterruptedIOException | RuntimeException e) {
                    notTaken(r, keptEntry[i], e);
                }
                i++;
            }
        }
        Arrays.fill(kept, 0, count, null);
        count = 0;
    }

    /** As FileIssuer.issue does for a request its sink refused: unregister it, count it out. */
    private void notTaken(IoRequest r, int i, Throwable e) {
        CompletionListener<IoRequest> listener = r.listener();
        r.listenWith(null);
        if (listener != null) {
            listener.onComplete(r);
        }
        refusals.notTaken(r, i, e);
    }
}
