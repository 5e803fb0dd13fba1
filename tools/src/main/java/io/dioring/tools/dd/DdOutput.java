package io.dioring.tools.dd;

import java.lang.foreign.MemorySegment;

/**
 * dd's output. Writes are submitted with the output offset the loop has computed
 * (start + seek + bytes written so far) and completed strictly in submission order.
 */
public interface DdOutput extends AutoCloseable {
    /** Whether lseek works on the output. */
    boolean seekable();

    /** lseek(fd, 0, SEEK_CUR) at open (0 for a file dd opened, or if not seekable). */
    long startOffset();

    /** The errno of the failed initial lseek (ESPIPE for a pipe); 0 if seekable. */
    int seekErrno();

    /** Positions the output at {@code offset} (lseek SEEK_SET); fails with lseek's errno. */
    void seek(long offset) throws DdIoException;

    /** lseek(fd, 0, SEEK_END). */
    long seekEnd() throws DdIoException;

    /** ftruncate(fd, size). */
    void truncate(long size) throws DdIoException;

    /**
     * Whether a failed ftruncate is an error dd reports: regular files, directories and
     * shared memory objects (POSIX specifies ftruncate only for those).
     */
    boolean truncatable() throws DdIoException;

    /** The output's size (fstat st_size). */
    long size() throws DdIoException;

    /** How many writes may be in flight at once; 1 for synchronous or sequential outputs. */
    int maxInFlight();

    /**
     * Starts writing all of {@code src} at {@code offset} (partial writes are continued until
     * everything is written or an error occurs). {@code src} must not be touched until awaited.
     */
    void submitWrite(long offset, MemorySegment src);

    /**
     * Waits for the oldest submitted write: the bytes written (all of them), or a
     * {@link DdIoException} whose {@link DdIoException#transferred()} counts what was written
     * before the error (a write that returns 0 fails with ENOSPC, as in dd).
     */
    long awaitWrite() throws DdIoException;

    /** Turns O_DIRECT off for what follows (GNU dd does it before a final partial block). */
    void dropDirect() throws DdIoException;

    /** fsync(fd). */
    void fsync() throws DdIoException;

    /** fdatasync(fd). */
    void fdatasync() throws DdIoException;

    /** oflag=nocache: drop the page cache for a range (length 0: to the end); best effort. */
    void dropCache(long offset, long length);

    /**
     * Leaves the descriptor's file offset at {@code offset}, where GNU dd's write and lseek
     * calls would have left it (see {@link DdInput#endAt}).
     */
    default void endAt(long offset) {}

    /** Closes the output; failures are dd's "closing output file" error. */
    @Override
    void close() throws DdIoException;
}
