package io.dioring.request;

import java.nio.file.Path;

/**
 * What the data path needs of the file a request is on: its descriptor and the limits the
 * split, merge and judging steps go by. Implemented by {@code file.FileState}; a request
 * names only this, so the request layer does not reach up into the file layer.
 */
public interface RequestFile {
    int fd();

    Path path();

    boolean direct();

    /** Bytes per slice at most: requests are split at this size. */
    int maxIoBytes();

    /** Whether adjacent requests on the file may share one vector SQE or call. */
    boolean coalescing();

    /** Whether each read completes with exactly what the kernel returned for it (never resubmitted or merged). */
    boolean rawOutcomes();

    /**
     * The file offset alignment a remainder must keep to be issued again: the O_DIRECT
     * offset alignment, 1 without O_DIRECT.
     */
    int sliceAlignment();

    /**
     * The file's size as the engine last knew it (at open, then its own writes, truncation
     * and preallocation): a hint for issuing reads, never for judging them.
     */
    long knownSize();

    /** Whether reads may carry RWF_NOWAIT: true until the file refuses it (FUSE: EOPNOTSUPP). */
    boolean nowaitReads();

    /** The file refused RWF_NOWAIT: its reads go without it from now on. */
    void refuseNowaitReads();
}
