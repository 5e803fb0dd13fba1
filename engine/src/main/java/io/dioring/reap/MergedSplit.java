package io.dioring.reap;

import io.dioring.request.IoRequest;

/**
 * Splits a vector SQE's final result (not EAGAIN/EINTR, which are re-issued whole) back
 * over the chain of requests it carried, in file order, by the rules in
 * {@code split.Coalescer}: each request is either judged (its one slice is done) or set up
 * to go again on its own from where the merged SQE left it. Reused for every merged SQE of
 * a ring: nothing is allocated.
 */
final class MergedSplit {
    /** Requests whose slice is judged, linked through {@link IoRequest#nextMerged}, in file order. */
    IoRequest done;
    /** Requests to issue again on their own, linked the same way, in file order. */
    IoRequest again;

    void split(IoRequest head, int result, int alignment) {
        done = null;
        again = null;
        IoRequest doneTail = null;
        IoRequest againTail = null;
        long remaining = Math.max(result, 0);
        for (IoRequest r = head; r != null; ) {
            IoRequest next = r.nextMerged;
            r.nextMerged = null;
            long moved = result < 0 ? 0 : Math.min(remaining, r.length);
            remaining -= moved;
            boolean judged = result >= 0 && (moved == r.length || (moved > 0 && Aggregator.onSlice(r, r.offset,
                    (int) r.length, 0, (int) moved, 0, alignment, true) == Aggregator.Verdict.DONE));
            if (judged) {
                if (doneTail == null) {
                    done = r;
                } else {
                    doneTail.nextMerged = r;
                }
                doneTail = r;
            } else {
                // Untouched, failed with the others, or a remainder worth asking for: alone from `moved` on.
                r.outstanding--;
                r.unmerged = true;
                r.allIssued = false;
                r.segIndex = 0;
                r.segPos = moved;
                r.issued = moved;
                if (againTail == null) {
                    again = r;
                } else {
                    againTail.nextMerged = r;
                }
                againTail = r;
            }
            r = next;
        }
    }
}
