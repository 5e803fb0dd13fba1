package io.dioring.tools.dd;

import io.dioring.ffi.Libc;

/**
 * iflag=nocache and oflag=nocache for one side of the copy: coreutils 9.1's
 * {@code invalidate_cache} and {@code cache_round}. After each read (write) dd drops the
 * page cache behind it, for exactly the bytes processed so far, in steps of 128 KiB
 * (smaller remainders wait for the next call); at the end it drops what is left, or, when
 * the input reached its end (or count=0 asked for nothing), everything from there to the
 * end of the file.
 *
 * <p>The offsets follow GNU's arithmetic literally, including its bookkeeping of the
 * output offset (taken once from the file offset, then advanced by what each call drops
 * plus the remainder), so the same ranges are given to posix_fadvise as GNU dd gives.
 */
final class DdCache {
    /** coreutils 9.1's IO_BUFSIZE: the granularity of the drops. */
    static final long IO_BUFSIZE = 128 * 1024;
    static final long PAGE_SIZE = Libc.pageSize();

    /** Not yet taken from the output's file offset (GNU's -2). */
    private static final long UNKNOWN = -2;
    /** The output's file offset could not be had: no more drops (GNU's -1). */
    private static final long UNAVAILABLE = -1;

    /** What a drop does: posix_fadvise(fd, offset, length, DONTNEED) on this side's file. */
    interface Drop {
        void drop(long offset, long length);
    }

    private final boolean output;
    /** cache_round's remainder: bytes processed but not dropped yet. */
    private long pending;
    /** The output side's offset bookkeeping. */
    private long outputOffset = UNKNOWN;
    /** The next drop at the end goes to the end of the file (GNU's i_nocache_eof / o_nocache_eof). */
    private boolean toEndOfFile;

    private DdCache(boolean output, boolean toEndOfFile) {
        this.output = output;
        this.toEndOfFile = toEndOfFile;
    }

    /** The input's; count=0 with nocache drops from the start offset to the end. */
    static DdCache forInput(DdOptions o) {
        return new DdCache(false, o.inputNocache && o.maxRecords == 0 && o.maxBytes == 0);
    }

    static DdCache forOutput(DdOptions o) {
        return new DdCache(true, o.outputNocache && o.maxRecords == 0 && o.maxBytes == 0);
    }

    /** From now on the final drop goes to the end of the file. */
    void dropToEndOfFile() {
        toEndOfFile = true;
    }

    boolean dropsToEndOfFile() {
        return toEndOfFile;
    }

    /**
     * invalidate_cache(fd, length): {@code length} more bytes were processed (0: the final
     * call). {@code position} is where GNU would look: dd's input offset for the input, the
     * file offset (lseek SEEK_CUR) for the output; -1 if it has none, with {@code seekErrno}
     * the reason. The errno of the failure (0: done or nothing to do).
     */
    int invalidate(long length, long position, int seekErrno, Drop drop) {
        long clen = round(length);
        if (length != 0 && clen == 0) {
            return 0; // not a whole step yet
        }
        if (length == 0 && clen == 0 && !toEndOfFile) {
            return 0;
        }
        long left = length != 0 ? round(0) : 0;
        long offset;
        if (output) {
            if (outputOffset != UNAVAILABLE) {
                if (outputOffset < 0) {
                    outputOffset = position < 0 ? UNAVAILABLE : position;
                } else if (length != 0) {
                    outputOffset += clen + left;
                }
            }
            offset = outputOffset;
        } else {
            offset = position;
        }
        if (offset < 0) {
            return seekErrno;
        }
        if (length == 0 && clen != 0 && toEndOfFile) {
            left = clen;
            clen = 0;
        }
        offset = offset - clen - left;
        if (clen == 0) {
            offset -= offset % PAGE_SIZE; // to the end of the file: from a whole page
        }
        drop.drop(offset, clen);
        return 0;
    }

    /** cache_round: {@code length} rounded down to whole steps, keeping the rest; 0: the rest. */
    private long round(long length) {
        if (length == 0) {
            return pending;
        }
        long total = pending + length;
        if (total < 0) {
            total = Long.MAX_VALUE;
        }
        pending = total % IO_BUFSIZE;
        return total > pending ? total - pending : 0;
    }
}
