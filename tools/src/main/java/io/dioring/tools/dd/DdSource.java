package io.dioring.tools.dd;

/**
 * dd's input and where dd is in it: {@code input_offset} (-1 once it overflowed), whether it
 * can seek, and where GNU dd's calls would have left the descriptor's offset (which an
 * inherited standard input is left at when dd ends).
 */
final class DdSource {
    final String name;
    final DdInput in;
    private final DdStats stats;
    private final DdCache cache;
    private boolean seekable;
    private int seekErrno;
    /** dd's input_offset; -1 if it overflowed. */
    private long offset;
    /** Where GNU dd's calls would have left the input descriptor's offset (inherited stdin). */
    private long fdOffset;

    DdSource(DdInput in, String name, DdCache cache, DdStats stats) {
        this.in = in;
        this.name = name;
        this.cache = cache;
        this.stats = stats;
        this.seekable = in.seekable();
        this.offset = in.startOffset();
        this.fdOffset = offset;
        this.seekErrno = in.seekErrno();
    }

    boolean seekable() {
        return seekable;
    }

    /** dd's input offset; -1 if it overflowed. */
    long offset() {
        return offset;
    }

    /** {@code n} bytes were read or skipped. */
    void advance(long n) {
        fdOffset += n;
        if (0 <= offset) {
            long sum = offset + n;
            offset = (sum < 0) ? -1 : sum;
        }
    }

    /** lseek left the descriptor at {@code position}. */
    void descriptorAt(long position) {
        fdOffset = position;
    }

    /** advance_input_after_read_error: continue after the bad block; false if dd cannot. */
    boolean advanceAfterReadError(long nbytes) {
        if (!seekable) {
            if (seekErrno == DdErrno.ESPIPE) {
                return true;
            }
            stats.error(DdText.quoteIfNeeded(name) + ": cannot seek: " + DdErrno.strerror(seekErrno));
            return false;
        }
        advance(nbytes);
        if (offset < 0) {
            stats.error("offset overflow while reading file " + DdText.quoteAlways(name));
            return false;
        }
        // the next read is submitted at the offset; a positioning failure shows up there
        return true;
    }

    /** After a failed advance: dd treats the input as a pipe from now on. */
    void seekingFailed() {
        seekable = false;
        seekErrno = DdErrno.ESPIPE;
    }

    /** invalidate_cache(STDIN_FILENO, length): the input's page cache behind dd's input offset. */
    int invalidateCache(long length) {
        return cache.invalidate(length, seekable ? offset : -1,
                seekable ? DdErrno.EOVERFLOW : DdErrno.ESPIPE, in::dropCache);
    }

    void dropCacheToEndOfFile() {
        cache.dropToEndOfFile();
    }

    boolean cacheDropsToEndOfFile() {
        return cache.dropsToEndOfFile();
    }

    /** An inherited descriptor ends where GNU dd's read/lseek calls would leave it. */
    void settleOffset() {
        in.endAt(fdOffset);
    }
}
