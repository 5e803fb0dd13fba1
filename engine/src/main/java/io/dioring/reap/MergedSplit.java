package io.dioring.reap;

import io.dioring.request.IoRequest;
import io.dioring.ring.SqeEncoder;

/**
 * Splits a vector SQE's final result (not EAGAIN/EINTR, which are re-issued whole) back
 * over the chain of requests it carried, in file order, by the rules in
 * {@code split.Coalescer}: each request is either judged (its one slice is done) or set up
 * to go again on its own from where the merged SQE left it. Reused for every merged SQE of
 * a ring: nothing is allocated.
 */
final class MergedSplit {
    /** Requests whose slice is judged, in file order: the first {@code doneCount}. */
    final IoRequest[] done = new IoRequest[SqeEncoder.MAX_IOVECS_PER_SQE];
    int doneCount;
    /** Requests to issue again on their own, in file order: the first {@code againCount}. */
    final IoRequest[] again = new IoRequest[SqeEncoder.MAX_IOVECS_PER_SQE];
    int againCount;

    void split(IoRequest head, int result, int alignment) {
        doneCount = 0;
        againCount = 0;
        long remaining = Math.max(result, 0);
        for (IoRequest r = head; r != null; ) {
            IoRequest next = r.cursor().unlinkNextMerged();
            long moved = result < 0 ? 0 : Math.min(remaining, r.length());
            remaining -= moved;
            boolean judged = result >= 0 && (moved == r.length() || (moved > 0 && Aggregator.onSlice(r, r.offset(),
                    (int) r.length(), 0, (int) moved, 0, alignment, true) == Aggregator.Verdict.DONE));
            if (judged) {
                done[doneCount++] = r;
            } else {
                // Untouched, failed with the others, or a remainder worth asking for: alone from `moved` on.
                r.cursor().restartAlone(moved);
                again[againCount++] = r;
            }
            r = next;
        }
    }

    /** Forgets the requests of the last split (they are back in the loop's hands). */
    void clear() {
        for (int i = 0; i < doneCount; i++) {
            done[i] = null;
        }
        for (int i = 0; i < againCount; i++) {
            again[i] = null;
        }
        doneCount = 0;
        againCount = 0;
    }
}
