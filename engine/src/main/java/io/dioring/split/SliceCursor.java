package io.dioring.split;

/**
 * A request's splitting state, owned by the split step ({@link Splitter}, {@link Coalescer}):
 * where the next slice starts ({@code segIndex}, {@code segPos}, {@code issued}), how many
 * slices are out and not yet judged ({@code outstanding}), whether every slice is out, and
 * the merge chain the request rides in ({@code nextMerged}). Other phases move it only through
 * the transitions named below; the fields are package-private.
 *
 * <p>Also the sync phase of a durable write: {@link #beginSync} turns a write whose data is in
 * into its sync; the request's {@code op} stays what the caller asked.
 *
 * <p>A layer of the request object ({@code request.IoRequest} extends it), not an object of its own.
 *
 * @param <R> the request type (the part does not name it)
 */
public abstract class SliceCursor<R> {
    int segIndex;
    long segPos;
    /** Bytes of the request already handed out as slices (its relative position). */
    long issued;
    boolean allIssued;
    /** Slices handed out and not yet judged. */
    int outstanding;
    /** Set once a merged SQE came back short: the rest goes out on its own, never merged again. */
    boolean unmerged;
    /** Set when every slice carries RWF_DSYNC/RWF_SYNC: no sync follows the data. */
    boolean durableByFlags;
    /** In the sync phase of a durable write (its data is in, or it has none). */
    boolean syncing;
    /** The next request carried by the same vector SQE or call; null at the end of the chain. */
    R nextMerged;

    protected SliceCursor() {}

    public int segIndex() {
        return segIndex;
    }

    public long segPos() {
        return segPos;
    }

    public long issued() {
        return issued;
    }

    public boolean allIssued() {
        return allIssued;
    }

    public int outstanding() {
        return outstanding;
    }

    public boolean unmerged() {
        return unmerged;
    }

    public boolean durableByFlags() {
        return durableByFlags;
    }

    public boolean syncing() {
        return syncing;
    }

    public R nextMerged() {
        return nextMerged;
    }

    /** The reap: one slice is judged; true when it was the last and every slice is out. */
    public boolean sliceJudged() {
        outstanding--;
        assert outstanding >= 0 : "more slices judged than issued";
        return outstanding == 0 && allIssued;
    }

    /** A ring that failed for good: one slice in flight is forgotten (its CQE will never count). */
    public void sliceLost() {
        outstanding--;
    }

    /** Nothing more will be issued or judged (failed before its slices were out, or made by blocking calls). */
    public void settle() {
        outstanding = 0;
        allIssued = true;
    }

    /**
     * The merged split-back: the request's share of a vector SQE was not judged; it goes out
     * again on its own from {@code moved} bytes on, never merged again.
     */
    public void restartAlone(long moved) {
        outstanding--;
        unmerged = true;
        allIssued = false;
        segIndex = 0;
        segPos = moved;
        issued = moved;
    }

    /** The reap: a durable write's data is in; its sync goes out next (the op stays the write). */
    public void beginSync() {
        syncing = true;
        allIssued = false;
    }

    /** Takes the request off its merge chain: returns the next one and forgets it. */
    public R unlinkNextMerged() {
        R next = nextMerged;
        nextMerged = null;
        return next;
    }

    /** For reuse: as new. */
    protected void resetCursor() {
        segIndex = 0;
        segPos = 0;
        issued = 0;
        allIssued = false;
        outstanding = 0;
        unmerged = false;
        durableByFlags = false;
        syncing = false;
        nextMerged = null;
    }
}
