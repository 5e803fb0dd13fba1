package io.dioring.tools.dd;

import java.lang.foreign.MemorySegment;

/**
 * dd's input. Reads are submitted with the input offset the loop has computed and
 * completed strictly in submission order; a synchronous implementation may simply do the
 * read in {@link #awaitRead()}.
 */
public interface DdInput extends AutoCloseable {
    /**
     * Whether the input is seekable (lseek(fd, 0, SEEK_CUR) succeeded). When it is not, the
     * offsets passed to {@link #submitRead} are only informative: reads are sequential.
     */
    boolean seekable();

    /** lseek(fd, 0, SEEK_CUR) at open, or 0 if not seekable: where dd's input offset starts. */
    long startOffset();

    /** The errno of the failed initial lseek (ESPIPE for a pipe); 0 if seekable. */
    int seekErrno();

    /** st_size if it is usable (regular file), else -1. dd uses it to notice skip= past EOF. */
    long usableSize() throws DdIoException;

    /** Positions the input at {@code offset} (lseek SEEK_SET); fails with lseek's errno. */
    void seek(long offset) throws DdIoException;

    /** lseek(fd, 0, SEEK_END): dd's probe after a failed skip seek. */
    long seekEnd() throws DdIoException;

    /**
     * How many reads may be in flight at once; 1 for synchronous backends and for inputs that
     * are not positional (pipes, terminals, character devices).
     */
    int maxInFlight();

    /**
     * Starts a read of up to {@code dst.byteSize()} bytes at {@code offset} into {@code dst}
     * (aligned to 4096 in address; its size is whatever dd asks for). {@code dst} must not be
     * touched until the read has been awaited.
     */
    void submitRead(long offset, MemorySegment dst);

    /**
     * Waits for the oldest submitted read: the bytes read (0 at end of file; fewer than asked
     * is a partial record), or the error (errno) it failed with.
     */
    long awaitRead() throws DdIoException;

    /** iflag=nocache: drop the page cache for a range (length 0: to the end); best effort. */
    void dropCache(long offset, long length);

    /**
     * Leaves the descriptor's file offset at {@code offset}, where GNU dd's read and lseek
     * calls would have left it, for whoever shares the descriptor next (an inherited
     * standard input read at explicit offsets). Best effort; a no-op where offsets do not
     * apply or the input is dd's own.
     */
    default void endAt(long offset) {}

    /** Closes the input; failures are dd's "closing input file" error. */
    @Override
    void close() throws DdIoException;
}
