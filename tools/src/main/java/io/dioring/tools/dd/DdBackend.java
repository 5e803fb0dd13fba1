package io.dioring.tools.dd;

/**
 * Where dd's bytes come from and go to. The copy loop ({@link DdCopy}) keeps all of dd's
 * accounting (records in/out, partial records, padding, reblocking, truncation, skip/seek,
 * messages); a backend only opens files and moves bytes.
 *
 * <p>Open flags are {@link DdOptions}' {@code F_*} bits restricted to
 * {@link DdOptions#OPEN_FLAGS} (append, direct, directory, dsync, noatime, noctty,
 * nofollow, nonblock, sync); a backend maps them to {@code O_*}.
 *
 * <p>The first implementation, {@link PosixBackend}, makes the same system calls as GNU dd
 * (open/read/write/lseek/fcntl/ftruncate/fsync on file descriptors), one block at a time.
 * A pipelined backend keeps up to {@link DdInput#maxInFlight()} reads and
 * {@link DdOutput#maxInFlight()} writes in flight; the loop submits reads of later blocks
 * ahead and consumes every completion in submission order.
 */
public interface DdBackend extends AutoCloseable {
    /**
     * Opens {@code if=path} read-only with {@code flags}; {@code path == null} is the standard
     * input, to which the flags are added (GNU dd's fcntl F_SETFL). Failures carry errno:
     * dd reports "failed to open 'x': ..." (or "setting flags for 'standard input': ...").
     */
    DdInput openInput(String path, int flags) throws DdIoException;

    /**
     * Opens {@code of=path} for writing with {@code flags}, creating it unless
     * {@code nocreat}, exclusively if {@code excl}, truncating it if {@code truncate};
     * {@code tryReadWrite}: open O_RDWR first and fall back to O_WRONLY (dd does this when
     * seek= is given). {@code path == null} is the standard output, flags added as for input.
     */
    DdOutput openOutput(String path, int flags, boolean nocreat, boolean excl, boolean truncate,
            boolean tryReadWrite) throws DdIoException;

    /**
     * Releases what the backend set up for the files it opened (a ring, threads), after every
     * file is closed. Nothing by default.
     */
    @Override
    default void close() {}
}
